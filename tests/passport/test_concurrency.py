"""Several app instances at once on PostgreSQL: a sign-in link works exactly once, PIN
failures add up across instances, and share-link openings are all counted."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from sqlmodel import Session, select

from app.config import Settings
from app.db import bookkeeping, make_engine, transaction
from app.errors import NotFound, RateLimited
from app.models import OutboxMessage, Participant, ShareLink
from app.passport import service
from app.sharing import service as sharing
from tests.conftest import STANDARDS
from tests.factories import make_org, make_participant

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
WORKERS = 6


@pytest.mark.postgres
def test_parallel_instances_share_single_use_pin_counts_and_open_counts(
    committed_postgres_url: str,
) -> None:
    settings = Settings(
        environment="test",
        database_url=committed_postgres_url,
        base_url="https://passi.test",
        contexts_dir=STANDARDS / "contexts",
    )
    engine = make_engine(committed_postgres_url)
    with transaction(engine) as session:
        org = make_org(session, settings)
        participant = make_participant(session, org, email="aino@example.fi")
        participant_id = participant.id
        service.set_pin(session, participant=participant, pin="4821", now=NOW)
        service.request_sign_in_link(session, settings, email="aino@example.fi", now=NOW)
        link, share_token = sharing.create_share_link(
            session, participant=participant, credential_public_id=None, now=NOW
        )
        link_id = link.id
    with Session(engine) as session:
        body = session.exec(select(OutboxMessage.body)).one()
    assert body is not None
    token = next(x for x in body.splitlines() if "/sign-in/" in x).rsplit("/", 1)[1]
    barrier = threading.Barrier(WORKERS)

    def consume(_: int) -> bool:
        barrier.wait()
        try:
            with transaction(engine) as session:
                service.consume_sign_in_token(session, token=token, now=NOW)
            return True
        except NotFound:
            return False

    def wrong_pin(n: int) -> str:
        barrier.wait()
        try:
            with transaction(engine) as session:
                p = session.get(Participant, participant_id)
                assert p is not None
                outcome = service.check_pin(
                    session, participant=p, pin="0000", now=NOW + timedelta(seconds=n)
                )
                return "wrong" if not outcome.ok else "ok"
        except RateLimited:
            return "locked"

    def open_link(_: int) -> None:
        barrier.wait()
        with transaction(engine) as session:
            opened = sharing.open_share(session, share_token, now=NOW)
        assert opened.link.id is not None
        sharing.count_opening(partial(bookkeeping, engine), opened.link.id)

    with ThreadPoolExecutor(WORKERS) as pool:
        used = list(pool.map(consume, range(WORKERS)))
        pins = list(pool.map(wrong_pin, range(WORKERS)))
        list(pool.map(open_link, range(WORKERS)))
    with Session(engine) as session:
        stored = session.get(Participant, participant_id)
        opened = session.get(ShareLink, link_id)
    engine.dispose()
    assert used.count(True) == 1
    assert sorted(pins) == ["locked"] + ["wrong"] * service.PIN_MAX_FAILURES
    assert stored is not None and stored.pin_failures == service.PIN_MAX_FAILURES
    assert opened is not None and opened.open_count == WORKERS
