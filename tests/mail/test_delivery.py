"""Delivery runs: one claimed message at a time, sent outside any transaction, each message
sent once by concurrent runs (several instances), failed sends retried after the claim
expires and given up after MAX_ATTEMPTS; bodies and links never logged."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.config import Settings, SmtpSecurity
from app.db import make_engine, transaction
from app.mail import outbox
from app.mail.smtp import SmtpMailer
from app.models import OutboxMessage
from app.passport import service as passport
from tests.conftest import STANDARDS
from tests.factories import make_org, make_participant
from tests.mail.smtp_server import HOST, smtp_server

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
CLAIM = timedelta(minutes=2)


@pytest.fixture
def engine(committed_url: str) -> Iterator[Engine]:
    eng = make_engine(committed_url)
    yield eng
    eng.dispose()


def settings_for(url: str) -> Settings:
    return Settings(
        _env_file=None,
        environment="test",
        database_url=url,
        base_url="https://passi.test",
        contexts_dir=STANDARDS / "contexts",
    )


def queue(engine: Engine, count: int, *, expires_at: datetime | None = None) -> list[int]:
    with transaction(engine) as session:
        return [
            outbox.enqueue(
                session,
                kind="test",
                recipient=f"person{n}@example.fi",
                subject=f"Message {n}",
                body=f"secret body {n}",
                now=NOW,
                expires_at=expires_at,
            ).id
            or 0
            for n in range(count)
        ]


def rows(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


class SlowMailer:
    """Records who got what; each send takes `seconds`."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.sent: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def send(self, *, to: str, subject: str, body: str) -> None:
        time.sleep(self.seconds)
        with self.lock:
            self.sent.append((to, body))


class FailingMailer:
    def __init__(self) -> None:
        self.calls = 0

    def send(self, *, to: str, subject: str, body: str) -> None:
        self.calls += 1
        raise ConnectionRefusedError("mail server down")


def test_sign_in_link_goes_out_by_smtp_and_a_failing_server_means_a_retry_later(
    engine: Engine, committed_url: str, tmp_path: Path
) -> None:
    settings = settings_for(committed_url)
    with transaction(engine) as session:
        org = make_org(session, settings)
        make_participant(session, org, email="aino@example.fi")
        assert passport.request_sign_in_link(session, settings, email="aino@example.fi", now=NOW)
    transactions = partial(transaction, engine)
    with smtp_server(tmp_path) as server:
        smtp = SmtpMailer(
            host=HOST, port=server.port, security=SmtpSecurity.none, sender="noreply@passi.test"
        )
        server.recorder.reject_with = "451 4.3.0 Try again later"
        report = outbox.delivery_run(transactions, mailer=smtp, claim_for=CLAIM, now=NOW)
        assert (report.delivered, report.failed, report.stopped_early) == (0, 1, True)
        [waiting] = rows(engine)
        assert waiting.sent_at is None and waiting.body is not None and waiting.attempts == 1
        assert waiting.claimed_until == NOW + CLAIM

        server.recorder.reject_with = None
        # Still claimed by the failed attempt: nobody retries before the claim expires.
        almost = NOW + CLAIM - timedelta(seconds=1)
        report = outbox.delivery_run(transactions, mailer=smtp, claim_for=CLAIM, now=almost)
        assert report.delivered == 0 and server.received == []
        report = outbox.delivery_run(transactions, mailer=smtp, claim_for=CLAIM, now=NOW + CLAIM)
        assert report.delivered == 1
    [received] = server.received
    assert received.rcpt_tos == ["aino@example.fi"]
    content = received.text
    assert waiting.body == content and "https://passi.test/passport/sign-in/" in content
    [sent] = rows(engine)
    assert sent.sent_at == NOW + CLAIM and sent.body is None and sent.claimed_until is None
    assert sent.attempts == 2
    # The link works once the message is out.
    token = next(w for w in content.split() if "/passport/sign-in/" in w).rsplit("/", 1)[1]
    with transaction(engine) as session:
        passport.consume_sign_in_token(session, token=token, now=NOW + CLAIM)


def test_sending_holds_no_database_lock(engine: Engine, committed_url: str) -> None:
    """While the mailer sends, another connection can write, even the message's own row (on
    SQLite a held write lock would make this wait 5 s and fail; on PostgreSQL the claim's
    row lock would make it time out)."""
    [message_id] = queue(engine, 1)
    other = make_engine(committed_url)
    wrote: list[int] = []

    class WritingMailer:
        def send(self, *, to: str, subject: str, body: str) -> None:
            with other.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SET LOCAL lock_timeout = '2s'"))
                else:
                    conn.exec_driver_sql("PRAGMA busy_timeout=2000")
                result = conn.execute(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id) == message_id)
                    .values(subject="changed while sending")
                )
                wrote.append(result.rowcount)

    report = outbox.deliver_pending(
        partial(transaction, engine), mailer=WritingMailer(), claim_for=CLAIM, now=NOW
    )
    other.dispose()
    assert wrote == [1] and report.delivered == 1


def test_two_concurrent_runs_send_each_message_exactly_once(
    engine: Engine, committed_url: str
) -> None:
    """Two instances' runs at once (threads with connections of their own), with a slow
    mail server: every message goes out once, and both runs do part of the work."""
    ids = queue(engine, 16)
    second = make_engine(committed_url)
    mailer = SlowMailer(seconds=0.05)
    barrier = threading.Barrier(2)

    def run(eng: Engine) -> outbox.DeliveryReport:
        barrier.wait()
        return outbox.deliver_pending(partial(transaction, eng), mailer=mailer, claim_for=CLAIM)

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(run, [engine, second]))
    second.dispose()
    counts = Counter(to for to, _body in mailer.sent)
    assert sorted(counts) == sorted(f"person{n}@example.fi" for n in range(16))
    assert set(counts.values()) == {1}, counts
    assert sum(r.delivered for r in reports) == len(ids)
    assert all(r.delivered > 0 for r in reports), reports
    assert all(m.sent_at is not None and m.body is None and m.attempts == 1 for m in rows(engine))


def test_a_message_is_given_up_after_max_attempts_and_never_logged(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    queue(engine, 1)
    transactions = partial(transaction, engine)
    failing = FailingMailer()
    when = NOW
    reports = []
    for _ in range(outbox.MAX_ATTEMPTS + 1):
        reports.append(outbox.delivery_run(transactions, mailer=failing, claim_for=CLAIM, now=when))
        when += CLAIM
    assert failing.calls == outbox.MAX_ATTEMPTS
    assert [r.given_up for r in reports] == [0] * (outbox.MAX_ATTEMPTS - 1) + [1, 0]
    [message] = rows(engine)
    assert message.body is None and message.sent_at is None
    assert message.attempts == outbox.MAX_ATTEMPTS
    assert "secret body" not in caplog.text and "person0@example.fi" not in caplog.text
    assert f"gave up message {message.id}" in caplog.text


def test_a_run_that_died_mid_send_is_taken_over_after_its_claim(engine: Engine) -> None:
    first, _second = queue(engine, 2)
    with transaction(engine) as session:
        claimed = outbox.claim_next(session, now=NOW, claim_for=CLAIM)
    assert claimed is not None and claimed.id == first
    # ... and the process died. Another run sends the other message at once, this one after
    # the claim has expired.
    mailer = SlowMailer()
    outbox.deliver_pending(partial(transaction, engine), mailer=mailer, claim_for=CLAIM, now=NOW)
    assert [to for to, _ in mailer.sent] == ["person1@example.fi"]
    later = NOW + CLAIM
    outbox.deliver_pending(partial(transaction, engine), mailer=mailer, claim_for=CLAIM, now=later)
    assert [to for to, _ in mailer.sent] == ["person1@example.fi", "person0@example.fi"]
    # Exhausted claims of dead runs are given up too, once their claim has expired.
    [third] = queue(engine, 1)
    with transaction(engine) as session:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == third)
            .values(attempts=outbox.MAX_ATTEMPTS, claimed_until=later + CLAIM)
        )
    run = partial(outbox.deliver_pending, partial(transaction, engine), mailer=mailer)
    assert run(claim_for=CLAIM, now=later).given_up == 0
    report = run(claim_for=CLAIM, now=later + CLAIM)
    assert report.given_up == 1 and report.delivered == 0
    assert rows(engine)[2].body is None


def test_expired_links_are_not_sent_and_their_bodies_are_cleared(engine: Engine) -> None:
    queue(engine, 2, expires_at=NOW + timedelta(minutes=15))
    mailer = SlowMailer()
    later = NOW + timedelta(minutes=15)
    report = outbox.delivery_run(
        partial(transaction, engine), mailer=mailer, claim_for=CLAIM, now=later
    )
    assert (report.delivered, report.purged) == (0, 2) and mailer.sent == []
    assert all(m.body is None and m.sent_at is None for m in rows(engine))
