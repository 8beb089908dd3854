"""Database engine and the session dependency: one request = one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from app.config import Settings, get_settings
from app.errors import NotFound, nul_in_text

_engines: dict[str, Engine] = {}


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the pysqlite driver, decide when transactions begin; without this
    # SAVEPOINTs do not nest properly (SQLAlchemy's documented SQLite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for the writer
    # With WAL, NORMAL syncs at checkpoints instead of on every commit: the database cannot
    # be corrupted, and only the last commits before a power cut (not a crash of the
    # process) can be lost. Every API request commits its rate-limit count, so a full sync
    # per commit would make the disk, not the CPU, the limit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# A transaction that reads and then writes must take SQLite's write lock when it begins:
# a deferred one that read first cannot upgrade once another connection has committed
# (SQLITE_BUSY_SNAPSHOT, which the busy timeout does not wait out). Ask for it with
# `session.connection(execution_options={SQLITE_IMMEDIATE: True})` before the first query.
SQLITE_IMMEDIATE = "sqlite_begin_immediate"


def _begin_sqlite(conn: Any) -> None:
    immediate = conn.get_execution_options().get(SQLITE_IMMEDIATE)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _refuse_unstorable_parameters(
    _conn: Any,
    _cursor: Any,
    _statement: str,
    parameters: Any,
    _context: Any,
    executemany: bool,
) -> None:
    """The last line of app/input_guard.py: a NUL in text (PostgreSQL refuses it) or an
    integer beyond 64 bits (both databases refuse it) is a 4xx, not a database error."""
    for row in parameters if executemany else (parameters,):
        if isinstance(row, Mapping):
            values: Any = row.values()
        elif isinstance(row, list | tuple):
            values = row
        else:
            values = (row,)
        for value in values:
            if isinstance(value, str):
                if "\x00" in value:
                    raise nul_in_text()
            elif isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
                raise NotFound("No such item.")


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys on and a busy timeout.

    Errors never carry the statement's parameters (`hide_parameters`): they hold what people
    wrote (award narratives, names) and secrets' hashes, and errors end up in logs.
    """
    if url.startswith("sqlite"):
        # As many connections as the threadpool that runs the sync dependencies has threads
        # (40): a request waits for a thread, never for a connection, under load.
        in_memory = url in ("sqlite://", "sqlite:///:memory:")
        pool = {} if in_memory else {"pool_size": 40, "max_overflow": 0}
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, hide_parameters=True, **pool
        )
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        event.listen(engine, "begin", _begin_sqlite)
    else:
        engine = create_engine(
            url, pool_pre_ping=True, pool_size=20, max_overflow=20, hide_parameters=True
        )
    event.listen(engine, "before_cursor_execute", _refuse_unstorable_parameters)
    return engine


def get_engine(settings: Settings | None = None) -> Engine:
    """The engine for the configured DATABASE_URL (one per URL per process)."""
    settings = settings or get_settings()
    url = settings.database_url
    if url not in _engines:
        if url.startswith("sqlite:///"):
            from pathlib import Path

            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        _engines[url] = make_engine(url)
    return _engines[url]


def dispose_engines() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


# Opens one transaction: committed when its block ends without error, else rolled back
# (`functools.partial(transaction, engine)`).
Transactions = Callable[[], AbstractContextManager[Session]]


@contextmanager
def transaction(engine: Engine, *, read_only: bool = False) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error.

    `read_only`: the block only reads. On PostgreSQL it then runs without a transaction
    (autocommit): under READ COMMITTED every statement reads its own snapshot anyway, so a
    transaction around reads only adds the BEGIN and COMMIT round trips (2 of 8 per JWT
    verification).
    """
    with Session(engine, expire_on_commit=False) as session:
        if read_only and engine.dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
