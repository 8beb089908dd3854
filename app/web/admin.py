"""The organization admin's pages: coaches, the audit log and, in development, the outbox."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, func, select

from app.audit import service as audit
from app.auth.sessions import add_flash, end_user_sessions
from app.config import Environment
from app.deps import SessionDep, SettingsDep
from app.errors import AppError, NotFound
from app.mail import outbox
from app.models import AuditEvent, User
from app.models.base import utcnow
from app.models.users import Role
from app.users.service import create_user
from app.web.auth import AdminDep, client_ip
from app.web.csrf import verify_csrf
from app.web.forms import FORM_TEXT_BOUND, error_text, form_date, private_download
from app.web.templating import templates

router = APIRouter(include_in_schema=False)
CSRF = [Depends(verify_csrf)]
PAGE_SIZE = 50
CSV_MAX_ROWS = 50_000


def _users(session: Session, organization_id: int) -> list[User]:
    return list(
        session.exec(
            select(User)
            .where(User.organization_id == organization_id)
            .order_by(func.lower(User.display_name))
        ).all()
    )


def _users_page(
    request: Request,
    session: Session,
    staff: AdminDep,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    return templates.TemplateResponse(
        request,
        "admin/users.html",
        {"users": _users(session, staff.org_id), "values": values, "errors": errors},
        status_code=status,
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, staff: AdminDep, session: SessionDep) -> Response:
    """The organization's coaches and admins."""
    return _users_page(request, session, staff, values={}, errors={})


@router.post("/admin/users", response_class=HTMLResponse, dependencies=CSRF)
def create_user_page(
    request: Request,
    staff: AdminDep,
    session: SessionDep,
    email: Annotated[str, Form(max_length=FORM_TEXT_BOUND)] = "",
    display_name: Annotated[str, Form(max_length=FORM_TEXT_BOUND)] = "",
    password: Annotated[str, Form(max_length=FORM_TEXT_BOUND)] = "",
    role: Annotated[str, Form(max_length=10)] = "coach",
) -> Response:
    """Add a coach (or admin) to the organization."""
    values = {"email": email, "display_name": display_name, "role": role}
    try:
        with session.begin_nested():
            create_user(
                session,
                organization=staff.organization,
                email=email,
                display_name=display_name,
                password=password,
                role=Role.admin if role == "admin" else Role.coach,
                actor_user_id=staff.user.id,
            )
    except AppError as exc:
        return _users_page(
            request, session, staff, values=values, errors={"form": error_text(exc)}, status=422
        )
    add_flash(staff.row, "Account created.")
    session.add(staff.row)
    return RedirectResponse("/admin/users", status_code=303)


def _user_of_org(session: Session, staff: AdminDep, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.organization_id != staff.org_id:
        raise NotFound("No such user.")
    return user


@router.post("/admin/users/{user_id}/active", dependencies=CSRF)
def set_active(
    user_id: int,
    request: Request,
    staff: AdminDep,
    session: SessionDep,
    active: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Deactivate (signs the person out everywhere) or reactivate an account."""
    user = _user_of_org(session, staff, user_id)
    if user.id == staff.user.id:
        add_flash(staff.row, "You cannot deactivate your own account.")
    else:
        user.is_active = active == "1"
        session.add(user)
        assert user.id is not None
        if not user.is_active:
            end_user_sessions(session, user.id)
        audit.record(
            session,
            action="user.activate" if user.is_active else "user.deactivate",
            organization_id=staff.org_id,
            actor_user_id=staff.user.id,
            object_type="user",
            object_id=user.id,
            ip_address=client_ip(request),
        )
        add_flash(staff.row, "Changes saved.")
    session.add(staff.row)
    return RedirectResponse("/admin/users", status_code=303)


# --- audit log -----------------------------------------------------------------------------


def _audit_query(
    staff: AdminDep, action: str, user: str, date_from: str, date_to: str, errors: dict[str, str]
) -> Any:  # a Select of (AuditEvent, User | None)
    stmt = select(AuditEvent, User).outerjoin(User, col(User.id) == col(AuditEvent.actor_user_id))
    stmt = stmt.where(AuditEvent.organization_id == staff.org_id)
    if action:
        stmt = stmt.where(col(AuditEvent.action).startswith(action))
    if user.isdigit():
        stmt = stmt.where(AuditEvent.actor_user_id == int(user))
    start = form_date(date_from, errors, "from")
    end = form_date(date_to, errors, "to")
    if start:
        stmt = stmt.where(col(AuditEvent.created_at) >= datetime.combine(start, time.min))
    if end:
        stmt = stmt.where(
            col(AuditEvent.created_at) < datetime.combine(end + timedelta(days=1), time.min)
        )
    return stmt.order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    staff: AdminDep,
    session: SessionDep,
    action: str = "",
    user: str = "",
    date_from: str = "",
    date_to: str = "",
    page: int = 1,
) -> Response:
    """Who did what, when and from where; filterable."""
    errors: dict[str, str] = {}
    stmt = _audit_query(staff, action, user, date_from, date_to, errors)
    page = max(page, 1)
    rows = session.exec(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return templates.TemplateResponse(
        request,
        "admin/audit.html",
        {
            "rows": rows[:PAGE_SIZE],
            "has_more": len(rows) > PAGE_SIZE,
            "page": page,
            "filters": {"action": action, "user": user, "date_from": date_from, "date_to": date_to},
            "actions": audit.ACTION_GROUPS,
            "action_labels": audit.ACTION_LABELS,
            "object_labels": audit.OBJECT_LABELS,
            "users": _users(session, staff.org_id),
            "errors": errors,
        },
        status_code=422 if errors else 200,
    )


def _csv_cell(value: object) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in exported text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/admin/audit.csv")
def audit_csv(
    request: Request,
    staff: AdminDep,
    session: SessionDep,
    action: str = "",
    user: str = "",
    date_from: str = "",
    date_to: str = "",
) -> Response:
    """The filtered audit log as CSV (the export itself is recorded)."""
    errors: dict[str, str] = {}
    stmt = _audit_query(staff, action, user, date_from, date_to, errors)
    if errors:
        return audit_page(request, staff, session, action, user, date_from, date_to)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time", "action", "user", "object_type", "object_id", "ip_address", "details"])
    for event, actor in session.exec(stmt.limit(CSV_MAX_ROWS)).all():
        writer.writerow(
            [
                _csv_cell(event.created_at.isoformat()),
                _csv_cell(event.action),
                _csv_cell(actor.email if actor else ""),
                _csv_cell(event.object_type),
                _csv_cell(event.object_id),
                _csv_cell(event.ip_address),
                _csv_cell(event.details or ""),
            ]
        )
    audit.record(
        session,
        action="audit.export",
        organization_id=staff.org_id,
        actor_user_id=staff.user.id,
        ip_address=client_ip(request),
        details={"filters": {"action": action, "user": user, "from": date_from, "to": date_to}},
    )
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return private_download(
        out.getvalue(), media_type="text/csv; charset=utf-8", filename=f"audit-{stamp}.csv"
    )


# --- outbox (development) ------------------------------------------------------------------


@router.get("/admin/outbox", response_class=HTMLResponse)
def outbox_page(
    request: Request, staff: AdminDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """Development only: the organization's latest e-mails with their contents, so that
    signing in by e-mail can be tried without a mail server. No such page in production."""
    if settings.environment is Environment.production:
        raise NotFound("No such page.")
    messages = outbox.dev_messages(session, settings, organization_id=staff.org_id)
    response = templates.TemplateResponse(
        request,
        "admin/outbox.html",
        {
            "messages": messages,
            "delivery": settings.smtp_host is not None,
            "link_prefix": settings.public_origin + "/",
        },
    )
    # The page shows live sign-in links: never kept by a browser or a proxy.
    response.headers["Cache-Control"] = "private, no-store"
    return response
