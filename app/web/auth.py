"""Who is signed in on the HTML pages, and what they may do.

Every page that shows or changes an organization's data takes `StaffDep` (or `AdminDep`) and
looks objects up through `app.web.access`, which answers 404 for other organizations' objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from app.auth.sessions import (
    Resolved,
    lock_for_writing,
    pop_flash,
    record_activity,
    resolve_session,
)
from app.deps import SAFE_METHODS, SessionDep, SettingsDep
from app.errors import AppError, Forbidden
from app.models import Organization, User, WebSession
from app.models.base import utcnow
from app.models.users import Role

SESSION_COOKIE = "osp_session"
STAFF_KEY = "osp.staff"


class SignInRequired(AppError):
    """Rendered as a redirect to the sign-in page (see app/handlers.py)."""

    status_code = 401
    problem = "sign-in-required"
    title = "Sign-in required"

    def __init__(self, next_path: str, *, idle: bool = False) -> None:
        super().__init__("Sign in to continue.")
        self.location = f"/login?next={quote(next_path, safe='/')}" + ("&idle=1" if idle else "")


@dataclass
class Staff:
    user: User
    organization: Organization
    row: WebSession
    flash: list[dict[str, object]]
    # Plain copies for the page header: error pages are rendered after the request's
    # transaction has been rolled back, when the rows can no longer be read.
    display_name: str = ""
    org_name: str = ""
    org_id: int = 0
    is_admin: bool = False

    def __post_init__(self) -> None:
        assert self.organization.id is not None
        self.display_name = self.user.display_name
        self.org_name = self.organization.name
        self.org_id = self.organization.id
        self.is_admin = self.user.role == Role.admin


def _next_path(request: Request) -> str:
    path = request.url.path
    if request.method == "GET" and request.url.query:
        path += "?" + request.url.query
    return path if request.method == "GET" else "/coach"


def current_staff(request: Request, session: SessionDep, settings: SettingsDep) -> Staff:
    """The signed-in admin or coach; otherwise a redirect to sign in."""
    now = utcnow()
    check = resolve_session(
        session,
        request.cookies.get(SESSION_COOKIE),
        now=now,
        idle=timedelta(minutes=settings.session_idle_minutes),
    )
    record_activity(request.app.state.bookkeeping, check, now=now)
    resolved = check.resolved
    if resolved is None or resolved.user is None:
        raise SignInRequired(_next_path(request), idle=check.timed_out)
    staff = _staff(request, session, resolved)
    request.scope[STAFF_KEY] = staff
    return staff


def _staff(request: Request, session: SessionDep, resolved: Resolved) -> Staff:
    assert resolved.user is not None
    organization = session.get(Organization, resolved.user.organization_id)
    assert organization is not None
    return Staff(resolved.user, organization, resolved.row, _flash(request, session, resolved.row))


def _flash(request: Request, session: SessionDep, row: WebSession) -> list[dict[str, object]]:
    """The flash messages, and the session row locked first in a request that writes."""
    if request.method in SAFE_METHODS:
        return pop_flash(session, row, write=request.app.state.bookkeeping)
    lock_for_writing(session, row)
    return pop_flash(session, row)


def current_admin(staff: Annotated[Staff, Depends(current_staff)]) -> Staff:
    if not staff.is_admin:
        raise Forbidden("Only the organization's administrators can do this.")
    return staff


StaffDep = Annotated[Staff, Depends(current_staff)]
AdminDep = Annotated[Staff, Depends(current_admin)]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None
