"""Session bookkeeping (issue #13) against committed databases: a dead session is deleted and
a live one touched in transactions of their own, and a touch never waits on a locked row."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from app.auth.sessions import create_session, prune_expired, record_activity, resolve_session
from app.config import Settings
from app.db import BOOKKEEPING_WAIT_MS, SQLITE_IMMEDIATE, bookkeeping, make_engine, transaction
from app.migrate import upgrade
from app.models import WebSession
from app.models.base import utcnow
from tests.factories import make_org, make_user

IDLE = timedelta(minutes=15)


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A committed database of each kind (the bookkeeping runs in transactions of its own)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'sessions.db'}"
        upgrade(url)
    else:
        url = request.getfixturevalue("committed_postgres_url")
    eng = make_engine(url)
    yield eng
    eng.dispose()


def _signed_in(engine: Engine, *, seen_ago: timedelta) -> tuple[str, int]:
    settings = Settings(environment="test", database_url=str(engine.url), base_url="https://x.test")
    with transaction(engine) as session:
        org = make_org(session, settings)
        user = make_user(session, org)
        now = utcnow()
        token = create_session(session, now=now, max_age=timedelta(hours=12), user_id=user.id)
        row = session.exec(select(WebSession).where(WebSession.user_id == user.id)).one()
        row.last_seen_at = now - seen_ago
        session.add(row)
        assert row.id is not None
        return token, row.id


def test_an_idle_session_is_deleted_and_a_live_one_touched(engine: Engine) -> None:
    write = partial(bookkeeping, engine)
    idle_token, idle_id = _signed_in(engine, seen_ago=timedelta(minutes=16))
    with transaction(engine, read_only=True) as session:
        check = resolve_session(session, idle_token, now=utcnow(), idle=IDLE)
    assert check.resolved is None and check.timed_out and check.discard_id == idle_id
    record_activity(write, check, now=utcnow())
    with transaction(engine) as session:
        assert session.get(WebSession, idle_id) is None


def test_a_touch_does_not_wait_for_a_locked_row(engine: Engine) -> None:
    """Another transaction holds the session row (PostgreSQL) or the write lock (SQLite):
    the touch gives up after BOOKKEEPING_WAIT_MS instead of waiting, and the page goes on."""
    token, row_id = _signed_in(engine, seen_ago=timedelta(minutes=5))
    now = utcnow()
    with engine.connect() as conn:
        holder = conn.execution_options(**{SQLITE_IMMEDIATE: True})
        holder.begin()  # on SQLite: BEGIN IMMEDIATE, the write lock
        if engine.dialect.name == "postgresql":
            holder.execute(
                text("SELECT 1 FROM web_session WHERE id = :i FOR UPDATE"), {"i": row_id}
            )
        with transaction(engine, read_only=True) as session:
            check = resolve_session(session, token, now=now, idle=IDLE)
        assert check.touch_id == row_id
        start = time.monotonic()
        record_activity(partial(bookkeeping, engine), check, now=now)
        waited = time.monotonic() - start
        holder.rollback()
    assert waited < 2.0  # gave up at once (BOOKKEEPING_WAIT_MS), not after the lock time-out
    assert BOOKKEEPING_WAIT_MS <= 100
    # With the row free, the touch goes through.
    record_activity(partial(bookkeeping, engine), check, now=now)
    with transaction(engine) as session:
        row = session.get(WebSession, row_id)
        assert row is not None and abs((row.last_seen_at - now).total_seconds()) < 1


def test_prune_removes_expired_and_long_idle_sessions(engine: Engine) -> None:
    _signed_in(engine, seen_ago=timedelta(days=3))
    _, live = _signed_in(engine, seen_ago=timedelta(minutes=1))
    with transaction(engine) as session:
        removed = prune_expired(session, now=utcnow(), idle=timedelta(hours=24))
    assert removed == 1
    with transaction(engine) as session:
        assert [r.id for r in session.exec(select(WebSession)).all()] == [live]


def test_the_touch_leaves_the_requests_own_copy_unchanged(engine: Engine) -> None:
    """The request's transaction must not write the row again at its commit (on SQLite that
    would make a page that reads a writer; on PostgreSQL it would lock the row)."""
    token, _ = _signed_in(engine, seen_ago=timedelta(minutes=5))
    now = utcnow()
    with transaction(engine, read_only=True) as session:
        check = resolve_session(session, token, now=now, idle=IDLE)
        assert check.touch_id is not None
        record_activity(partial(bookkeeping, engine), check, now=now)
        assert not session.dirty
