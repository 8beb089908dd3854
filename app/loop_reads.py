"""One-statement reads on the event loop (decision 0021).

A request answered from what an instance kept (a verification answer, decision 0020) needs
one read to know that what it kept is still true. On SQLite that read runs on the event
loop already (app/api/threads.py). On PostgreSQL every query goes through a worker thread
and SQLAlchemy's pool (a ping on every check-out): the hand-offs between the loop and the
thread, and the GIL they contend for, cost more CPU than the answer itself.

`LoopReads` sends such a read from the event loop itself, with psycopg's asyncio interface
and psycopg's own connection pool (psycopg_pool): connections in autocommit with the same
time-outs as the engine's, no ping (a broken connection is found by the read itself, and
thrown away by the pool). A read that fails for any reason of the database's (a terminated
connection, no connection free within `timeout`, a time-out) returns None: the caller
then does its work the usual way, in a worker thread, which answers a database that is
really gone with its clear 503. Nothing here decides anything; it only reads.

On SQLite (`SqliteReads`) the read is sent on a connection of this process's own, opened
read-only, straight from the loop: the database is in the process and in WAL mode a reader
waits for no writer (app/api/threads.py), so the read is CPU work only, which SQLAlchemy's
session, pool and result machinery had more than doubled.

The reads are opened and closed with the application (app.main.lifespan): there are none
where the lifespan does not run, and callers then take the usual way.
"""

from __future__ import annotations

import logging
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import Engine
from sqlalchemy.sql.compiler import SQLCompiler

log = logging.getLogger(__name__)

# How these connections are named in pg_stat_activity.
APPLICATION_NAME = "osaamispassi-loop-reads"
# Reads wait this long at most for a free connection before the caller takes the usual way.
POOL_WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class Read:
    """A statement compiled for the engine's driver, with its parameters: `prepare` is given
    a value for each (the expanding ones are written out for theirs); all but the expanding
    ones may be given again (`values`). Values go through their types' bind processors, as
    SQLAlchemy's own execution would send them (a datetime as SQLite stores it)."""

    sql: str
    params: Mapping[str, Any]
    # The names of the positional parameters in order (drivers with `?` placeholders).
    positions: tuple[str, ...] | None = None
    processors: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)

    @classmethod
    def prepare(cls, compiled: SQLCompiler, values: Mapping[str, Any]) -> Read:
        state = compiled.construct_expanded_state(dict(values))
        dialect = compiled.dialect
        processors = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[name] = processor
        positions = tuple(state.positiontup) if state.positiontup is not None else None
        params = _processed(processors, state.parameters)
        return cls(state.statement, params, positions, processors)

    def values(self, given: Mapping[str, Any]) -> Mapping[str, Any] | tuple[Any, ...]:
        """The parameters with `given` replacing the prepared ones, as the driver takes them."""
        merged = {**self.params, **_processed(self.processors, given)}
        if self.positions is None:
            return merged
        return tuple(merged[name] for name in self.positions)


def _processed(
    processors: Mapping[str, Callable[[Any], Any]], values: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        name: processors[name](value) if name in processors else value
        for name, value in values.items()
    }


class LoopReads(ABC):
    """Reads of one statement each, sent from the event loop."""

    def __init__(self, engine: Engine, *, size: int) -> None:
        self.engine = engine
        self.size = size

    @abstractmethod
    async def open(self) -> None:
        """Make the reads possible (called by the application's lifespan)."""

    @abstractmethod
    async def close(self) -> None:
        """Give back what `open` took."""

    @abstractmethod
    async def rows(self, read: Read, **params: Any) -> Sequence[tuple[Any, ...]] | None:
        """The rows of `read` (with `params` replacing its own), or None where the database
        could not give them now: the caller then takes the usual way."""


def loop_reads(engine: Engine) -> LoopReads | None:
    """The reads on the loop for this engine's database, or None (an in-memory database)."""
    if engine.dialect.name == "postgresql":
        from app.db import postgres_connect_kwargs

        return PostgresReads(engine, postgres_connect_kwargs(engine))
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        return SqliteReads(engine, database)
    return None


class SqliteReads(LoopReads):
    """One connection to the SQLite file that only reads (`query_only`), used from the
    event loop's thread."""

    def __init__(self, engine: Engine, path: str) -> None:
        super().__init__(engine, size=1)
        self._path = path
        self._connection: sqlite3.Connection | None = None

    async def open(self) -> None:
        try:
            self._connection = sqlite3.connect(
                self._path,
                isolation_level=None,  # each statement its own snapshot
                check_same_thread=False,  # opened by the lifespan, used by the loop
            )
            self._connection.execute("PRAGMA query_only = ON")
        except sqlite3.Error as exc:
            log.info("no reads on the loop (%s): the usual way", type(exc).__name__)

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def rows(self, read: Read, **params: Any) -> Sequence[tuple[Any, ...]] | None:
        if self._connection is None:
            return None
        try:
            return self._connection.execute(read.sql, read.values(params)).fetchall()
        except sqlite3.Error as exc:
            log.info("read on the loop not done (%s): the usual way", type(exc).__name__)
            return None


class PostgresReads(LoopReads):
    """A small pool of asyncio connections to the engine's PostgreSQL database."""

    def __init__(self, engine: Engine, connect_kwargs: Mapping[str, Any], *, size: int = 4):
        super().__init__(engine, size=size)
        self._pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]] = AsyncConnectionPool(
            kwargs={**connect_kwargs, "autocommit": True, "application_name": APPLICATION_NAME},
            min_size=1,
            max_size=size,
            timeout=POOL_WAIT_SECONDS,
            open=False,
            name="loop-reads",
        )

    async def open(self) -> None:
        # Not waiting for the first connection: the service starts while the database is
        # away, and reads take the usual way until it is back.
        await self._pool.open(wait=False)

    async def close(self) -> None:
        await self._pool.close()

    async def rows(self, read: Read, **params: Any) -> Sequence[tuple[Any, ...]] | None:
        try:
            async with self._pool.connection() as conn:
                cursor = await conn.execute(read.sql, read.values(params))
                return await cursor.fetchall()
        except psycopg.Error as exc:  # the pool's time-out and closing are psycopg errors too
            log.info("read on the loop not done (%s): the usual way", type(exc).__name__)
            return None
