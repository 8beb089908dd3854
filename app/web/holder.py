"""The participant's own sign-in to the passport, and the rate limit on secret link tokens.

A participant session is a `web_session` row with `participant_id` set, in its own cookie
(`osp_passport`), so that a coach's session on a shared tablet and a participant's never mix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.auth.sessions import (
    SessionCheck,
    create_session,
    end_session,
    lock_for_writing,
    pop_flash,
    record_activity,
    resolve_session,
)
from app.clients.service import hit
from app.config import Settings
from app.db import brief_lock_wait, brief_wait_ms
from app.deps import SAFE_METHODS, SessionDep, SettingsDep, get_limit_session
from app.errors import RateLimited
from app.host import AUTHORIZE_PATH
from app.models import Participant, WebSession
from app.models.base import utcnow
from app.web.auth import SignInRequired, client_ip

PASSPORT_COOKIE = "osp_passport"
# Where to go after signing in, when the sign-in began on a page that needs it (a service's
# request for access to the passport, app/web/host.py); only such an address is followed.
AFTER_SIGN_IN_COOKIE = "osp_after_sign_in"
AFTER_SIGN_IN_PREFIX = AUTHORIZE_PATH + "?"
HOLDER_KEY = "osp.holder"


class PassportSignInRequired(SignInRequired):
    """Rendered as a redirect to the page that explains how to open the passport."""

    def __init__(self) -> None:
        super().__init__("/passport")
        self.location = "/passport/sign-in"


@dataclass
class Holder:
    participant: Participant
    row: WebSession
    flash: list[dict[str, Any]]
    # A plain copy for the page header (error pages render after a rollback).
    display_name: str = ""

    def __post_init__(self) -> None:
        self.display_name = self.participant.display_name


def current_holder(request: Request, session: SessionDep, settings: SettingsDep) -> Holder:
    """The participant signed in to their passport; otherwise a redirect."""
    now = utcnow()
    check = resolve_session(
        session,
        request.cookies.get(PASSPORT_COOKIE),
        now=now,
        idle=timedelta(minutes=settings.passport_idle_minutes),
    )
    resolved = check.resolved
    participant = None
    if resolved is not None and resolved.row.participant_id is not None:
        participant = session.get(Participant, resolved.row.participant_id)
    if resolved is not None and (participant is None or participant.erased_at is not None):
        check = SessionCheck(None, discard_id=resolved.row.id)  # not a participant's session
    record_activity(request.app.state.bookkeeping, check, now=now)
    if check.resolved is None or participant is None or resolved is None:
        raise PassportSignInRequired()
    if request.method in SAFE_METHODS:
        flash = pop_flash(session, resolved.row, write=request.app.state.bookkeeping)
    else:
        lock_for_writing(session, resolved.row)
        flash = pop_flash(session, resolved.row)
    holder = Holder(participant, resolved.row, flash)
    request.scope[HOLDER_KEY] = holder
    return holder


HolderDep = Annotated[Holder, Depends(current_holder)]


def start_passport_session(
    request: Request, session: Session, settings: Settings, participant: Participant
) -> RedirectResponse:
    """Sign the participant in and go to /passport, so the token leaves the address bar (or
    back to the page that asked for the sign-in, AFTER_SIGN_IN_COOKIE)."""
    assert participant.id is not None
    end_session(session, request.cookies.get(PASSPORT_COOKIE))
    token = create_session(
        session,
        now=utcnow(),
        max_age=timedelta(hours=settings.passport_max_hours),
        participant_id=participant.id,
    )
    after = request.cookies.get(AFTER_SIGN_IN_COOKIE, "")
    response = RedirectResponse(
        after if after.startswith(AFTER_SIGN_IN_PREFIX) else "/passport", status_code=303
    )
    if after:
        response.delete_cookie(AFTER_SIGN_IN_COOKIE, path="/")
    response.set_cookie(
        PASSPORT_COOKIE,
        token,
        max_age=settings.passport_max_hours * 3600,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )
    return response


def count_token_lookup(
    request: Request, limit_session: Session, *, counted_here: bool = False
) -> None:
    """Count a look-up of a secret token by the client's address; 429 past the limit.

    The counter is committed at once in its own transaction, so failed guesses count too.
    It waits for the database's write lock only briefly: when the lock is busy (SQLite under
    a burst of page views) the look-up is counted in this process instead (unless
    `counted_here`: it has been already), so that a person's page neither fails nor waits
    because of the count.
    """
    settings: Settings = request.app.state.settings
    bucket = f"token:{client_ip(request) or 'unknown'}"
    now = utcnow()
    try:
        with brief_lock_wait(limit_session, brief_wait_ms(request.app.state.engine)):
            state = hit(
                limit_session, bucket=bucket, limit=settings.token_lookups_per_minute, now=now
            )
        limit_session.commit()
    except OperationalError:
        limit_session.rollback()
        if counted_here:
            return
        state = request.app.state.local_limits.hit(
            bucket=bucket, limit=settings.token_lookups_per_minute, now=now
        )
    if not state.allowed:
        raise RateLimited(
            "Too many attempts. Wait a minute and try again.", retry_after=state.retry_after
        )


def limit_token_lookups(
    request: Request, limit_session: Annotated[Session, Depends(get_limit_session)]
) -> None:
    """Every look-up of a secret token counts toward the client's shared limit."""
    count_token_lookup(request, limit_session)


async def limit_share_lookups(request: Request) -> None:
    """A share page's look-ups count toward the client's limit in this process; only the
    failed ones also count in the database (`count_token_lookup`), where the limit holds
    across instances (decision 0016).

    A guess at a token is a failed look-up, so guessing is limited as before on every
    instance together; an employer's browser opening a working link costs no write (it was a
    turn at SQLite's write lock and a tenth of the page's time). The working links of one
    client are limited per instance.
    """
    settings: Settings = request.app.state.settings
    limit_locally(request, "token", settings.token_lookups_per_minute)


def limit_locally(request: Request, kind: str, per_minute: int) -> None:
    """Count a request of `kind` from the client's address in this process, and refuse it
    past `per_minute` (abuse protection per instance, not shared between instances)."""
    state = request.app.state.local_limits.hit(
        bucket=f"{kind}:{client_ip(request) or 'unknown'}", limit=per_minute, now=utcnow()
    )
    if not state.allowed:
        raise RateLimited(
            "Too many attempts. Wait a minute and try again.", retry_after=state.retry_after
        )


TOKEN_LIMIT = Depends(limit_token_lookups)
SHARE_LIMIT = Depends(limit_share_lookups)
