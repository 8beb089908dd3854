"""db.transaction: read-only blocks on PostgreSQL run without BEGIN/COMMIT, and the pooled
connection goes back to transactional use afterwards; on SQLite writers take the lock when
they begin, and a write in a block declared a reader is caught."""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from psycopg.pq import TransactionStatus
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session
from starlette.requests import Request

from app import db
from app.db import FairLock, make_engine, transaction
from app.deps import get_session, request_writes


def _status(session: object) -> TransactionStatus:
    dbapi = session.connection().connection.driver_connection  # type: ignore[attr-defined]
    return TransactionStatus(dbapi.info.transaction_status)


def test_read_only_runs_in_autocommit_and_the_pool_is_reset(committed_postgres_url: str) -> None:
    engine = make_engine(committed_postgres_url)
    try:
        with transaction(engine, read_only=True) as session:
            assert session.execute(text("SELECT 1")).scalar_one() == 1
            assert _status(session) == TransactionStatus.IDLE  # no transaction open
        with transaction(engine) as session:
            session.execute(text("SELECT 1"))
            assert _status(session) == TransactionStatus.INTRANS
        assert engine.pool.checkedout() == 0 and engine.pool.checkedin() == 1  # the same one
    finally:
        engine.dispose()


def test_the_sqlite_writers_lock_is_handed_over_in_the_order_asked() -> None:
    """Each waiter gets the lock in its turn; one that gives up leaves the queue."""
    lock = FairLock()
    assert lock.acquire(timeout=0)
    order: list[int] = []
    started: list[threading.Event] = []

    def writer(n: int) -> None:
        started[n].set()
        assert lock.acquire(timeout=10)
        order.append(n)
        lock.release()

    threads = []
    for n in range(5):
        started.append(threading.Event())
        thread = threading.Thread(target=writer, args=(n,))
        thread.start()
        started[n].wait()
        while len(lock._waiters) < n + 1:  # queued behind the one before it
            time.sleep(0.001)
        threads.append(thread)
    assert not lock.acquire(timeout=0.05)  # held, and a time-out leaves the queue
    lock.release()
    for thread in threads:
        thread.join(10)
    assert order == [0, 1, 2, 3, 4]
    assert lock.acquire(timeout=0)  # free again
    lock.release()


def test_returning_an_sqlite_connection_warns_nothing(tmp_path: Path) -> None:
    """The writers' turns listen to the pool's events in their current form: a listener
    matching the deprecated form of "reset" made SQLAlchemy warn on every check-in (about a
    tenth of a JWT verification's CPU time in a profile)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    # Recorded, not raised: the pool catches (and logs) what its events raise.
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for _ in range(3):
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            with transaction(engine, writes=True) as session:
                session.execute(text("SELECT 1"))
    engine.dispose()
    assert [str(w.message) for w in seen] == []


def _two_connections(tmp_path: Path) -> Any:
    engine = make_engine(f"sqlite:///{tmp_path / 'readers.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (0)"))
    return engine


def test_a_reader_that_writes_after_another_commit_fails_and_a_declared_writer_waits(
    tmp_path: Path,
) -> None:
    """Why a GET page that writes must say so (app.deps.writes_on_get): on SQLite a deferred
    transaction that has read cannot write once another connection has committed (the
    coach's "issued" page after the once-a-minute session bookkeeping gave a 503 so). A
    transaction begun as a writer holds the lock from its start, and the other write waits
    its turn instead."""
    engine = _two_connections(tmp_path)
    try:
        with pytest.raises(OperationalError, match="locked"), transaction(engine) as session:
            session.execute(text("SELECT n FROM t")).scalar_one()
            with engine.begin() as other:  # the bookkeeping's own transaction
                other.execute(text("UPDATE t SET n = n + 1"))
            session.execute(text("UPDATE t SET n = n + 10"))

        done: list[int] = []

        def other_writer() -> None:
            with transaction(engine, writes=True) as other:
                other.execute(text("UPDATE t SET n = n + 1"))
            done.append(1)

        with transaction(engine, writes=True) as session:
            session.execute(text("SELECT n FROM t")).scalar_one()
            thread = threading.Thread(target=other_writer)
            thread.start()
            thread.join(0.3)
            assert not done  # waiting for this transaction
            session.execute(text("UPDATE t SET n = n + 10"))
        thread.join(10)
        assert done == [1]
        with transaction(engine) as session:
            assert session.execute(text("SELECT n FROM t")).scalar_one() == 12
    finally:
        engine.dispose()


def test_a_write_in_a_declared_reader_is_refused_where_asked_and_logged_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    engine = _two_connections(tmp_path)
    try:
        monkeypatch.setattr(db, "refuse_undeclared_writes", True)
        refused = pytest.raises(db.UndeclaredWrite, match="UPDATE t")
        with refused, transaction(engine, reader=True) as session:
            session.execute(text("UPDATE t SET n = 5"))
        # The mark goes with the transaction: the same pooled connection writes afterwards.
        with transaction(engine) as session:
            session.execute(text("UPDATE t SET n = 6"))
        with transaction(engine, reader=True) as session:
            assert session.execute(text("SELECT n FROM t")).scalar_one() == 6

        monkeypatch.setattr(db, "refuse_undeclared_writes", False)
        logged = caplog.at_level(logging.WARNING, logger="app.db")
        with logged, transaction(engine, reader=True) as session:
            session.execute(text("UPDATE t SET n = 7"))
        assert "declared a reader wrote" in caplog.text
    finally:
        engine.dispose()


def test_the_get_pages_that_write_take_the_write_lock(app: FastAPI) -> None:
    """The coach's "issued" page makes a one-time link and a personal passport link starts a
    session: both are opened with GET and begin as writers; other pages stay readers."""
    seen: dict[str, bool] = {}
    inner = app.dependency_overrides[get_session]

    def recording(request: Request) -> Iterator[Session]:
        seen[request.url.path] = request_writes(request)
        yield from inner()

    app.dependency_overrides[get_session] = recording
    with TestClient(app, base_url="https://passi.test") as client:
        for path in ("/coach/credentials/x1/issued", "/passport/not-a-token", "/coach"):
            client.get(path, follow_redirects=False)
    assert seen == {
        "/coach/credentials/x1/issued": True,
        "/passport/not-a-token": True,
        "/coach": False,
    }


def test_a_bookkeeping_write_that_was_made_is_not_reported_skipped(tmp_path: Path) -> None:
    """A writer that takes its turn right after a bookkeeping write committed does not make
    the write look skipped: a share link's openings were written again at the next round
    (counted twice) when setting back the connection's busy time-out waited for the write
    lock in its turn. And the connection goes back to the pool with its usual time-out."""
    engine = _two_connections(tmp_path)
    holding = threading.Event()
    release = threading.Event()
    started: list[threading.Thread] = []

    def other_writer() -> None:
        with transaction(engine, writes=True) as other:
            holding.set()
            release.wait(5)
            other.execute(text("SELECT 1"))

    def right_after_the_write(conn: Any) -> None:
        # The bookkeeping write's commit (a writer's, not the commit of its busy time-out
        # set before it): another writer takes the next turn.
        if not started and conn.get_execution_options().get(db.SQLITE_IMMEDIATE):
            thread = threading.Thread(target=other_writer)
            started.append(thread)
            thread.start()
            time.sleep(0.1)  # it has the turn, and waits for SQLite's lock until this commit

    event.listen(engine, "commit", right_after_the_write)
    try:
        written = db.bookkeeping(engine, text("UPDATE t SET n = n + 1"), {})
        assert holding.wait(5)
        release.set()
        started[0].join(10)
        assert written is True
        with engine.connect() as conn:
            assert conn.execute(text("SELECT n FROM t")).scalar_one() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == db._SQLITE_BUSY_MS
    finally:
        release.set()
        engine.dispose()
