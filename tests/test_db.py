"""db.transaction: read-only blocks on PostgreSQL run without BEGIN/COMMIT, and the pooled
connection goes back to transactional use afterwards."""

from __future__ import annotations

from psycopg.pq import TransactionStatus
from sqlalchemy import text

from app.db import make_engine, transaction


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
