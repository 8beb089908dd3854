"""Database engine and the session dependency: one request = one transaction."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.sql.expression import Executable
from sqlmodel import Session, create_engine

from app.config import Settings, get_settings
from app.errors import NotFound, nul_in_text

_engines: dict[str, Engine] = {}
# How long an SQLite statement waits for another connection's write lock.
_SQLITE_BUSY_MS = 5000


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the pysqlite driver, decide when transactions begin; without this
    # SAVEPOINTs do not nest properly (SQLAlchemy's documented SQLite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
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


# How long a writer of this process waits for its turn (execution option; milliseconds).
SQLITE_WRITE_WAIT = "sqlite_write_wait_ms"
_HOLDS_TURN = "osaamispassi_holds_write_turn"

# A request declared a reader (app.deps.get_session: a GET not marked `writes_on_get`) runs in
# a deferred transaction on SQLite; a write in it works only while nobody else has committed
# since its first read, and otherwise fails (SQLITE_BUSY_SNAPSHOT): a page that passes alone
# and fails under load. Such a write is logged, and refused where `refuse_undeclared_writes`
# is set (the tests), so that every GET that writes is found and declared.
_DECLARED_READER = "osaamispassi_declared_reader"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")
refuse_undeclared_writes = False


class UndeclaredWrite(RuntimeError):
    """A request declared a reader wrote (see _DECLARED_READER)."""


def _watch_declared_readers(
    conn: Any, _cursor: Any, statement: str, _parameters: Any, _context: Any, _many: bool
) -> None:
    if conn.info.get(_DECLARED_READER) and statement.lstrip()[:6].upper() in _WRITES:
        message = (
            "a request declared a reader wrote (mark its route app.deps.writes_on_get): "
            + " ".join(statement.split(None, 3)[:3])
        )
        if refuse_undeclared_writes:
            raise UndeclaredWrite(message)
        log.warning(message)


def _forget_reader(**event: Any) -> None:
    record = event.get("connection_record")
    if record is not None:
        record.info.pop(_DECLARED_READER, None)


class FairLock:
    """A lock handed to its waiters in the order they asked for it.

    `threading.Lock` wakes no waiter in particular: on a busy machine one writer kept missing
    it for over 5 s while later ones got it (1 of 300 parallel awards failed so). Here
    `release` passes the lock straight to the longest waiter, so a wait is bounded by the
    transactions of those ahead of it.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Event] = deque()

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held and not self._waiters:
                self._held = True
                return True
            ticket = threading.Event()
            self._waiters.append(ticket)
        if ticket.wait(timeout):
            return True
        with self._mutex:
            if ticket.is_set():  # handed over just as the wait timed out
                return True
            self._waiters.remove(ticket)
            return False

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().set()  # still held: now by that waiter
            else:
                self._held = False


class _WriterTurns:
    """The writers of one process on one SQLite file take turns on a lock of their own
    before BEGIN IMMEDIATE, and give it back when their transaction ends.

    SQLite's busy handler polls with growing sleeps and no order: with 16 writers waiting,
    one could keep missing the lock for over the 5 s busy time-out while others came and
    went (19 of 300 parallel awards failed so). The turns here are first come, first served
    (FairLock). Other processes (the command line) still meet at SQLite's own lock, with
    its busy time-out.
    """

    def __init__(self) -> None:
        self._lock = FairLock()

    def begin(self, conn: Any) -> None:
        options = conn.get_execution_options()
        if not options.get(SQLITE_IMMEDIATE):
            conn.exec_driver_sql("BEGIN")
            return
        wait_ms = options.get(SQLITE_WRITE_WAIT, _SQLITE_BUSY_MS)
        if not self._lock.acquire(timeout=wait_ms / 1000):
            raise OperationalError(
                "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
            )
        conn.info[_HOLDS_TURN] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.end(conn)
            raise

    def end(self, conn: Any, *_args: Any) -> None:
        """The transaction ended (commit, rollback, or the connection went back to the pool)."""
        info = conn.info if hasattr(conn, "info") else None
        if info is not None and info.pop(_HOLDS_TURN, False):
            self._lock.release()

    def checked_in(self, **event: Any) -> None:
        """A pool event (listened to with named=True: the events' signatures differ, and a
        positional catch-all matched the deprecated form of "reset", which warned on every
        check-in)."""
        record = event.get("connection_record")
        if record is not None and record.info.pop(_HOLDS_TURN, False):
            self._lock.release()


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# Every wait on the database ends: a request never hangs, it gets a 503 (app/handlers.py).
# PostgreSQL ends a statement after 15 s and a lock wait after 5 s, and closes a connection
# left idle inside a transaction for 30 s (a request that stalls while holding row locks
# would otherwise block every other request on them, as a coach's session row once did);
# a request waits at most 10 s for a pooled connection.
STATEMENT_TIMEOUT_MS = 15_000
LOCK_TIMEOUT_MS = 5_000
IDLE_IN_TRANSACTION_TIMEOUT_MS = 30_000
POOL_TIMEOUT_SECONDS = 10


def _postgres_options(url: str) -> str:
    """libpq `options` with the time-outs, after any the URL already carries."""
    given = make_url(url).query.get("options", "")
    given = " ".join(given) if isinstance(given, tuple) else given
    ours = (
        f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={LOCK_TIMEOUT_MS} "
        f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_MS}"
    )
    return f"{given} {ours}".strip()


def _postgres_connect_args(url: str) -> dict[str, Any]:
    return {"options": _postgres_options(url), "connect_timeout": 5}


def postgres_connect_kwargs(engine: Engine) -> dict[str, Any]:
    """What psycopg.connect is given for this PostgreSQL engine's connections (the URL's
    parts and the time-outs), for connections made outside its pool (app.loop_reads)."""
    _args, kwargs = engine.dialect.create_connect_args(engine.url)
    kwargs.pop("context", None)  # SQLAlchemy's adapters: those reads send and get only text
    return {**kwargs, **_postgres_connect_args(engine.url.render_as_string(hide_password=False))}


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


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert rows of one table in the session's transaction, in as few statements as the
    driver allows (SQLAlchemy's "insertmanyvalues"), without making ORM objects; their ids,
    in the order of `rows`. For the bulk paths (a group award's chunk), where building and
    flushing an object per row was a fifth of the job's own CPU."""
    if not rows:
        return []
    statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
    return [int(row[0]) for row in session.execute(statement, list(rows))]


# A bookkeeping write (a session's last_seen_at, a share link's open count) waits at most
# this long for a lock, then is skipped: it must never hold up or fail the page being read.
BOOKKEEPING_WAIT_MS = 100
# On SQLite one writer holds the whole database (a group award's chunk, for a third of a
# second): waiting there would add that much to a page, so a bookkeeping write only rides
# over a gap of a few milliseconds.
SQLITE_BRIEF_WAIT_MS = 5


def brief_wait_ms(engine: Engine) -> int:
    """How long a write that must not hold up a page waits for a lock."""
    return SQLITE_BRIEF_WAIT_MS if engine.dialect.name == "sqlite" else BOOKKEEPING_WAIT_MS


log = logging.getLogger(__name__)


# Runs one bookkeeping write (see `bookkeeping`); the app keeps one in app.state, so that the
# tests can run it in their own transaction.
Bookkeeping = Callable[[Executable, Mapping[str, Any]], bool]


def bookkeeping(engine: Engine, statement: Executable, params: Mapping[str, Any]) -> bool:
    """Run one bookkeeping write in a short transaction of its own, committed at once.

    It never joins the request's transaction, so no row lock is held while the request goes
    on (a signed-in coach's parallel requests once all waited on their session row), and on
    SQLite a page that only reads stays a reader. The write waits at most
    `brief_wait_ms` for a lock; when it cannot have one, or the database fails, it is
    skipped and False returned.
    """
    sqlite = engine.dialect.name == "sqlite"
    written = False
    try:
        with engine.connect() as conn:
            if sqlite:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BRIEF_WAIT_MS}")
                conn.commit()
            try:
                if sqlite:
                    # Options change the connection in place (SQLAlchemy 2): set back below.
                    conn.execution_options(
                        **{SQLITE_IMMEDIATE: True, SQLITE_WRITE_WAIT: SQLITE_BRIEF_WAIT_MS}
                    )
                with conn.begin():
                    if not sqlite:
                        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{BOOKKEEPING_WAIT_MS}ms'")
                    conn.execute(statement, dict(params))
                written = True
            finally:
                if sqlite:
                    # Set back the usual wait in a plain transaction: with the options of the
                    # write it would wait for the write lock again, and a writer that came
                    # just after would fail it, saying a write that was made was skipped (a
                    # share link's opening was counted twice so).
                    conn.execution_options(**{SQLITE_IMMEDIATE: False})
                    _restore_busy_timeout(conn)
    except (OperationalError, PoolTimeout) as exc:
        if not written:
            log.info("bookkeeping write skipped: %s", type(getattr(exc, "orig", exc)).__name__)
    return written


def _restore_busy_timeout(conn: Connection) -> None:
    """The usual busy time-out on a pooled SQLite connection; one that cannot have it back
    is not used again (it would fail others' writes after a few milliseconds)."""
    try:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
        conn.commit()
    except OperationalError:
        conn.invalidate()
        raise


@contextmanager
def brief_lock_wait(session: Session, wait_ms: int) -> Iterator[None]:
    """Within the block, the session's writes wait at most `wait_ms` for a lock and then
    fail with OperationalError (instead of SQLite's busy time-out of seconds or PostgreSQL's
    lock time-out). For counts that have somewhere else to go when the lock is busy. Commit
    after the block: the connection's usual wait is set back before it goes to the pool."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    connection = session.connection()
    if sqlite:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={int(wait_ms)}")
    else:
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(wait_ms)}ms'")
    try:
        yield
    finally:
        if sqlite:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")


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
        if not in_memory:
            pool["pool_timeout"] = POOL_TIMEOUT_SECONDS
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, hide_parameters=True, **pool
        )
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        turns = _WriterTurns()
        event.listen(engine, "begin", turns.begin)
        event.listen(engine, "commit", turns.end)
        event.listen(engine, "rollback", turns.end)
        # However a transaction ends, the turn is given back (also when its connection is
        # reset, invalidated or returned to the pool without a commit or rollback).
        for pool_event in ("checkin", "reset", "invalidate", "soft_invalidate"):
            event.listen(engine.pool, pool_event, turns.checked_in, named=True)
            event.listen(engine.pool, pool_event, _forget_reader, named=True)
        event.listen(engine, "before_cursor_execute", _watch_declared_readers)
    else:
        engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=20,
            max_overflow=20,
            pool_timeout=POOL_TIMEOUT_SECONDS,
            hide_parameters=True,
            connect_args=_postgres_connect_args(url),
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
def transaction(
    engine: Engine,
    *,
    read_only: bool = False,
    writes: bool = False,
    snapshot: bool = False,
    reader: bool = False,
) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error.

    `read_only`: the block only reads. On PostgreSQL it then runs without a transaction
    (autocommit): under READ COMMITTED every statement reads its own snapshot anyway, so a
    transaction around reads only adds the BEGIN and COMMIT round trips (2 of 8 per JWT
    verification).

    `reader`: the block was declared not to write (a request that reads: app.deps). On
    SQLite a write in it is logged or refused (_DECLARED_READER); bookkeeping writes go
    through transactions of their own (`bookkeeping`).

    `writes`: the block will write. On SQLite it then takes the write lock when it begins
    (BEGIN IMMEDIATE), waiting its turn: a transaction that read first could not upgrade
    once another one had committed (SQLITE_BUSY_SNAPSHOT, which no busy time-out waits out),
    and one of any two overlapping writers failed.

    `snapshot`: every read of the block sees the database as it was at its first read, so
    that what is derived from several reads belongs together (a page kept by the digest of
    what it was made from: app/web/public.py). On PostgreSQL REPEATABLE READ; on SQLite a
    transaction is such a snapshot already (WAL mode).
    """
    with Session(engine, expire_on_commit=False) as session:
        if snapshot and engine.dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        elif read_only and engine.dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        elif writes and engine.dialect.name == "sqlite":
            session.connection(execution_options={SQLITE_IMMEDIATE: True})
        elif reader and engine.dialect.name == "sqlite":
            session.connection().info[_DECLARED_READER] = True
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
