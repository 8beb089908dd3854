"""Browser-test fixtures: one live server for the session, Debian's Chromium via Playwright.

    live_server   (session) the service (uvicorn) on a free port with a fresh, migrated SQLite
                  database holding the catalog and the demo data, all made by the project's
                  own command line; `.url`, `.database_url`, `.log_path`, demo logins
    browser       (session) headless Chromium (/usr/bin/chromium) driven by Playwright
    device        the Device a test runs on; parametrised over tablet portrait, tablet
                  landscape and phone unless a test narrows it with `on_devices(...)`
    new_page      factory: new_page(device=None, **context_options) -> Page, each call in a
                  context of its own (own cookies), base_url = live_server.url
    page          new_page(device): the usual one-page test

Every test in this folder is marked `browser`. Without /usr/bin/chromium or the Playwright
packages the tests are skipped with a message saying what to install; with REQUIRE_BROWSER=1
(set by .ci/run) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import httpx
import pytest

from app.demo import DEMO_PASSWORD, DEMO_USERS
from app.models.users import Role
from tests.browser.support import (
    ARTIFACTS,
    CHROMIUM,
    DEVICES,
    REQUIRE_BROWSER,
    SCREENSHOTS,
    TABLET_LANDSCAPE,
    Device,
    browser_problems,
    missing_prerequisites,
    record_problems,
)
from tests.conftest import ROOT, STANDARDS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

HERE = Path(__file__).resolve().parent
# One live server per pytest-xdist worker, each with its own log.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
SERVER_LOG = ARTIFACTS / (f"live_server-{_WORKER}.log" if _WORKER else "live_server.log")
STARTUP_TIMEOUT = 30.0
LOG_TAIL_LINES = 60

# Chromium's background services (component updates, sync, safe-browsing lists, QUIC) try
# to reach Google on their own; on the closed test network those connections are refused,
# so they are switched off to keep runs quiet and independent of the network. (On the
# development machine Chromium 156 also started and rendered without these flags.)
# No sandbox: Chromium refuses to start as root with it, and CI runs as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: Role


@dataclass(frozen=True)
class LiveServer:
    url: str
    database_url: str
    log_path: Path
    logins: tuple[DemoLogin, ...]
    process: subprocess.Popen[bytes] = field(repr=False, compare=False)

    @property
    def admin(self) -> DemoLogin:
        return next(login for login in self.logins if login.role is Role.admin)

    @property
    def coaches(self) -> tuple[DemoLogin, ...]:
        return tuple(login for login in self.logins if login.role is Role.coach)

    def stopped(self) -> str | None:
        """Why the server process is no longer running, or None while it runs."""
        code = self.process.poll()
        if code is None:
            return None
        how = (
            f"was stopped by signal {signal.Signals(-code).name}"
            if code < 0
            else f"exited with {code}"
        )
        return (
            f"the live server (pid {self.process.pid}) {how} before the test fixtures stopped it"
            " (a crash, or another process on this machine stopping it)"
        )

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        if not self.log_path.exists():
            return "(no server log)"
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember each test's outcome (for the page fixture) and add the server log's tail to
    the report of a failed test."""
    report = yield
    if report.when in ("setup", "call"):
        item.stash[_OUTCOME] = report
    if report.failed and report.when == "call":
        server = getattr(item, "funcargs", {}).get("live_server")
        if isinstance(server, LiveServer):
            title = f"live server log (last {LOG_TAIL_LINES} lines of {server.log_path})"
            report.sections.append((title, (server.stopped() or "") + "\n" + server.log_tail()))
    return report


_OUTCOME = pytest.StashKey[pytest.TestReport]()


@pytest.fixture(scope="session", autouse=True)
def _browser_prerequisites() -> None:
    """Skip (or, with REQUIRE_BROWSER=1, fail) every browser test when something is missing.
    Session-scoped and autouse, so it runs before the server or the browser is started."""
    missing = missing_prerequisites()
    if not missing:
        return
    message = "browser tests need: " + "; ".join(missing)
    if REQUIRE_BROWSER:
        pytest.fail(message + " (REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_env(database_url: str, base_url: str, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        BASE_URL=base_url,
        ENVIRONMENT="development",
        HOST="127.0.0.1",
        PORT=str(port),
        PYTHONUNBUFFERED="1",
        # All browser tests come from one address; they open many token links a minute.
        TOKEN_LOOKUPS_PER_MINUTE="10000",
        # A page opened with GET that writes without declaring it fails the test that opens
        # it (app.db._DECLARED_READER), instead of failing now and then under load.
        REFUSE_UNDECLARED_WRITES="true",
    )
    for name, folder in (("CONTEXTS_DIR", "contexts"), ("SCHEMAS_DIR", "schemas")):
        if (STANDARDS / folder).is_dir():
            env[name] = str(STANDARDS / folder)
        else:  # the service's own default: fetch once, check the pinned hash, cache
            env.pop(name, None)
    return env


def _cli() -> list[str]:
    """The project's `osaamispassi` command of the running interpreter's environment."""
    script = Path(sys.executable).parent / "osaamispassi"
    if script.exists():
        return [str(script)]
    found = shutil.which("osaamispassi")
    return [found] if found else [sys.executable, "-m", "app.cli"]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The service as a real uvicorn process, with its own migrated and seeded database."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.db'}"
    env = _server_env(database_url, url, port)
    SERVER_LOG.parent.mkdir(parents=True, exist_ok=True)
    SERVER_LOG.write_text("", encoding="utf-8")
    # Append mode: the fixture and the server process both write to the log.
    with SERVER_LOG.open("a", encoding="utf-8") as log:
        for command in (["db", "upgrade"], ["catalog", "sync"], ["demo"]):
            _run_logged(log, [*_cli(), *command], env)
        # What `osaamispassi serve` runs (app/cli.py), started as `python -m uvicorn` so that
        # name-based clean-ups of development servers on a shared machine (pkill -f
        # "osaamispassi serve") do not stop this one in the middle of a test run.
        command = [
            sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--no-proxy-headers", "--log-level", "info",
            # The app logs requests itself, without secret tokens (app/middleware.py).
            "--no-access-log",
        ]  # fmt: skip
        log.write(f"$ {' '.join(command)}\n")
        log.flush()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer(
        url=url,
        database_url=database_url,
        log_path=SERVER_LOG,
        logins=tuple(DemoLogin(email, DEMO_PASSWORD, role) for email, _, role in DEMO_USERS),
        process=process,
    )
    try:
        _wait_until_ready(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _run_logged(log: TextIO, command: list[str], env: dict[str, str]) -> None:
    log.write(f"$ {' '.join(command)}\n")
    log.flush()
    done = subprocess.run(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=120, check=False
    )
    if done.returncode != 0:
        tail = "\n".join(SERVER_LOG.read_text(encoding="utf-8").splitlines()[-LOG_TAIL_LINES:])
        pytest.fail(f"`{' '.join(command)}` exited with {done.returncode}:\n{tail}", pytrace=False)


@pytest.fixture(autouse=True)
def _live_server_still_running(request: pytest.FixtureRequest) -> None:
    """A test that uses the live server fails at once, saying why, if the server is gone."""
    if "live_server" not in request.fixturenames:
        return
    server: LiveServer = request.getfixturevalue("live_server")
    problem = server.stopped()
    if problem:
        pytest.fail(f"{problem}:\n{server.log_tail()}", pytrace=False)


def _wait_until_ready(server: LiveServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last = "no answer yet"
    while time.monotonic() < deadline:
        problem = server.stopped()
        if problem:
            pytest.fail(f"{problem}:\n{server.log_tail()}", pytrace=False)
        try:
            answer = httpx.get(f"{server.url}/readyz", timeout=2)
            if answer.status_code == 200:
                return
            last = f"{answer.status_code} {answer.text[:200]}"
        except httpx.TransportError as exc:
            last = repr(exc)
        time.sleep(0.1)
    pytest.fail(
        f"the live server did not become ready in {STARTUP_TIMEOUT:.0f} s ({last}):\n"
        + server.log_tail(),
        pytrace=False,
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(params=DEVICES, ids=[d.name for d in DEVICES])
def device(request: pytest.FixtureRequest) -> Device:
    value: Device = request.param
    return value


@pytest.fixture
def new_page(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer
) -> Iterator[Callable[..., Page]]:
    """Factory of pages, each in a new browser context (own cookies and storage).

    new_page(device=None, **options): `device` defaults to the tablet in landscape;
    `options` go to browser.new_context (e.g. bypass_csp=True, color_scheme="dark").
    The contexts keep the service's Content-Security-Policy on (axe-core needs no
    exception, see check_a11y), so a template that breaks the CSP fails its tests here.
    At teardown the test fails if a page recorded a script error, a CSP violation or a
    failed sub-resource (see support.browser_problems); when the test itself failed, a
    screenshot of each open page is saved under artifacts/screenshots/failed-*.png.
    """
    contexts: list[BrowserContext] = []
    pages: list[Page] = []

    def make(device: Device | None = None, **options: Any) -> Page:
        chosen = device or TABLET_LANDSCAPE
        settings: dict[str, Any] = {
            **chosen.context_options(),
            "base_url": live_server.url,
            "locale": "fi-FI",
            "timezone_id": "Europe/Helsinki",
            **options,
        }
        context = browser.new_context(**settings)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        record_problems(page)
        pages.append(page)
        return page

    yield make

    outcome = request.node.stash.get(_OUTCOME, None)
    problems = [p for page in pages for p in browser_problems(page)]
    if outcome is not None and outcome.failed:
        _screenshot_failure(request.node.name, pages)
    for context in contexts:
        context.close()
    if problems and (outcome is None or outcome.passed):
        pytest.fail("the browser reported:\n" + "\n".join(problems), pytrace=False)


def _screenshot_failure(test_name: str, pages: list[Page]) -> None:
    from playwright.sync_api import Error as PlaywrightError

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in test_name)
    for number, page in enumerate(pages):
        path = SCREENSHOTS / f"failed-{safe}-{number}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
        except PlaywrightError as exc:  # a crashed or closed page: the report says why
            print(f"no failure screenshot {path.name}: {exc}")


@pytest.fixture
def page(new_page: Callable[..., Page], device: Device) -> Page:
    return new_page(device)
