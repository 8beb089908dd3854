"""Admission: at most so many requests inside the application at once; the rest wait their
turn in the event loop.

Every request that reaches the routes holds a worker thread while its synchronous parts
run and up to two database connections (its transaction, plus a short bookkeeping write or
a rate-limit count of its own). Without a bound, a burst of 200 requests at once took all 40
pooled connections in the dependencies of requests whose handlers then waited for a thread
that was itself waiting for a connection: requests timed out after the pool's 10 s with
503s, and `/readyz` went silent. A request waiting here holds neither a thread nor a
connection, so with `MAX_CONCURRENT_REQUESTS` at most half the pool (minus room for the
group-award worker and `/readyz`) the pool can never run dry, and the requests are served in
turn. Health checks and static files are not held back.
"""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Receive, Scope, Send

# Never queued: the liveness and readiness probes, and files served from disk.
EXEMPT_PREFIXES = ("/healthz", "/readyz", "/static/")
BUSY_TEXT = (
    "Palvelussa on juuri nyt ruuhkaa. Yritä hetken päästä uudelleen.\n"
    "Tjänsten är överbelastad just nu. Försök igen om en stund.\n"
    "The service is busy right now. Please try again in a moment.\n"
)


class AdmissionMiddleware:
    """Let at most `limit` requests in at once; a request that waited `wait_seconds`
    without its turn gets 503 with Retry-After (problem details under /api/)."""

    def __init__(self, app: ASGIApp, *, limit: int, wait_seconds: float) -> None:
        self.app = app
        self.limit = limit
        self.wait_seconds = wait_seconds
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        if self._slots is None:  # made in the server's event loop
            self._slots = asyncio.Semaphore(self.limit)
        try:
            await asyncio.wait_for(self._slots.acquire(), self.wait_seconds)
        except TimeoutError:
            await _busy(scope, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._slots.release()


async def _busy(scope: Scope, send: Send) -> None:
    if scope["path"].startswith("/api/"):
        body = json.dumps(
            {
                "type": "https://osaamispassi.fi/problems/service-unavailable",
                "title": "Service unavailable",
                "status": 503,
                "detail": "The service is busy right now. Please try again in a moment.",
            }
        ).encode()
        media_type = b"application/problem+json"
    else:
        body, media_type = BUSY_TEXT.encode(), b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", media_type),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"5"),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
