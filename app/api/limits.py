"""The rate-limit dependency of the verification API (anonymous callers and API keys)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime
from functools import partial
from weakref import WeakKeyDictionary

from fastapi import Request, Response
from sqlmodel import Session

from app.api.threads import in_thread
from app.clients.leases import LimitLeases
from app.clients.service import LimitState, authenticate_key
from app.config import Settings
from app.deps import SessionFactory, SessionFactoryDep
from app.errors import RateLimited, Unauthorized
from app.models.base import utcnow

log = logging.getLogger(__name__)


def api_key_of(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return None


# The lease refills under way, per event loop (`RequestCount.refill`).
_refills: WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[int, str], asyncio.Future[None]]
] = WeakKeyDictionary()


class CountNeedsWrite(Exception):
    """Counting the request needs a write to the shared count first (`take(may_write=False)`);
    nothing was counted."""


class RequestCount:
    """The rate-limit count of one request, taken exactly once.

    The handler takes it first thing in the worker thread that then does the request's
    work (`take`), or on its own before other work (`take_now`); a request that ends
    before either (a body too large, an unsupported media type) is counted when it ends.
    Taking it raises Unauthorized for a bad API key and RateLimited past the limit.
    """

    def __init__(
        self,
        sessions: SessionFactory,
        leases: LimitLeases,
        key: str | None,
        anonymous: tuple[str, int],
        now: datetime,
    ) -> None:
        # The request's transactions (the verification API opens its own with them).
        self.sessions = sessions
        self._sessions = sessions
        self._leases = leases
        self._key = key
        self._anonymous = anonymous
        self._now = now
        self.attempted = False
        self.limit = 0
        self.state: LimitState | None = None
        self.bucket: str | None = None

    @property
    def api_key(self) -> str | None:
        """The API key the request presented, if any."""
        return self._key

    def take(
        self,
        session: Session | None = None,
        *,
        may_write: bool = True,
        client: Callable[[str], tuple[int, int]] | None = None,
    ) -> None:
        """Count the request (blocking: call it in a worker thread) and enforce the limit.

        `session`, the request's own transaction if it has one, is used to read the API
        key; the count itself is written in a transaction of its own (see LimitLeases).
        Without `may_write`, the request is counted only from this instance's lease, and
        CountNeedsWrite is raised, with nothing counted, where a reservation is needed.
        `client`, where the caller read the key's client already, gives its id and limit
        (app.clients.service.authenticate_key_row) and nothing is read here.
        """
        if not self.attempted:
            self.attempted = True
            try:
                self.state, self.limit = self._count(session, may_write=may_write, client=client)
            except CountNeedsWrite:
                self.attempted = False
                raise
        self._enforce()

    async def take_now(self) -> None:
        await in_thread(self.take)

    def _count(
        self,
        session: Session | None = None,
        *,
        may_write: bool = True,
        client: Callable[[str], tuple[int, int]] | None = None,
    ) -> tuple[LimitState, int]:
        if self._key:
            if client is not None:
                client_id, limit = client(self._key)
            elif session is None:
                with self._sessions(read_only=True) as own:
                    client_id, limit = authenticate_key(own, self._key)
            else:
                client_id, limit = authenticate_key(session, self._key)
            bucket = f"client:{client_id}"
        else:
            bucket, limit = self._anonymous
        self.bucket = bucket
        if not may_write:
            unwritten = self._leases.count_unwritten(bucket=bucket, limit=limit, now=self._now)
            if unwritten is None:
                self.limit = limit  # for `refill`
                raise CountNeedsWrite(bucket)
            return unwritten, limit
        state = self._leases.count(self._sessions, bucket=bucket, limit=limit, now=self._now)
        return state, limit

    async def refill(self) -> None:
        """After CountNeedsWrite: have this instance's lease of the caller's count refilled.

        The reservation is written in a worker thread, one per bucket at a time; requests
        on this event loop that find the lease empty meanwhile wait for that one here
        rather than each in a thread of its own (a thread waits for the GIL while the loop
        verifies, once for every query it makes).
        """
        assert self.bucket is not None
        loop = asyncio.get_running_loop()
        pending = _refills.setdefault(loop, {})
        key = (id(self._leases), self.bucket)
        refill = pending.get(key)
        if refill is None:
            refill = pending[key] = asyncio.ensure_future(
                in_thread(
                    partial(
                        self._leases.reserve,
                        self._sessions,
                        bucket=self.bucket,
                        limit=self.limit,
                        now=self._now,
                    )
                )
            )
            refill.add_done_callback(lambda _: pending.pop(key, None))
        await asyncio.shield(refill)

    def require(self, units: int) -> None:
        """Refuse up front work that would take the caller past its limit (a batch of
        `units` items counts as that many requests; this request's own unit is taken)."""
        if self.state is not None and units - 1 > self.state.remaining:
            raise RateLimited(
                f"These {units} credentials count as {units} requests, and at most "
                f"{self.state.remaining + 1} remain of {self.limit} this minute. Send fewer at "
                f"a time, or try again in {self.state.retry_after} seconds.",
                retry_after=self.state.retry_after,
            )

    def charge(self, units: int) -> None:
        """Count the work a request did beyond its own unit (blocking: a worker thread)."""
        if self.bucket is not None and units > 1:
            self._leases.spend(self._sessions, bucket=self.bucket, units=units - 1, now=self._now)
            if self.state is not None:  # the answer's X-RateLimit-Remaining says so too
                self.state = replace(
                    self.state, remaining=max(self.state.remaining - (units - 1), 0)
                )

    def _enforce(self) -> None:
        if self.state is None or self.state.allowed:
            return
        raise RateLimited(
            f"Too many verification requests: at most {self.limit} a minute. "
            f"Try again in {self.state.retry_after} seconds"
            + ("." if self._key else ", or ask for an API key for a higher limit."),
            retry_after=self.state.retry_after,
        )

    def add_headers(self, response: Response) -> Response:
        """X-RateLimit-Limit and X-RateLimit-Remaining on an answer."""
        if self.state is not None:
            response.headers["X-RateLimit-Limit"] = str(self.limit)
            response.headers["X-RateLimit-Remaining"] = str(self.state.remaining)
        return response


async def rate_limit(request: Request, sessions: SessionFactoryDep) -> AsyncIterator[RequestCount]:
    """Count the request; 429 with Retry-After past the caller's limit per minute.

    The only dependency of the verification routes besides the app-wide input guard: each
    one FastAPI solves costs CPU on every request, so the settings are read here from the
    app state (as `get_app_settings` does) and the routes take the transactions from the
    count. `sessions` stays a dependency: tests put it in their own transaction.
    """
    key = api_key_of(request)
    host = request.client.host if request.client else "unknown"
    settings: Settings = request.app.state.settings
    count = RequestCount(
        sessions,
        request.app.state.limit_leases,
        key,
        (f"ip:{host}", settings.rate_limit_anonymous),
        utcnow(),
    )
    try:
        yield count
    finally:
        if not count.attempted:
            # The request ended before it was counted: it still counts.
            count.attempted = True
            try:
                count.state, count.limit = await in_thread(count._count)
            except Unauthorized:
                pass  # a bad key is never counted, as when it is refused up front
            except Exception:  # the request has its answer already; say why it was not counted
                log.exception("could not count a verification request")
