"""API keys for schools' systems and rate limits that hold across app instances.

The counters live in the database (one row per client or address and minute, incremented
with an atomic upsert), so every instance behind the load balancer sees the same counts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, bindparam, delete
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.errors import NotFound, Unauthorized, ValidationFailed
from app.fingerprints import part
from app.models import ApiClient, RateLimitCounter
from app.models.base import utcnow

KEY_PREFIX = "op"
KEEP_WINDOWS_MINUTES = 60


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_client(
    session: Session, *, name: str, requests_per_minute: int, now: datetime | None = None
) -> tuple[ApiClient, str]:
    """Register a client; returns it and the key, which is shown only this once."""
    name = name.strip()
    if not name:
        raise ValidationFailed("Give the client (school) a name.")
    if requests_per_minute < 1:
        raise ValidationFailed("The limit must be at least one request per minute.")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    client = ApiClient(
        name=name,
        key_prefix=prefix,
        key_hash=_hash(secret),
        requests_per_minute=requests_per_minute,
        created_at=now or utcnow(),
    )
    session.add(client)
    session.flush()
    return client, f"{KEY_PREFIX}_{prefix}_{secret}"


def revoke_client(session: Session, prefix: str, now: datetime | None = None) -> ApiClient:
    client = session.exec(select(ApiClient).where(ApiClient.key_prefix == prefix)).first()
    if client is None:
        raise NotFound(f"No API client with the key prefix {prefix}.")
    client.revoked_at = now or utcnow()
    session.add(client)
    return client


def _key_parts(key: str) -> tuple[str, str]:
    parts = key.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise Unauthorized("The API key is not valid.")
    return parts[1], parts[2]


# Core, not ORM: the API reads these four columns on every request.
_CLIENT_BY_PREFIX = core_select(
    col(ApiClient.id),
    col(ApiClient.key_hash),
    col(ApiClient.revoked_at),
    col(ApiClient.requests_per_minute),
).where(col(ApiClient.key_prefix) == bindparam("prefix"))


def client_part(*, width: int) -> Any:
    """`_CLIENT_BY_PREFIX` as a part of a union of text rows (app.fingerprints.part), for
    reading the client in the round trip of another read (app/api/verifications.py); its
    rows go to `authenticate_key_row`."""
    return part(
        "client",
        col(ApiClient.id),
        col(ApiClient.key_hash),
        col(ApiClient.revoked_at),
        col(ApiClient.requests_per_minute),
        width=width,
    ).where(col(ApiClient.key_prefix) == bindparam("prefix"))


def key_prefix(key: str) -> str:
    """The part of a presented key its client is found by.

    Raises:
        Unauthorized: For a malformed key.
    """
    return _key_parts(key)[0]


def authenticate_key(session: Session, key: str) -> tuple[int, int]:
    """The id and the requests-per-minute limit of the client of a presented key.

    Raises:
        Unauthorized: For a malformed, unknown or revoked key.
    """
    prefix = key_prefix(key)
    return authenticate_key_row(
        key, session.connection().execute(_CLIENT_BY_PREFIX, {"prefix": prefix}).first()
    )


def authenticate_key_row(key: str, row: Sequence[Any] | None) -> tuple[int, int]:
    """`authenticate_key` with the client's row read by the caller: its id, key hash,
    revocation time and limit (as values or as their text, `client_part`), or None.

    Raises:
        Unauthorized: For a malformed, unknown or revoked key.
    """
    _prefix, secret = _key_parts(key)
    if row is None or not hmac.compare_digest(str(row[1]), _hash(secret)):
        raise Unauthorized("The API key is not valid.")
    if row[2] is not None:
        raise Unauthorized("The API key has been revoked.")
    return int(row[0]), int(row[3])


def authenticate(session: Session, key: str) -> ApiClient:
    """The client of a presented key.

    Raises:
        Unauthorized: For a malformed, unknown or revoked key.
    """
    prefix, secret = _key_parts(key)
    client = session.exec(select(ApiClient).where(ApiClient.key_prefix == prefix)).first()
    if client is None or not hmac.compare_digest(client.key_hash, _hash(secret)):
        raise Unauthorized("The API key is not valid.")
    if client.revoked_at is not None:
        raise Unauthorized("The API key has been revoked.")
    return client


@dataclass(frozen=True)
class LimitState:
    allowed: bool
    remaining: int
    retry_after: int


def _upsert(dialect: str) -> Insert:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = RateLimitCounter.__table__  # type: ignore[attr-defined]
    return (
        insert(table)
        .values(bucket=bindparam("bucket"), window_start=bindparam("minute"), count=bindparam("n"))
        .on_conflict_do_update(
            index_elements=["bucket", "window_start"],
            set_={"count": table.c.count + bindparam("n")},
        )
        .returning(table.c.count)
    )


# One atomic statement per request, built once per dialect (a Core table insert: the ORM's
# bulk-insert machinery cost more than the statement itself).
_UPSERTS = {dialect: _upsert(dialect) for dialect in ("postgresql", "sqlite")}


def add_to_window(session: Session, *, bucket: str, minute: int, units: int = 1) -> int:
    """Add `units` to a bucket's count in one minute's window; returns the new count.

    One atomic statement: concurrent callers on any instance each see a distinct total.
    """
    dialect = session.get_bind().dialect.name
    stmt = _UPSERTS["postgresql" if dialect == "postgresql" else "sqlite"]
    params = {"bucket": bucket, "minute": minute, "n": units}
    count = int(session.connection().execute(stmt, params).scalar_one())
    if count == units and secrets.randbelow(50) == 0:
        # Now and then, forget windows older than any limit looks back (sign-in lock-outs
        # sum up to an hour of windows).
        session.execute(
            delete(RateLimitCounter).where(
                col(RateLimitCounter.window_start) < minute - KEEP_WINDOWS_MINUTES
            )
        )
    return count


def retry_after_seconds(now: datetime) -> int:
    """Seconds until the next minute's window begins."""
    return 60 - int(now.timestamp()) % 60


class LocalWindows:
    """Counts kept in this process, for when the shared count cannot be written at once
    (SQLite's write lock busy under a burst of writes): the limit then still holds per
    instance, and the page does not fail or wait. Never the only count in normal running."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def hit(self, *, bucket: str, limit: int, now: datetime) -> LimitState:
        minute = int(now.timestamp()) // 60
        with self._lock:
            for key in [k for k in self._counts if k[1] < minute]:
                del self._counts[key]
            count = self._counts.get((bucket, minute), 0) + 1
            self._counts[(bucket, minute)] = count
        return LimitState(count <= limit, max(limit - count, 0), retry_after_seconds(now))


def hit(session: Session, *, bucket: str, limit: int, now: datetime) -> LimitState:
    """Count one request in the current minute and say whether it is within the limit."""
    minute = int(now.timestamp()) // 60
    count = add_to_window(session, bucket=bucket, minute=minute)
    return LimitState(count <= limit, max(limit - count, 0), retry_after_seconds(now))
