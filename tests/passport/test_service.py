"""Passport links, PINs with database-counted failures, one-time e-mail sign-in links."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from app.config import Settings
from app.errors import NotFound, RateLimited, ValidationFailed
from app.mail import outbox
from app.models import AuditEvent, OutboxMessage, Participant, SignInToken
from app.passport import service
from tests.conftest import session_factory_override
from tests.factories import make_org, make_participant, make_user

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def world(session: Session, settings: Settings) -> dict[str, Any]:
    org = make_org(session, settings)
    return {
        "org": org,
        "coach": make_user(session, org),
        "participant": make_participant(session, org, email="aino@example.fi"),
    }


def test_passport_token_is_stored_only_as_hash_and_resolves(
    session: Session, world: dict[str, Any]
) -> None:
    p = world["participant"]
    token = service.issue_passport_token(
        session, coach=world["coach"], participant_id=p.id, now=NOW
    )
    assert len(token) >= 43
    session.refresh(p)
    assert p.passport_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(p.model_dump())
    assert service.resolve_passport_token(session, token).id == p.id
    actions = session.exec(select(AuditEvent.action)).all()
    assert "passport.token_create" in actions
    events = session.exec(select(AuditEvent)).all()
    assert all(token not in str(e.details) for e in events)


def test_renew_invalidates_the_old_token_at_once(session: Session, world: dict[str, Any]) -> None:
    p = world["participant"]
    old = service.issue_passport_token(session, coach=world["coach"], participant_id=p.id, now=NOW)
    new = service.issue_passport_token(session, coach=world["coach"], participant_id=p.id, now=NOW)
    assert old != new
    with pytest.raises(NotFound):
        service.resolve_passport_token(session, old)
    assert service.resolve_passport_token(session, new).id == p.id
    assert "passport.token_renew" in session.exec(select(AuditEvent.action)).all()
    service.revoke_passport_token(session, coach=world["coach"], participant_id=p.id, now=NOW)
    with pytest.raises(NotFound):
        service.resolve_passport_token(session, new)


def test_unknown_malformed_and_erased_tokens_are_the_same_not_found(
    session: Session, world: dict[str, Any]
) -> None:
    p = world["participant"]
    token = service.issue_passport_token(
        session, coach=world["coach"], participant_id=p.id, now=NOW
    )
    messages = set()
    for bad in ("nope", "x" * 500, "ä" * 10, ""):
        with pytest.raises(NotFound) as exc:
            service.resolve_passport_token(session, bad)
        messages.add(exc.value.detail)
    p.erased_at = NOW
    session.add(p)
    session.flush()
    with pytest.raises(NotFound) as exc:
        service.resolve_passport_token(session, token)
    messages.add(exc.value.detail)
    assert len(messages) == 1


def test_coach_of_another_organization_cannot_issue(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    other_coach = make_user(session, make_org(session, settings))
    with pytest.raises(NotFound):
        service.issue_passport_token(
            session, coach=other_coach, participant_id=world["participant"].id, now=NOW
        )


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", " 1234", "１２３４"])
def test_pin_must_be_4_to_8_ascii_digits(session: Session, world: dict[str, Any], pin: str) -> None:
    with pytest.raises(ValidationFailed):
        service.set_pin(session, participant=world["participant"], pin=pin, now=NOW)


def test_pin_is_hashed_and_checked(session: Session, world: dict[str, Any]) -> None:
    p = world["participant"]
    assert service.check_pin(session, participant=p, pin="0000", now=NOW).ok  # no PIN set
    service.set_pin(session, participant=p, pin="4821", now=NOW)
    assert p.pin_hash is not None and "4821" not in p.pin_hash
    assert p.pin_hash.startswith("$argon2id$")
    assert service.check_pin(session, participant=p, pin="4821", now=NOW).ok
    wrong = service.check_pin(session, participant=p, pin="1111", now=NOW)
    assert not wrong.ok and wrong.remaining == service.PIN_MAX_FAILURES - 1
    service.set_pin(session, participant=p, pin=None, now=NOW)
    assert service.check_pin(session, participant=p, pin="9999", now=NOW).ok


def test_failed_pins_are_limited_per_window_and_counted_in_the_database(
    session: Session, world: dict[str, Any]
) -> None:
    p = world["participant"]
    service.set_pin(session, participant=p, pin="4821", now=NOW)
    for n in range(service.PIN_MAX_FAILURES):
        outcome = service.check_pin(
            session, participant=p, pin="0000", now=NOW + timedelta(minutes=n)
        )
        assert not outcome.ok
    # Another app instance sees the same count: read the row afresh.
    session.expire_all()
    fresh = session.get(Participant, p.id)
    assert fresh is not None and fresh.pin_failures == service.PIN_MAX_FAILURES
    with pytest.raises(RateLimited) as exc:
        service.check_pin(session, participant=fresh, pin="4821", now=NOW + timedelta(minutes=5))
    assert 0 < exc.value.retry_after <= 10 * 60
    # After the window the right PIN works again and the count starts over.
    later = NOW + service.PIN_WINDOW + timedelta(seconds=1)
    assert service.check_pin(session, participant=fresh, pin="4821", now=later).ok
    assert fresh.pin_failures == 0


def test_a_right_pin_resets_the_failure_count(session: Session, world: dict[str, Any]) -> None:
    p = world["participant"]
    service.set_pin(session, participant=p, pin="4821", now=NOW)
    for _ in range(service.PIN_MAX_FAILURES - 1):
        service.check_pin(session, participant=p, pin="0000", now=NOW)
    assert service.check_pin(session, participant=p, pin="4821", now=NOW).ok
    assert not service.check_pin(session, participant=p, pin="0000", now=NOW).ok  # not locked


def _link_token(message: OutboxMessage) -> str:
    assert message.body is not None
    line = next(x for x in message.body.splitlines() if "/passport/sign-in/" in x)
    return line.rsplit("/", 1)[1]


def test_sign_in_link_is_single_use_hashed_and_expires(
    session: Session, settings: Settings, world: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert service.request_sign_in_link(session, settings, email=" Aino@Example.fi ", now=NOW) == 1
    message = session.exec(select(OutboxMessage)).one()
    assert message.recipient == "aino@example.fi"
    token = _link_token(message)
    assert token not in caplog.text
    stored = session.exec(select(SignInToken)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    participant = service.consume_sign_in_token(session, token=token, now=NOW)
    assert participant.id == world["participant"].id
    with pytest.raises(NotFound):
        service.consume_sign_in_token(session, token=token, now=NOW)

    service.request_sign_in_link(session, settings, email="aino@example.fi", now=NOW)
    second = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id).desc())).first()
    assert second is not None
    expired = _link_token(second)
    with pytest.raises(NotFound):
        service.consume_sign_in_token(
            session, token=expired, now=NOW + service.SIGN_IN_TTL + timedelta(seconds=1)
        )


def test_unknown_address_queues_nothing_and_requests_are_limited(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    assert service.request_sign_in_link(session, settings, email="who@example.fi", now=NOW) == 0
    sent = [
        service.request_sign_in_link(session, settings, email="aino@example.fi", now=NOW)
        for _ in range(service.SIGN_IN_MAX_PER_WINDOW + 2)
    ]
    assert sent == [1] * service.SIGN_IN_MAX_PER_WINDOW + [0, 0]
    later = NOW + service.SIGN_IN_TTL + timedelta(seconds=1)
    assert service.request_sign_in_link(session, settings, email="aino@example.fi", now=later) == 1


def test_erased_participant_cannot_sign_in(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    service.request_sign_in_link(session, settings, email="aino@example.fi", now=NOW)
    token = _link_token(session.exec(select(OutboxMessage)).one())
    p = world["participant"]
    p.erased_at = NOW
    session.add(p)
    session.flush()
    with pytest.raises(NotFound):
        service.consume_sign_in_token(session, token=token, now=NOW)
    assert service.request_sign_in_link(session, settings, email="aino@example.fi", now=NOW) == 0


class RecordingMailer:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.fail = fail

    def send(self, *, to: str, subject: str, body: str) -> None:
        if self.fail:
            raise OSError("smtp down")
        self.sent.append((to, subject, body))


def test_outbox_delivery_clears_bodies_and_expired_links_are_purged(
    session: Session, connection: Connection, settings: Settings, world: dict[str, Any]
) -> None:
    service.request_sign_in_link(session, settings, email="aino@example.fi", now=NOW)
    session.commit()
    transactions = session_factory_override(connection)()
    claim = timedelta(minutes=2)
    failing = RecordingMailer(fail=True)
    report = outbox.deliver_pending(transactions, mailer=failing, claim_for=claim, now=NOW)
    assert (report.delivered, report.failed) == (0, 1)
    mailer = RecordingMailer()
    # The failed attempt keeps its claim: retried only once the claim has expired.
    assert outbox.deliver_pending(transactions, mailer=mailer, claim_for=claim, now=NOW) == (
        outbox.DeliveryReport()
    )
    retry = NOW + claim
    assert (
        outbox.deliver_pending(transactions, mailer=mailer, claim_for=claim, now=retry).delivered
        == 1
    )
    assert mailer.sent[0][0] == "aino@example.fi" and "/passport/sign-in/" in mailer.sent[0][2]
    session.expire_all()
    delivered = session.exec(select(OutboxMessage)).one()
    assert delivered.sent_at == retry and delivered.body is None and delivered.attempts == 2
    assert outbox.deliver_pending(transactions, mailer=mailer, claim_for=claim, now=retry) == (
        outbox.DeliveryReport()
    )

    later = NOW + timedelta(minutes=1)
    service.request_sign_in_link(session, settings, email="aino@example.fi", now=later)
    after_expiry = later + service.SIGN_IN_TTL
    with transactions() as fresh:  # nothing is deliverable once the link has expired
        assert outbox.claim_next(fresh, now=after_expiry, claim_for=claim) is None
    assert outbox.purge_expired(session, now=after_expiry) == 1
    session.expire_all()
    assert all(m.body is None for m in session.exec(select(OutboxMessage)).all())


def test_dev_outbox_shows_the_own_organization_and_is_refused_in_production(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    from app.config import Environment
    from app.errors import Forbidden

    other = make_org(session, settings)
    make_participant(session, other, email="aino@example.fi")
    # The same address in two organizations: a link from each.
    assert service.request_sign_in_link(session, settings, email="aino@example.fi", now=NOW) == 2
    org_id = world["org"].id
    shown = outbox.dev_messages(session, settings, organization_id=org_id, now=NOW)
    assert len(shown) == 1 and shown[0].body and "/passport/sign-in/" in shown[0].body
    assert shown[0].status == "pending"
    [theirs] = outbox.dev_messages(session, settings, organization_id=other.id, now=NOW)
    assert theirs.id != shown[0].id
    later = NOW + service.SIGN_IN_TTL
    outbox.purge_expired(session, now=later)
    session.expire_all()
    assert outbox.dev_messages(session, settings, organization_id=org_id, now=later)[0].status == (
        "expired"
    )
    production = settings.model_copy(update={"environment": Environment.production})
    with pytest.raises(Forbidden):
        outbox.dev_messages(session, production, organization_id=org_id)
