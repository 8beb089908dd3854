"""The rate-limit dependency of the verification API (anonymous callers and API keys)."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request, Response

from app.api.threads import in_thread
from app.clients.service import LimitState, authenticate_key, hit
from app.db import SQLITE_IMMEDIATE
from app.deps import SessionFactory, SessionFactoryDep, SettingsDep
from app.errors import RateLimited
from app.models.base import utcnow


def api_key_of(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return None


def _count(
    sessions: SessionFactory, key: str | None, anonymous: tuple[str, int], now: datetime
) -> tuple[LimitState, int]:
    # Its own transaction, committed at once: the count stands even if the request fails,
    # the write lock (on SQLite, the whole database) is not held while the request does its
    # own work, and the connection goes back to the pool before the verification takes one.
    with sessions() as session:
        session.connection(execution_options={SQLITE_IMMEDIATE: True})
        if key:
            client_id, limit = authenticate_key(session, key)
            bucket = f"client:{client_id}"
        else:
            bucket, limit = anonymous
        return hit(session, bucket=bucket, limit=limit, now=now), limit


async def rate_limit(
    request: Request, response: Response, settings: SettingsDep, sessions: SessionFactoryDep
) -> None:
    """Count the request; 429 with Retry-After past the caller's limit per minute."""
    key = api_key_of(request)
    host = request.client.host if request.client else "unknown"
    # One hop to a worker thread for the key look-up and the count together.
    state, limit = await in_thread(
        _count, sessions, key, (f"ip:{host}", settings.rate_limit_anonymous), utcnow()
    )
    response.headers["X-RateLimit-Limit"] = str(limit)
    response.headers["X-RateLimit-Remaining"] = str(state.remaining)
    if not state.allowed:
        raise RateLimited(
            f"Too many verification requests: at most {limit} a minute. "
            f"Try again in {state.retry_after} seconds"
            + ("." if key else ", or ask for an API key for a higher limit."),
            retry_after=state.retry_after,
        )
