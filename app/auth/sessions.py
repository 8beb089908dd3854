"""Server-side sign-in sessions: create, resolve (with idle and absolute expiry), end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

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


def resolve_session(
    session: Session, token: str | None, *, now: datetime, idle: timedelta
) -> tuple[Resolved | None, bool]:
    """The live session of a cookie token and whether it just timed out.

    An expired or idle session is deleted, so it cannot be revived.
    """
    if not token:
        return None, False
    row = session.exec(select(WebSession).where(WebSession.token_hash == hash_token(token))).first()
    if row is None:
        return None, False
    if row.expires_at <= now or row.last_seen_at + idle <= now:
        session.delete(row)
        session.flush()
        return None, True
    user = session.get(User, row.user_id) if row.user_id is not None else None
    if row.user_id is not None and (user is None or not user.is_active):
        session.delete(row)
        session.flush()
        return None, False
    if now - row.last_seen_at >= TOUCH_INTERVAL:
        row.last_seen_at = now
        session.add(row)
    return Resolved(row, user), False


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(col(WebSession.token_hash) == hash_token(token)))


def end_user_sessions(session: Session, user_id: int) -> None:
    """Sign a user out everywhere (deactivated account, changed password)."""
    session.execute(delete(WebSession).where(col(WebSession.user_id) == user_id))


def end_participant_sessions(session: Session, participant_id: int) -> None:
    """Sign a participant out everywhere (their passport link was renewed: a lost phone)."""
    session.execute(delete(WebSession).where(col(WebSession.participant_id) == participant_id))


def prune_expired(session: Session, *, now: datetime) -> None:
    session.execute(delete(WebSession).where(col(WebSession.expires_at) <= now))


def add_flash(row: WebSession, message: str, **values: Any) -> None:
    row.flash = [*(row.flash or []), {"message": message, "values": values}]


def pop_flash(session: Session, row: WebSession) -> list[dict[str, Any]]:
    messages = list(row.flash or [])
    if messages:
        row.flash = None
        session.add(row)
    return messages
