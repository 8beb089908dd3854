"""A transactional outbox for e-mail.

Messages are written in the same transaction as the change that causes them (a sign-in
token, for example), so a rolled-back request sends nothing. A delivery run hands them to a
:class:`Mailer` and then clears the body. Bodies that may contain a sign-in link are also
cleared when the link expires, delivered or not, so a link never outlives its usefulness in
the database. Nothing here logs a body or a recipient. See
docs/decisions/0004-sign-in-links-and-outbox.md and docs/decisions/0011-mail-delivery.md.

Delivery is safe with several app instances on one database: a run *claims* one message at
a time in a short committed transaction (an atomic UPDATE; on PostgreSQL the candidate row is
picked with ``FOR UPDATE SKIP LOCKED``, on SQLite the transaction takes the write lock when
it begins), sends it outside any transaction (an SMTP exchange takes seconds and must not
hold a database lock), and marks it sent in another short transaction. A claim that is not
followed by "sent" (the send failed, or the process died) expires after `claim_for`, and
then any run may try again, up to :data:`MAX_ATTEMPTS` times.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import update
from sqlmodel import Session, col, or_, select

from app.config import Environment, Settings
from app.db import SQLITE_IMMEDIATE, Transactions
from app.errors import Forbidden
from app.models import OutboxMessage
from app.models.base import utcnow

log = logging.getLogger(__name__)

# After this many failed attempts a message is given up: its body is cleared.
MAX_ATTEMPTS = 5
# At most this many messages per delivery run (the next run takes the rest).
RUN_LIMIT = 200


class Mailer(Protocol):
    """Delivers one message; raises on failure (the message then stays pending)."""

    def send(self, *, to: str, subject: str, body: str) -> None: ...


class MessageRefused(Exception):
    """The mail server works but refused this one message (its recipient, for example).

    A mailer raises it so that the run goes on with the next message; any other exception
    ends the run (the server is probably unreachable, and the next messages would only wait
    for the same time-out).
    """


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
    attempts: int
    status: str  # sent, pending, expired, given-up


@dataclass(frozen=True)
class Claimed:
    """A message claimed for sending by this run."""

    id: int
    recipient: str
    subject: str
    body: str
    attempts: int


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    delivered: int = 0
    failed: int = 0
    given_up: int = 0
    purged: int = 0
    # The run ended early after a failure that was not about one message (the mail server
    # could not be reached, for example): the rest wait for the next run.
    stopped_early: bool = False


def claim_period(smtp_timeout_seconds: float) -> timedelta:
    """How long a claim lasts: well beyond one SMTP exchange of several time-outs, so that no
    other run takes over a message that is still being sent."""
    return timedelta(seconds=max(60.0, 12 * smtp_timeout_seconds))


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


def _deliverable(now: datetime) -> list[Any]:
    """Conditions of a message that a run may claim now."""
    return [
        col(OutboxMessage.sent_at).is_(None),
        col(OutboxMessage.body).is_not(None),
        col(OutboxMessage.recipient).is_not(None),
        or_(col(OutboxMessage.expires_at).is_(None), col(OutboxMessage.expires_at) > now),
        or_(col(OutboxMessage.claimed_until).is_(None), col(OutboxMessage.claimed_until) <= now),
        col(OutboxMessage.attempts) < MAX_ATTEMPTS,
    ]


def claim_next(session: Session, *, now: datetime, claim_for: timedelta) -> Claimed | None:
    """Claim the oldest deliverable message until `now + claim_for`; None when there is none.

    One atomic UPDATE; commit the session right after it, so that other runs see the claim
    (see the module's description). The claim counts as an attempt.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        # Take the write lock at BEGIN: two runs then claim one after the other.
        session.connection(execution_options={SQLITE_IMMEDIATE: True})
    candidate = (
        select(OutboxMessage.id).where(*_deliverable(now)).order_by(col(OutboxMessage.id)).limit(1)
    )
    if dialect == "postgresql":
        # A row another run is claiming right now is skipped, not waited for.
        candidate = candidate.with_for_update(skip_locked=True)
    row = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == candidate.scalar_subquery())
        # Checked again on the row as it is when updated (PostgreSQL re-reads a row that a
        # concurrent transaction changed), so a row is never claimed twice.
        .where(*_deliverable(now))
        .values(claimed_until=now + claim_for, attempts=col(OutboxMessage.attempts) + 1)
        .returning(
            col(OutboxMessage.id),
            col(OutboxMessage.recipient),
            col(OutboxMessage.subject),
            col(OutboxMessage.body),
            col(OutboxMessage.attempts),
        )
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        return None
    message_id, recipient, subject, body, attempts = row
    return Claimed(int(message_id), str(recipient), str(subject), str(body), int(attempts))


def mark_sent(session: Session, message_id: int, *, now: datetime) -> bool:
    """Record a delivery and clear the body; False if the message was already sent."""
    result = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .where(col(OutboxMessage.sent_at).is_(None))
        .values(sent_at=now, body=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def give_up(session: Session, message_id: int) -> None:
    """Stop trying to deliver a message: clear its body (the link cannot be used)."""
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .where(col(OutboxMessage.sent_at).is_(None))
        .values(body=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )


def give_up_exhausted(session: Session, *, now: datetime) -> int:
    """Give up messages whose last attempt's claim expired without delivery (the process
    that made the attempt died); returns how many."""
    # One UPDATE (no read first: on SQLite a read-then-write transaction can fail when
    # another connection commits in between).
    ids = (
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.sent_at).is_(None))
            .where(col(OutboxMessage.body).is_not(None))
            .where(col(OutboxMessage.attempts) >= MAX_ATTEMPTS)
            .where(
                or_(
                    col(OutboxMessage.claimed_until).is_(None),
                    col(OutboxMessage.claimed_until) <= now,
                )
            )
            .values(body=None, claimed_until=None)
            .returning(col(OutboxMessage.id))
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    for message_id in ids:
        log.warning("outbox: gave up message %s after %s attempts", message_id, MAX_ATTEMPTS)
    return len(ids)


def _describe(exc: BaseException) -> str:
    """An exception for the log without its text, which can name recipients."""
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__} {code}" if isinstance(code, int) else type(exc).__name__


def deliver_pending(
    transactions: Transactions,
    *,
    mailer: Mailer,
    claim_for: timedelta,
    now: datetime | None = None,
    limit: int = RUN_LIMIT,
) -> DeliveryReport:
    """Hand pending messages to the mailer, one claimed message at a time.

    Each claim and each "sent" is a transaction of its own; the mailer runs outside any
    transaction. A message whose delivery raises stays claimed until its claim expires and
    is then retried by a later run, until its link expires or :data:`MAX_ATTEMPTS` attempts
    have failed. `now` fixes the clock (tests); by default each step reads the time.
    """

    def clock() -> datetime:
        return now if now is not None else utcnow()

    report = DeliveryReport()
    for _ in range(limit):
        with transactions() as session:
            claimed = claim_next(session, now=clock(), claim_for=claim_for)
        if claimed is None:
            break
        try:
            mailer.send(to=claimed.recipient, subject=claimed.subject, body=claimed.body)
        except Exception as exc:  # any mailer failure: the message waits for a later run
            report.failed += 1
            log.warning(
                "outbox: delivery of message %s failed (attempt %s of %s): %s",
                claimed.id,
                claimed.attempts,
                MAX_ATTEMPTS,
                _describe(exc),
            )
            if claimed.attempts >= MAX_ATTEMPTS:
                with transactions() as session:
                    give_up(session, claimed.id)
                report.given_up += 1
                log.warning(
                    "outbox: gave up message %s after %s attempts", claimed.id, MAX_ATTEMPTS
                )
            if not isinstance(exc, MessageRefused):
                report.stopped_early = True
                break
            continue
        with transactions() as session:
            mark_sent(session, claimed.id, now=clock())
        report.delivered += 1
        log.info("outbox: delivered message %s", claimed.id)
    with transactions() as session:
        report.given_up += give_up_exhausted(session, now=clock())
    return report


def purge_expired(session: Session, *, now: datetime) -> int:
    """Clear the bodies of messages whose link has expired; returns how many."""
    result = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.body).is_not(None))
        .where(col(OutboxMessage.expires_at) <= now)
        .values(body=None, claimed_until=None)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def delivery_run(
    transactions: Transactions,
    *,
    mailer: Mailer,
    claim_for: timedelta,
    now: datetime | None = None,
) -> DeliveryReport:
    """One run of the periodic job: deliver what is pending, then purge expired links."""
    report = deliver_pending(transactions, mailer=mailer, claim_for=claim_for, now=now)
    with transactions() as session:
        report.purged = purge_expired(session, now=now or utcnow())
    return report


def _status(message: OutboxMessage, now: datetime) -> str:
    if message.sent_at is not None:
        return "sent"
    if message.body is not None and (message.expires_at is None or message.expires_at > now):
        return "pending"
    if message.expires_at is not None and message.expires_at <= now:
        return "expired"
    return "given-up"


def dev_messages(
    session: Session,
    settings: Settings,
    *,
    organization_id: int,
    now: datetime | None = None,
    limit: int = 50,
) -> list[DevMessage]:
    """The organization's latest messages with their bodies, for the admins' outbox page in
    development.

    Refused in production: there the bodies are for the recipients only.
    """
    if settings.environment == Environment.production:
        raise Forbidden("The outbox can be viewed only in development.")
    now = now or utcnow()
    rows = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.organization_id == organization_id)
        .order_by(col(OutboxMessage.id).desc())
        .limit(limit)
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
            attempts=m.attempts,
            status=_status(m, now),
        )
        for m in rows
    ]
