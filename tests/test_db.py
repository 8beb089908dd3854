"""db.transaction: read-only blocks on PostgreSQL run without BEGIN/COMMIT, and the pooled
connection goes back to transactional use afterwards."""

from __future__ import annotations

import threading
import time
import warnings
from pathlib import Path

from psycopg.pq import TransactionStatus
from sqlalchemy import text

from app.db import FairLock, make_engine, transaction


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
