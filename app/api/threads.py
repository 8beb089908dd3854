"""The worker threads the verification API runs its blocking work in.

Verifying is blocking work (database queries, signature checks and, for other issuers'
credentials, fetches of their documents with a time-out of seconds). It runs in worker
threads so that no request stalls the event loop, in two pools:

- `in_thread`: work that does not wait on other hosts (the rate-limit count, and a first
  pass of every verification with fetching turned off, `app.net.fetch.NoNetwork`). It is
  CPU work under the GIL, and threads contending for the GIL cost CPU of their own:
  bench/api_throughput.py, one worker, JWT verifications, the server's CPU time per
  request with 2 threads 1.9 ms, 4 threads 2.2 ms, 8 threads 3.3 ms (2026-12-01).
  `LOCAL_THREADS` is therefore small; the database queries on PostgreSQL are the only
  waits in it.
- `in_network_thread`: work that may wait on other hosts (a verification whose first pass
  needed a document from the network, a batch, a credential URL). Waiting does not hold the
  GIL, so more threads are fine, and one slow host cannot hold up the verification of the
  service's own credentials in the other pool.

On SQLite (`reads_wait_on_nothing`) the first pass of a JSON verification runs on the event
loop itself, as long as it only reads: the database is in the process and its readers do
not wait for a writer (WAL), so the pass is CPU work only, which holds the GIL in a worker
thread just the same. The hand-off to a thread and back, and the contention of the loop and
the worker for the GIL, cost CPU of their own: bench/api_throughput.py, one instance, JWT,
the server's CPU per request 2.03 ms in a thread and 1.70 ms on the loop (2026-12-03, a
busy machine; fewer context switches, 1.9 against 6 to 21 per request). Whatever may wait
still goes to a thread: a rate-limit reservation or charge (a write waits for SQLite's
write lock), a fetch, and every query on PostgreSQL (a round trip).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import anyio
import anyio.to_thread
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

T = TypeVar("T")

LOCAL_THREADS = 2
NETWORK_THREADS = 16

# One limiter per event loop and pool (anyio primitives belong to the loop they are used in;
# tests run several loops in one process).
_limiters: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, anyio.CapacityLimiter]] = (
    WeakKeyDictionary()
)


def _limiter(pool: str, size: int) -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    pools = _limiters.get(loop)
    if pools is None:
        pools = _limiters[loop] = {}
    limiter = pools.get(pool)
    if limiter is None:
        limiter = pools[pool] = anyio.CapacityLimiter(size)
    return limiter


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run `fn(*args)`, which must not wait on other hosts, in a worker thread."""
    return await anyio.to_thread.run_sync(fn, *args, limiter=_limiter("local", LOCAL_THREADS))


async def in_network_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run `fn(*args)`, which may wait on other hosts, in a worker thread."""
    return await anyio.to_thread.run_sync(fn, *args, limiter=_limiter("network", NETWORK_THREADS))


def reads_wait_on_nothing(engine: Engine) -> bool:
    """True when a read-only block on `engine` may run on the event loop: an SQLite file
    (WAL: readers do not wait for the writer) with a connection free in its pool (a
    check-out never waits for another request's connection)."""
    pool = engine.pool
    return (
        engine.dialect.name == "sqlite"
        and isinstance(pool, QueuePool)
        and pool.checkedout() < pool.size()
    )
