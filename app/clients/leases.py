"""Rate limits at high request rates: the shared count is reserved a few units at a time.

The count of each client (or address) and minute lives in the database, so a limit holds
across every app instance (`app.clients.service.add_to_window`). Writing that count on every
request makes one busy client's requests queue up behind each other: on PostgreSQL each
waits for the previous one's commit to release the counter row, on SQLite for the
database's single write lock.

So an instance serving a busy client reserves a *lease* of several units of the shared
count in one write and spends them on the following requests without writing. The limit
still holds across instances, because a unit is only spent after it has been added to the
shared count. What a lease can cost is a little of the limit: units an instance reserved
and has not spent when the minute ends are lost for that minute. That is bounded:

- a lease is at most 1 % of the limit (and at most `MAX_LEASE` units), so with N instances
  a client can be refused at most N % early; limits under 200 a minute get leases of one
  unit and are counted exactly, request by request;
- a lease grows (doubling) only while this instance reserves its units faster than one
  reservation a second, and falls back to one unit when the client slows down, so a client
  sending less than a request a second is counted exactly whatever its limit.

An instance writes one reservation per client at a time: requests that find the lease
empty while one is being written wait for it (`LimitLeases.reserve`), so a burst does not
write a lease per request, past the bound above. The verification API counts on the event
loop from the lease alone (`count_unwritten`) and sends only the reservation to a thread.

Once the shared count of a minute has reached the limit, nothing can lower it again in that
minute: the instance answers the client's further requests in that minute with 429 without
asking the database.

The leases are the only rate-limit state in process memory; losing it (a restart) loses at
most the reserved units, never lets a client past its limit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app.clients.service import LimitState, add_to_window, retry_after_seconds
from app.db import SQLITE_IMMEDIATE, Transactions

MAX_LEASE = 128
LEASE_SHARE_OF_LIMIT = 100  # a lease is at most 1/100 of the limit
FAST_RESERVATIONS_SECONDS = 1.0  # grow the lease while reservations come faster than this


@dataclass
class _Lease:
    size: int = 0  # units asked for by the last reservation
    reserved_at: float = 0.0  # monotonic time of the last reservation
    left: int = 0  # units reserved and not yet spent
    shared: int = 0  # the shared count as the last reservation left it
    reserving: bool = False  # a reservation of this lease is being written


def lease_cap(limit: int) -> int:
    """The most units one reservation may take for a client with this limit."""
    return max(1, min(limit // LEASE_SHARE_OF_LIMIT, MAX_LEASE))


class LimitLeases:
    """One app instance's leases of shared rate-limit counts (thread-safe)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._reserved = threading.Condition(self._lock)  # a reservation has ended
        self._leases: dict[tuple[str, int], _Lease] = {}
        self._minute = 0
        self.reservations = 0  # writes to the shared count (for tests and benchmarks)

    def count_unwritten(self, *, bucket: str, limit: int, now: datetime) -> LimitState | None:
        """`count`, where that needs no write: a unit of this instance's lease, or the refusal
        of a client whose shared count has reached its limit this minute. None (and nothing
        counted) when a reservation has to be written first."""
        with self._lock:
            return self._count_from_lease(bucket, limit, now)

    def _count_from_lease(self, bucket: str, limit: int, now: datetime) -> LimitState | None:
        """The unwritten part of `count` (call with the lock held)."""
        retry_after = retry_after_seconds(now)
        lease = self._current(bucket, int(now.timestamp()) // 60)
        if lease.left > 0:
            lease.left -= 1
            return LimitState(True, max(limit - lease.shared, 0) + lease.left, retry_after)
        if lease.shared >= limit:
            return LimitState(False, 0, retry_after)
        return None

    def count(
        self,
        sessions: Transactions,
        *,
        bucket: str,
        limit: int,
        now: datetime,
    ) -> LimitState:
        """Count one request of `bucket` in the minute of `now` against `limit` a minute.

        `sessions` opens a transaction (committed when its block ends) for a reservation.
        """
        while True:
            state = self.count_unwritten(bucket=bucket, limit=limit, now=now)
            if state is not None:
                return state
            self.reserve(sessions, bucket=bucket, limit=limit, now=now)

    def reserve(self, sessions: Transactions, *, bucket: str, limit: int, now: datetime) -> None:
        """Reserve the next units of `bucket`'s count in the minute of `now` for this
        instance's lease, unless it still has units or the limit has been reached.

        One reservation per bucket at a time: a request that finds one being written waits
        for it instead of writing another (requests that found the lease empty together
        would otherwise each reserve one, past the bound of a lease).
        """
        minute = int(now.timestamp()) // 60
        with self._lock:
            while True:
                lease = self._current(bucket, minute)
                if lease.left > 0 or lease.shared >= limit:
                    return
                if not lease.reserving:
                    break
                self._reserved.wait()
            fast = self._clock() - lease.reserved_at < FAST_RESERVATIONS_SECONDS
            size = min(max(lease.size * 2, 1), lease_cap(limit)) if fast else 1
            lease.size, lease.reserved_at, lease.reserving = size, self._clock(), True
        # The write happens outside the lock: other buckets' requests do not wait for it.
        # Its own transaction, committed at once, so the units count even if the request
        # fails, and the write lock (on SQLite, the whole database) is not held while the
        # request does its work.
        try:
            with sessions() as session:
                session.connection(execution_options={SQLITE_IMMEDIATE: True})
                shared = add_to_window(session, bucket=bucket, minute=minute, units=size)
        except BaseException:
            with self._lock:
                lease.reserving = False
                self._reserved.notify_all()
            raise
        granted = min(size, max(limit - (shared - size), 0))
        with self._lock:
            lease.reserving = False
            self._reserved.notify_all()
            self.reservations += 1
            current = self._current(bucket, minute)
            current.shared = max(current.shared, shared)
            current.left += granted

    def spend(self, sessions: Transactions, *, bucket: str, units: int, now: datetime) -> None:
        """Add `units` more to `bucket`'s count in the minute of `now`: work a request did
        beyond the one unit `count` took (a batch, endorsements). From this instance's
        lease first, the rest written to the shared count; never refuses (the work is done),
        but the caller's next requests are refused sooner."""
        if units <= 0:
            return
        minute = int(now.timestamp()) // 60
        with self._lock:
            lease = self._current(bucket, minute)
            local = min(lease.left, units)
            lease.left -= local
            units -= local
        if units == 0:
            return
        with sessions() as session:
            session.connection(execution_options={SQLITE_IMMEDIATE: True})
            shared = add_to_window(session, bucket=bucket, minute=minute, units=units)
        with self._lock:
            self.reservations += 1
            lease = self._current(bucket, minute)
            lease.shared = max(lease.shared, shared)

    def _current(self, bucket: str, minute: int) -> _Lease:
        """The bucket's lease for `minute` (call with the lock held)."""
        if minute > self._minute:
            # A new minute: earlier leases are worthless (a request that began just before
            # the minute changed may still create one, forgotten at the next change).
            self._minute = minute
            self._leases = {k: v for k, v in self._leases.items() if k[1] >= minute}
        lease = self._leases.get((bucket, minute))
        if lease is None:
            lease = self._leases[bucket, minute] = _Lease()
        return lease
