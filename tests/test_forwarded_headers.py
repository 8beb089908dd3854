"""Client addresses behind proxies, against `osaamispassi serve` as it runs (issue #11).

uvicorn believes X-Forwarded-For from 127.0.0.1 by default, so anyone on the same host chose
their own address and escaped every per-address limit. The headers are believed only from
the proxies in TRUSTED_PROXIES (empty by default).
"""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.live import serving, start_of_a_minute


def _database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'serve.db'}"


def _statuses(url: str, count: int) -> list[int]:
    start_of_a_minute()  # the limit counts per minute of the clock
    return [
        httpx.post(
            f"{url}/api/v1/verifications",
            json={"jwt": "a.b.c"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(count)
    ]


def test_forwarded_for_is_ignored_without_trusted_proxies(tmp_path: Path) -> None:
    with serving(tmp_path, _database(tmp_path), demo=False, RATE_LIMIT_ANONYMOUS="3") as url:
        statuses = _statuses(url, 5)
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]


def test_forwarded_for_is_believed_from_a_configured_proxy(tmp_path: Path) -> None:
    with serving(
        tmp_path,
        _database(tmp_path),
        demo=False,
        RATE_LIMIT_ANONYMOUS="3",
        TRUSTED_PROXIES="127.0.0.1",
    ) as url:
        statuses = _statuses(url, 5)
    assert statuses == [200] * 5  # five clients behind the proxy, one request each
