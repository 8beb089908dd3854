"""Shared fixtures: a migrated database per backend (SQLite and PostgreSQL), one rolled-back
transaction per test, and an app wired to that transaction.

PostgreSQL is used when reachable at TEST_DATABASE_URL. With REQUIRE_POSTGRES=1 (set by
.ci/run) an unreachable server fails the PostgreSQL tests instead of skipping them.
"""

from __future__ import annotations

import os
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.config import Settings
from app.db import make_engine
from app.deps import SessionFactory, get_limit_session, get_session, get_session_factory
from app.main import create_app
from app.migrate import upgrade
from app.sharing.service import OpenCounts

ROOT = Path(__file__).resolve().parent.parent
STANDARDS = Path(os.environ.get("OSAAMISPASSI_STANDARDS_DIR", ROOT.parent / "shared" / "standards"))
# Saved ePerusteet and Koodisto answers (read from shared/, never copied into the project).
EPERUSTEET = Path(
    os.environ.get("OSAAMISPASSI_EPERUSTEET_DIR", ROOT.parent / "shared" / "eperusteet")
)
TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"]


def _postgres_url(schema: str) -> str:
    sep = "&" if "?" in TEST_DATABASE_URL else "?"
    return f"{TEST_DATABASE_URL}{sep}options=-csearch_path%3D{schema}"


def _postgres_available() -> str | None:
    try:
        engine = create_engine(TEST_DATABASE_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except OperationalError as exc:
        return str(exc).splitlines()[0]
    return None


@contextmanager
def fresh_postgres_schema(prefix: str) -> Iterator[str]:
    """A migrated PostgreSQL schema of its own, dropped afterwards; skips (or fails under
    REQUIRE_POSTGRES=1) when the server cannot be reached."""
    problem = _postgres_available()
    if problem:
        message = f"PostgreSQL not reachable at {TEST_DATABASE_URL}: {problem}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    schema = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(TEST_DATABASE_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = _postgres_url(schema)
        upgrade(url)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _commit_real_catalog(url: str) -> None:
    from tests.factories import load_real_catalog

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            load_real_catalog(session)
            session.commit()
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A freshly migrated database of the requested backend, for the whole test run; for
    the tests that use `real_catalog` (param "<backend>+catalog") one of its own with the
    repository's catalog committed once, instead of synced in every test's transaction
    (0.3 to 0.5 s each)."""
    backend, _, extra = request.param.partition("+")
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        upgrade(url)
        if extra == "catalog":
            _commit_real_catalog(url)
        yield url
        return
    with fresh_postgres_schema("t") as url:
        if extra == "catalog":
            _commit_real_catalog(url)
        yield url


@pytest.fixture
def real_catalog(database_url: str) -> None:
    """The repository's catalog (badges, qualifications), as `load_real_catalog` syncs it:
    committed in this test's database before the run (see `database_url`); what a test
    changes in it is rolled back with the rest of its transaction. (It asks for
    `database_url` so that pytest_generate_tests gives its test that database.)"""


def _starts_servers(item: pytest.Item) -> bool:
    """Whether the test drives a browser or starts servers of its own (tests/live.py)."""
    if item.get_closest_marker("browser") is not None:
        return True
    module = getattr(item, "module", None)
    return module is not None and any(
        getattr(value, "__module__", None) == "tests.live" for value in vars(module).values()
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest files first, so that no worker of `make test` goes on alone with a long
    one at the end: it hands whole files to its workers in this order (`--dist loadfile
    --no-loadscope-reorder`; xdist's own order, by number of tests, put the browser and
    live-server files, of one to a dozen tests but 10 to 150 s each, last). A file's weight
    is a rough cost of its tests, measured on 2026-12-06: one that starts servers or a
    browser (5 to 60 s) counts 50 times one with a database (0.2 to 1 s), which counts 10
    times any other. Each file's tests stay together and in order, and the order is the same
    on every worker, as xdist requires."""
    weight: Counter[Path] = Counter()
    for item in items:
        if _starts_servers(item):
            weight[item.path] += 500
        elif "database_url" in getattr(item, "fixturenames", ()):
            weight[item.path] += 10
        else:
            weight[item.path] += 1
    first = {path: n for n, path in enumerate(dict.fromkeys(item.path for item in items))}
    items.sort(key=lambda item: (-weight[item.path], first[item.path]))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_url" in metafunc.fixturenames:
        extra = "+catalog" if "real_catalog" in metafunc.fixturenames else ""
        metafunc.parametrize(
            "database_url",
            [
                pytest.param(
                    b + extra,
                    marks=[pytest.mark.postgres] if b == "postgresql" else [],
                    id=b,
                )
                for b in BACKENDS
            ],
            indirect=True,
            scope="session",
        )


@pytest.fixture
def committed_postgres_url() -> Iterator[str]:
    """A PostgreSQL schema of its own, for tests that commit (concurrency, two instances)."""
    with fresh_postgres_schema("c") as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    conn = engine.connect()
    trans = conn.begin()
    try:
        yield conn
    finally:
        trans.rollback()
        conn.close()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """A session whose commits become savepoints of the test's outer transaction."""
    with Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as sess:
        yield sess


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        base_url="https://passi.test",
        contexts_dir=STANDARDS / "contexts",
        schemas_dir=STANDARDS / "schemas",
        # In-process tests work through group awards themselves (app.awards.jobs.run_once)
        # and clean up themselves (app.maintenance.clean_up); the live servers run both.
        run_jobs=False,
        maintenance_seconds=0,
        # They read through the test's own transaction, which reads on the loop cannot see.
        read_on_loop=False,
    )


@pytest.fixture
def app(settings: Settings, connection: Connection) -> FastAPI:
    application = create_app(settings)

    def session_override() -> Iterator[Session]:
        with Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ) as sess:
            try:
                yield sess
                sess.commit()
            except BaseException:
                sess.rollback()
                raise

    application.dependency_overrides[get_session] = session_override
    application.dependency_overrides[get_limit_session] = limit_session_override(connection)
    application.dependency_overrides[get_session_factory] = session_factory_override(connection)
    application.state.bookkeeping = bookkeeping_override(connection)
    # No thread of its own writing on the test's one connection: tests flush when they look.
    application.state.open_counts = OpenCounts(application.state.bookkeeping, every=None)
    return application


def bookkeeping_override(connection: Connection) -> Callable[..., bool]:
    """Bookkeeping writes (app.db.bookkeeping) as savepoints of the test's transaction."""

    def write(statement: Any, params: Any) -> bool:
        with connection.begin_nested():
            connection.execute(statement, dict(params))
        return True

    return write


@pytest.fixture
def job_transactions(connection: Connection) -> Callable[..., Any]:
    """Transactions for app.awards.jobs in in-process tests: savepoints of the test's
    transaction (`writes` has no meaning there)."""
    factory = session_factory_override(connection)()

    def transactions(*, writes: bool = False) -> Any:
        return factory()

    return transactions


def session_factory_override(connection: Connection) -> Callable[[], SessionFactory]:
    """Transactions opened by the verification API become savepoints of the test's
    transaction (one after another, or nested: a rate-limit count's inside the request's;
    never interleaved)."""

    @contextmanager
    def transaction(
        *, read_only: bool = False, snapshot: bool = False, writes: bool = False
    ) -> Iterator[Session]:
        with Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ) as sess:
            try:
                yield sess
                sess.commit()
            except BaseException:
                sess.rollback()
                raise

    def override() -> SessionFactory:
        return transaction

    return override


def limit_session_override(connection: Connection) -> Callable[[], Iterator[Session]]:
    """Rate-limit counters go straight into the test's transaction (no savepoints of their
    own, which would interleave with the request session's on the same connection)."""

    def override() -> Iterator[Session]:
        with Session(bind=connection, join_transaction_mode="rollback_only") as sess:
            yield sess
            sess.flush()

    return override


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://passi.test") as test_client:
        yield test_client


@pytest.fixture(scope="session")
def credential_schema_validator() -> object:
    """The official OB 3.0 AchievementCredential JSON Schema (read from shared/, not copied)."""
    import json

    import jsonschema

    path = STANDARDS / "schemas" / "ob_v3p0_achievementcredential_schema.json"
    if not path.exists():
        pytest.skip(f"official OB 3.0 schema not found at {path}")
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.Draft201909Validator(schema)


@pytest.fixture(scope="session", autouse=True)
def _hash_each_test_password_once() -> Iterator[None]:
    """argon2id takes about half a second here by design; the factories create many users
    with the same password. Hash each distinct password once (still a real argon2id hash,
    verified for real at sign-in) instead of once per user."""
    from functools import lru_cache

    import app.users.service as users_service

    cached = lru_cache(maxsize=32)(users_service.hash_password)
    patch = pytest.MonkeyPatch()
    patch.setattr(users_service, "hash_password", cached)
    yield
    patch.undo()
