"""The rate-limit dependency of the verification API (anonymous callers and API keys)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from sqlmodel import Session

from app.clients.service import authenticate, hit
from app.deps import SessionDep, SettingsDep, get_limit_session
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


def rate_limit(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    limit_session: Annotated[Session, Depends(get_limit_session, scope="function")],
) -> None:
    """Count the request; 429 with Retry-After past the caller's limit per minute."""
    key = api_key_of(request)
    if key:
        client = authenticate(session, key)
        bucket, limit = f"client:{client.id}", client.requests_per_minute
    else:
        host = request.client.host if request.client else "unknown"
        bucket, limit = f"ip:{host}", settings.rate_limit_anonymous
    state = hit(limit_session, bucket=bucket, limit=limit, now=utcnow())
    # Commit at once: the count stands even if the request fails, and the write lock (on
    # SQLite, the whole database) is not held while the request does its own work.
    limit_session.commit()
    # Hand the connection back to the pool now rather than when the response is sent: a
    # request would otherwise hold two connections while it verifies.
    limit_session.close()
    response.headers["X-RateLimit-Limit"] = str(limit)
    response.headers["X-RateLimit-Remaining"] = str(state.remaining)
    if not state.allowed:
        raise RateLimited(
            f"Too many verification requests: at most {limit} a minute. "
            f"Try again in {state.retry_after} seconds"
            + ("." if key else ", or ask for an API key for a higher limit."),
            retry_after=state.retry_after,
        )
