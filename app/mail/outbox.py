"""A transactional outbox for e-mail.

Messages are written in the same transaction as the change that causes them (a sign-in
token, for example), so a rolled-back request sends nothing. A delivery worker hands them to
a :class:`Mailer` and then clears the body. Bodies that may contain a sign-in link are also
cleared when the link expires, delivered or not, so a link never outlives its usefulness in
the database. Nothing here logs a body. See docs/decisions/0004-sign-in-links-and-outbox.md.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import update
from sqlmodel import Session, col, or_, select

from app.config import Environment, Settings
from app.errors import Forbidden
from app.models import OutboxMessage

log = logging.getLogger(__name__)


class Mailer(Protocol):
    """Delivers one message; raises on failure (the message then stays pending)."""

    def send(self, *, to: str, subject: str, body: str) -> None: ...


@dataclass(frozen=True)
class DevMessage:
    """A message as the development outbox page shows it."""

    id: int
    kind: str
    recipient: str | None
    subject: str
    body: str | None
    created_at: datetime
    expires_at: datetime | None
    sent_at: datetime | None


def enqueue(
    session: Session,
    *,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    now: datetime,
    expires_at: datetime | None = None,
    organization_id: int | None = None,
    participant_id: int | None = None,
) -> OutboxMessage:
    """Add a message to the outbox in the current transaction."""
    message = OutboxMessage(
        organization_id=organization_id,
        participant_id=participant_id,
        kind=kind,
        recipient=recipient,
        subject=subject,
        body=body,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(message)
    session.flush()
    # The recipient and subject are not secret; the body may hold a sign-in link.
    log.info("outbox: queued %s message %s", kind, message.id)
    return message


def pending(session: Session, *, now: datetime, limit: int = 100) -> Sequence[OutboxMessage]:
    """Messages not yet delivered whose body is still there and not expired."""
    return session.exec(
        select(OutboxMessage)
        .where(col(OutboxMessage.sent_at).is_(None))
        .where(col(OutboxMessage.body).is_not(None))
        .where(or_(col(OutboxMessage.expires_at).is_(None), col(OutboxMessage.expires_at) > now))
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    ).all()


def deliver_pending(session: Session, *, mailer: Mailer, now: datetime) -> int:
    """Hand pending messages to the mailer; returns how many were delivered.

    A message whose delivery raises stays pending (and is retried on the next run until its
    link expires); the others are marked sent and their bodies cleared.
    """
    delivered = 0
    for message in pending(session, now=now):
        assert message.recipient is not None and message.body is not None
        try:
            mailer.send(to=message.recipient, subject=message.subject, body=message.body)
        except Exception as exc:  # any mailer failure: keep the message for the next run
            log.warning("outbox: delivery of message %s failed: %s", message.id, type(exc).__name__)
            continue
        message.sent_at = now
        message.body = None
        session.add(message)
        delivered += 1
    session.flush()
    return delivered


def purge_expired(session: Session, *, now: datetime) -> int:
    """Clear the bodies of messages whose link has expired; returns how many."""
    result = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.body).is_not(None))
        .where(col(OutboxMessage.expires_at) <= now)
        .values(body=None)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def dev_messages(session: Session, settings: Settings, *, limit: int = 50) -> list[DevMessage]:
    """The latest messages with their bodies, for the admins' outbox page in development.

    Refused in production: there the bodies are for the recipients only.
    """
    if settings.environment == Environment.production:
        raise Forbidden("The outbox can be viewed only in development.")
    rows = session.exec(
        select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)
    ).all()
    return [
        DevMessage(
            id=m.id or 0,
            kind=m.kind,
            recipient=m.recipient,
            subject=m.subject,
            body=m.body,
            created_at=m.created_at,
            expires_at=m.expires_at,
            sent_at=m.sent_at,
        )
        for m in rows
    ]
