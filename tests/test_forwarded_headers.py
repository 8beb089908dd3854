"""Client addresses behind proxies, against `osaamispassi serve` as it runs (issue #11).

uvicorn believes X-Forwarded-For from 127.0.0.1 by default, so anyone on the same host chose
their own address and escaped every per-address limit. The headers are believed only from
the proxies in TRUSTED_PROXIES (empty by default).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import ROOT, STANDARDS


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _cli() -> list[str]:
    script = Path(sys.executable).parent / "osaamispassi"
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


@contextmanager
def serving(tmp_path: Path, **settings: str) -> Iterator[str]:
    port = _free_port()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
        BASE_URL=f"http://127.0.0.1:{port}",
        HOST="127.0.0.1",
        PORT=str(port),
        CONTEXTS_DIR=str(STANDARDS / "contexts"),
        RATE_LIMIT_ANONYMOUS="3",
        **settings,
    )
    subprocess.run([*_cli(), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*_cli(), "serve"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _statuses(url: str, count: int) -> list[int]:
    return [
        httpx.post(
            f"{url}/api/v1/verifications",
            json={"jwt": "a.b.c"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(count)
    ]


def test_forwarded_for_is_ignored_without_trusted_proxies(tmp_path: Path) -> None:
    with serving(tmp_path) as url:
        statuses = _statuses(url, 5)
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]


def test_forwarded_for_is_believed_from_a_configured_proxy(tmp_path: Path) -> None:
    with serving(tmp_path, TRUSTED_PROXIES="127.0.0.1") as url:
        statuses = _statuses(url, 5)
    assert statuses == [200] * 5  # five clients behind the proxy, one request each
