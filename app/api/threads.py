"""The worker threads the verification API runs its blocking work in."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import anyio
import anyio.to_thread

T = TypeVar("T")

# The verification itself is blocking work (database queries, fetches of other issuers'
# documents with a time-out of seconds, signature checks): it runs in worker threads, so that
# one request waiting on the database or the network never stalls the event loop and every
# other request with it. At most VERIFY_THREADS run at once per process: the work is mostly
# CPU under the GIL, and 20 or 40 threads contending for it cost more CPU per verification
# (bench/api_throughput.py, 1 worker, alternating runs: 4 or 8 threads gave 5-20 % more
# verifications/s and a 25-40 % lower p95 than the default 40). Not fewer than 8, since a
# verification may also wait seconds for another issuer's document.
VERIFY_THREADS = 8
# One limiter per event loop (anyio primitives belong to the loop they are used in; tests
# run several loops in one process).
_limiters: WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = WeakKeyDictionary()


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run `fn(*args)` in one of the verification API's worker threads."""
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(VERIFY_THREADS)
    return await anyio.to_thread.run_sync(fn, *args, limiter=limiter)
