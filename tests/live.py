"""A real server for the tests that need one (`osaamispassi serve` in a subprocess, with the
demo organization), and a signed-in HTTP client of it."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.conftest import ROOT, STANDARDS

T = TypeVar("T")
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
COACH = "valmentaja1@demo.example.fi"
PASSWORD = "demo-salasana"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cli() -> list[str]:
    script = Path(sys.executable).parent / "osaamispassi"
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


def environment(database_url: str, port: int, **settings: str) -> dict[str, str]:
    """The server's environment; `settings` win (BASE_URL for instances behind one origin)."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        BASE_URL=f"http://127.0.0.1:{port}",
        HOST="127.0.0.1",
        PORT=str(port),
        CONTEXTS_DIR=str(STANDARDS / "contexts"),
        SCHEMAS_DIR=str(STANDARDS / "schemas"),
        # A page opened with GET that writes without declaring it fails (app.deps).
        REFUSE_UNDECLARED_WRITES="true",
    )
    env.update(settings)
    return env


# `make run`'s steps before `serve` (db upgrade, catalog sync, demo): the same command
# functions of app/cli.py, called in one process instead of three (each start of the command
# line costs about a second of imports, and the live tests prepare some thirty databases).
PREPARE = """
import sys
from app.cli import catalog_sync, db_upgrade, demo
db_upgrade("head")
if sys.argv[1:] == ["demo"]:
    catalog_sync(None)
    demo()
"""


def prepare(
    database_url: str, *, port: int | None = None, demo: bool = True, **settings: str
) -> None:
    """Migrate the database (and load the catalog and the demo) as `make run` does. Give the
    port the server will have: the demo's credentials name the service's origin."""
    env = environment(database_url, port or free_port(), **settings)
    command = [sys.executable, "-c", PREPARE, *(["demo"] if demo else [])]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True)
    if done.returncode != 0:
        raise AssertionError(f"preparing the database failed:\n{done.stderr.decode()[-3000:]}")


def start(
    tmp_path: Path, database_url: str, port: int | None = None, **settings: str
) -> tuple[subprocess.Popen[bytes], str, Path]:
    """`osaamispassi serve` on a free port (or `port`), once it answers /healthz; returns
    the process, its URL and its log file."""
    port = port or free_port()
    env = environment(database_url, port, **settings)
    log = tmp_path / f"serve-{port}-{time.monotonic_ns()}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*cli(), "serve"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url, log
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"the server did not start:\n{log.read_text()}")
        time.sleep(0.2)


@contextmanager
def serving(
    tmp_path: Path, database_url: str, *, demo: bool = True, **settings: str
) -> Iterator[str]:
    """The service on a free port, its database migrated (and the demo loaded)."""
    port = free_port()
    prepare(database_url, port=port, demo=demo, **settings)
    process, url, _log = start(tmp_path, database_url, port, **settings)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


@contextmanager
def two_instances(
    tmp_path: Path, database_url: str, port_a: int, port_b: int
) -> Iterator[tuple[str, str]]:
    """Two servers on one (prepared) database behind one origin, the first's, as behind a
    load balancer: their URLs. The ends of their logs are printed when the block fails."""
    a, url_a, log_a = start(tmp_path, database_url, port_a)
    b, url_b, log_b = start(tmp_path, database_url, port_b, BASE_URL=f"http://127.0.0.1:{port_a}")
    try:
        yield url_a, url_b
    except BaseException:
        print(log_a.read_text()[-3000:], log_b.read_text()[-3000:])
        raise
    finally:
        for process in (a, b):
            process.terminate()
            process.wait(timeout=15)


def start_of_a_minute(needed: float = 15) -> None:
    """Wait for the next minute of the clock unless `needed` seconds of this one are left:
    the service's rate limits count per minute of the clock, so requests that must fall in
    one window (a limit reached, then refused) must not straddle two."""
    left = 60 - time.time() % 60
    if left < needed:
        time.sleep(left + 0.5)


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@contextmanager
def signed_in(url: str, email: str = COACH, **client: object) -> Iterator[httpx.Client]:
    """An HTTP client with a coach's session."""
    with httpx.Client(base_url=url, timeout=60, **client) as session:  # type: ignore[arg-type]
        token = csrf_of(session.get("/login").text)
        answer = session.post(
            "/login", data={"csrf_token": token, "email": email, "password": PASSWORD}
        )
        assert answer.status_code in (200, 303), answer.text
        assert session.get("/coach").status_code == 200
        yield session


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion in a thread of its own, with its own event loop: a test
    may run in a worker whose thread already has one running (Playwright's sync API)."""
    results: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.append(asyncio.run(make()))
        except BaseException as exc:  # handed to the calling thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return results[0]
