"""Server-side sign-in sessions: create, resolve (with idle and absolute expiry), end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, update
from sqlmodel import Session, col, select

from app.db import Bookkeeping
from app.models import User, WebSession
from app.tokens import hash_token, new_token

# Writing last_seen_at on every request would make every page view a write; a minute's
# precision is plenty for an idle limit counted in minutes.
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class Resolved:
    row: WebSession
    user: User | None


def create_session(
    session: Session,
    *,
    now: datetime,
    max_age: timedelta,
    user_id: int | None = None,
    participant_id: int | None = None,
) -> str:
    """Start a session; returns the token for the cookie (only its hash is stored)."""
    token = new_token()
    session.add(
        WebSession(
            token_hash=hash_token(token),
            user_id=user_id,
            participant_id=participant_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + max_age,
        )
    )
    session.flush()
    return token


@dataclass(frozen=True)
class SessionCheck:
    """What a session cookie resolves to, and the bookkeeping it calls for (done by the
    caller in a transaction of its own, see `record_activity`)."""

    resolved: Resolved | None
    timed_out: bool = False
    discard_id: int | None = None  # expired, idle or of a deactivated user: delete it
    touch_id: int | None = None  # last_seen_at is due


def resolve_session(
    session: Session, token: str | None, *, now: datetime, idle: timedelta
) -> SessionCheck:
    """The live session of a cookie token, and whether it just timed out. Reads only:
    deleting a dead session and touching a live one are the caller's bookkeeping."""
    if not token:
        return SessionCheck(None)
    row = session.exec(select(WebSession).where(WebSession.token_hash == hash_token(token))).first()
    if row is None:
        return SessionCheck(None)
    if row.expires_at <= now or row.last_seen_at + idle <= now:
        return SessionCheck(None, timed_out=True, discard_id=row.id)
    user = session.get(User, row.user_id) if row.user_id is not None else None
    if row.user_id is not None and (user is None or not user.is_active):
        return SessionCheck(None, discard_id=row.id)
    touch = row.id if now - row.last_seen_at >= TOUCH_INTERVAL else None
    return SessionCheck(Resolved(row, user), touch_id=touch)


def record_activity(write: Bookkeeping, check: SessionCheck, *, now: datetime) -> None:
    """The bookkeeping of a session check, each write by `write` (app.db.bookkeeping: a short
    transaction of its own that never holds up the request): a lost touch costs a minute of
    idle time at most, and a dead session left behind is deleted by the next check or prune."""
    if check.discard_id is not None:
        write(_DISCARD, {"session_id": check.discard_id})
    if check.touch_id is not None:
        # The request's own copy of the row is left as read: changing it would write it
        # again, in the request's transaction, when that commits.
        write(_TOUCH, {"session_id": check.touch_id, "now": now})


_CLEAR_FLASH = (
    update(WebSession).where(col(WebSession.id) == bindparam("session_id")).values(flash=None)
)
_DISCARD = delete(WebSession).where(col(WebSession.id) == bindparam("session_id"))
# Only moves forward: a slow request cannot set an older time over a newer one.
_TOUCH = (
    update(WebSession)
    .where(col(WebSession.id) == bindparam("session_id"))
    .where(col(WebSession.last_seen_at) < bindparam("now"))
    .values(last_seen_at=bindparam("now"))
)


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(col(WebSession.token_hash) == hash_token(token)))


def end_user_sessions(session: Session, user_id: int) -> None:
    """Sign a user out everywhere (deactivated account, changed password)."""
    session.execute(delete(WebSession).where(col(WebSession.user_id) == user_id))


def end_participant_sessions(session: Session, participant_id: int) -> None:
    """Sign a participant out everywhere (their passport link was renewed: a lost phone)."""
    session.execute(delete(WebSession).where(col(WebSession.participant_id) == participant_id))


def prune_expired(session: Session, *, now: datetime, idle: timedelta) -> int:
    """Delete sessions past their absolute expiry or idle for longer than `idle` (the
    longest idle limit of any kind of session); returns how many."""
    result = session.execute(
        delete(WebSession).where(
            (col(WebSession.expires_at) <= now) | (col(WebSession.last_seen_at) <= now - idle)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def add_flash(row: WebSession, message: str, **values: Any) -> None:
    row.flash = [*(row.flash or []), {"message": message, "values": values}]


def pop_flash(
    session: Session, row: WebSession, *, write: Bookkeeping | None = None
) -> list[dict[str, Any]]:
    """The session's flash messages, cleared: in the request's transaction (a request that
    writes, which holds its session row anyway, see `lock_for_writing`), or by `write` as
    bookkeeping (a request that reads: no row lock held, on SQLite no write)."""
    messages = list(row.flash or [])
    if messages:
        if write is None:
            row.flash = None
            session.add(row)
        else:
            write(_CLEAR_FLASH, {"session_id": row.id})
    return messages


def lock_for_writing(session: Session, row: WebSession) -> None:
    """Lock the session row first thing in a request that writes, so that every such request
    locks rows in one order: its session's, then the others (a status list...). A request
    that popped its flash messages (the session row) and then revoked (the status list)
    deadlocked with one that had revoked and then set a flash message."""
    session.exec(select(WebSession).where(WebSession.id == row.id).with_for_update()).one()
