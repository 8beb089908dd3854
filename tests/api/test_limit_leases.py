"""Leases of the shared rate-limit count (app/clients/leases.py): exact for slow clients and
small limits, few writes for a busy client, and never past the limit across instances."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from app.clients.leases import LimitLeases, lease_cap
from app.db import Transactions, make_engine, transaction
from tests.conftest import session_factory_override

NOW = datetime(2026, 12, 1, 12, 0, 5, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _sessions(connection: Connection) -> Transactions:
    return session_factory_override(connection)()


def _shared(connection: Connection, bucket: str) -> int:
    row = connection.execute(
        text("SELECT count FROM rate_limit_counter WHERE bucket = :b"), {"b": bucket}
    ).first()
    return int(row[0]) if row else 0


def test_cap_is_one_percent_of_the_limit_within_bounds() -> None:
    assert [lease_cap(n) for n in (1, 30, 199, 200, 600, 10_000, 10**9)] == [
        1,
        1,
        1,
        2,
        6,
        100,
        128,
    ]


def test_a_slow_client_is_counted_exactly(connection: Connection) -> None:
    clock = Clock()
    leases = LimitLeases(clock)
    sessions = _sessions(connection)
    for n in range(1, 6):
        state = leases.count(sessions, bucket="client:slow", limit=10_000, now=NOW)
        assert state.allowed and state.remaining == 10_000 - n
        assert _shared(connection, "client:slow") == n
        clock.now += 2  # a request every two seconds
    assert leases.reservations == 5


def test_a_small_limit_is_counted_exactly_however_fast(connection: Connection) -> None:
    leases = LimitLeases(Clock())
    sessions = _sessions(connection)
    states = [leases.count(sessions, bucket="ip:a", limit=30, now=NOW) for _ in range(32)]
    assert [s.allowed for s in states] == [True] * 30 + [False] * 2
    assert [s.remaining for s in states[:3]] == [29, 28, 27]
    # One write per request; the refusals wrote nothing, the count being used up.
    assert _shared(connection, "ip:a") == 30
    assert leases.reservations == 30


def test_a_busy_client_writes_rarely(connection: Connection) -> None:
    leases = LimitLeases(Clock())  # the clock stands still: every reservation is "fast"
    sessions = _sessions(connection)
    states = [
        leases.count(sessions, bucket="client:busy", limit=10_000, now=NOW) for _ in range(1000)
    ]
    assert all(s.allowed for s in states)
    # Leases of 1, 2, 4, ... 64, then the cap of 100: 16 writes for 1000 requests.
    assert leases.reservations == 16
    shared = _shared(connection, "client:busy")
    assert 1000 <= shared <= 1000 + lease_cap(10_000)
    remaining = [s.remaining for s in states]
    assert remaining == sorted(remaining, reverse=True) and remaining[-1] == 9000


def test_the_next_minute_starts_afresh(connection: Connection) -> None:
    leases = LimitLeases(Clock())
    sessions = _sessions(connection)
    for _ in range(3):
        leases.count(sessions, bucket="ip:b", limit=3, now=NOW)
    assert not leases.count(sessions, bucket="ip:b", limit=3, now=NOW).allowed
    later = NOW + timedelta(minutes=1)
    state = leases.count(sessions, bucket="ip:b", limit=3, now=later)
    assert state.allowed and state.remaining == 2
    assert 1 <= state.retry_after <= 60


def test_two_instances_never_pass_the_limit_together(connection: Connection) -> None:
    first, second = LimitLeases(Clock()), LimitLeases(Clock())
    sessions = _sessions(connection)
    limit = 1000
    allowed = 0
    for n in range(1200):
        leases = first if n % 2 else second
        allowed += leases.count(sessions, bucket="client:two", limit=limit, now=NOW).allowed
    # Never more than the limit; at most one lease per instance left unspent.
    assert limit - 2 * lease_cap(limit) <= allowed <= limit


def test_concurrent_instances_on_postgresql(committed_postgres_url: str) -> None:
    """Four instances with four threads each hammer one client's count on a real database
    (committed transactions, row locks): exactly the limit is granted, never more."""
    engine = make_engine(committed_postgres_url)
    try:
        limit = 800  # leases of up to 8 units
        instances = [LimitLeases(Clock()) for _ in range(4)]
        granted = [0] * 16
        barrier = threading.Barrier(16)

        def work(index: int) -> None:
            leases = instances[index % 4]
            barrier.wait()
            for _ in range(100):
                state = leases.count(
                    lambda: transaction(engine), bucket="client:pg", limit=limit, now=NOW
                )
                granted[index] += state.allowed

        threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        total = sum(granted)
        assert limit - 4 * lease_cap(limit) <= total <= limit
        with engine.connect() as conn:
            shared = conn.execute(
                text("SELECT count FROM rate_limit_counter WHERE bucket = 'client:pg'")
            ).scalar_one()
        assert shared >= limit  # the count was used up before anyone was refused
        assert sum(leases.reservations for leases in instances) < 1600
    finally:
        engine.dispose()


def test_counting_without_a_write_uses_the_lease_only(connection: Connection) -> None:
    clock = Clock()
    leases = LimitLeases(clock)
    sessions = _sessions(connection)
    # An empty lease: nothing is counted without a reservation.
    assert leases.count_unwritten(bucket="client:loop", limit=10_000, now=NOW) is None
    assert _shared(connection, "client:loop") == 0
    leases.reserve(sessions, bucket="client:loop", limit=10_000, now=NOW)
    assert _shared(connection, "client:loop") == 1 and leases.reservations == 1
    state = leases.count_unwritten(bucket="client:loop", limit=10_000, now=NOW)
    assert state is not None and state.allowed and state.remaining == 9_999
    assert leases.count_unwritten(bucket="client:loop", limit=10_000, now=NOW) is None
    # A reservation is not written while the lease has units, nor past the limit.
    leases.reserve(sessions, bucket="client:loop", limit=10_000, now=NOW)  # fast: 2 units
    leases.reserve(sessions, bucket="client:loop", limit=10_000, now=NOW)
    assert leases.reservations == 2 and _shared(connection, "client:loop") == 3
    leases.reserve(sessions, bucket="client:full", limit=1, now=NOW)
    leases.count(sessions, bucket="client:full", limit=1, now=NOW)
    leases.reserve(sessions, bucket="client:full", limit=1, now=NOW)
    assert _shared(connection, "client:full") == 1
    refused = leases.count_unwritten(bucket="client:full", limit=1, now=NOW)
    assert refused is not None and not refused.allowed


def test_requests_that_find_the_lease_empty_together_write_one_reservation(
    connection: Connection,
) -> None:
    leases = LimitLeases(Clock())
    entered, release = threading.Event(), threading.Event()

    def slow_sessions() -> Any:
        entered.set()
        release.wait(5)
        return _sessions(connection)()

    first = threading.Thread(
        target=leases.count,
        args=(slow_sessions,),
        kwargs={"bucket": "client:b", "limit": 1000, "now": NOW},
    )
    first.start()
    assert entered.wait(5)
    states = []
    second = threading.Thread(
        target=lambda: states.append(
            leases.count(_sessions(connection), bucket="client:b", limit=1000, now=NOW)
        )
    )
    second.start()
    second.join(0.2)
    assert second.is_alive()  # waits for the first reservation instead of writing its own
    release.set()
    first.join(5)
    second.join(5)
    assert states and states[0].allowed
    # The first request spent the one unit it reserved; the second reserved after it (two
    # units: reservations come fast), never at the same time.
    assert leases.reservations == 2 and _shared(connection, "client:b") == 3
