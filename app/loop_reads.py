"""One-statement reads on the event loop, for PostgreSQL (decision 0021).

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

The pool is opened and closed with the application (app.main.lifespan): there is none
where the lifespan does not run, and callers then take the usual way.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
    """A statement compiled for psycopg, with its parameters: `prepare` is given a value for
    each (the expanding ones are written out for theirs); all but the expanding ones may be
    given again to `LoopReads.rows`."""

    sql: str
    params: Mapping[str, Any]

    @classmethod
    def prepare(cls, compiled: SQLCompiler, values: Mapping[str, Any]) -> Read:
        state = compiled.construct_expanded_state(dict(values))
        return cls(state.statement, dict(state.parameters))


class LoopReads:
    """A small pool of asyncio connections to the engine's PostgreSQL database."""

    def __init__(self, engine: Engine, connect_kwargs: Mapping[str, Any], *, size: int = 4):
        self.engine = engine
        self.size = size
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
        """The rows of `read` (with `params` replacing its own), or None where the database
        could not give them now."""
        try:
            async with self._pool.connection() as conn:
                cursor = await conn.execute(read.sql, {**read.params, **params})
                return await cursor.fetchall()
        except psycopg.Error as exc:  # the pool's time-out and closing are psycopg errors too
            log.info("read on the loop not done (%s): the usual way", type(exc).__name__)
            return None
