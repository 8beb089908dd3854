"""The service end to end: share pages, awards, bursts and a big database, through real
uvicorn servers on 127.0.0.1, on SQLite and on PostgreSQL in one run.

    .venv/bin/python bench/service.py [--seconds 10] [--only sqlite|postgres]
        [--postgres URL] [--big 250000 | --skip-big] [--awards 100] [--group-size 2500]
        [--quick] [--json] [--logs DIR]

(``make bench-service`` runs it with the defaults: about 10 minutes here.)

For each database (SQLite: a file in a temporary folder; PostgreSQL: a fresh schema in
``--postgres``, default the ``test`` database on 127.0.0.1, dropped afterwards):

1. migrates it, syncs the catalog and loads the demo data (``osaamispassi db upgrade``,
   ``catalog sync``, ``demo``), then, in this process through the app's services: a share
   link to one demo badge; a participant with 13 badges (really signed) and a share link to
   the whole passport; an API key and the VC-JWT of a demo badge; 20 participants to award;
2. starts one uvicorn process (as bench/api_throughput.py does: uvloop, httptools, access
   log off; the token look-up limit raised so that nothing is throttled), its log in a
   temporary file whose end is printed when something fails;
3. load, ``--seconds`` per scenario after a short warm-up, keep-alive connections from a
   small asyncio HTTP/1.1 client: ``GET /healthz`` (20 clients), the one-badge share page
   ``GET /s/{token}`` (20 and 50 clients), the 13-badge passport share (20 clients) and
   JWT verification ``POST /api/v1/verifications`` (20 clients), the same request again
   and a request never seen before (a new recipient each time: no kept answer, decision
   0020); requests/s, p50/p95 and errors (share pages must be 200 with every badge green,
   verifications ``"verified":true``, or ``recipient_mismatch`` for the new recipients);
   the share page and the JWT verifications as % of /healthz;
4. the coach's award as a browser does it (tests/live.py): sign in with the CSRF token,
   then per award the form, POST review (multipart), POST issue (303) and the issued page;
   ``--awards`` awards one after another: p50/p95 of the issue request and of the flow;
5. 300 awards, 30 at a time (POST issue, each its own idempotency key): answers by status,
   wall time, and whether awards and credentials match with no status index twice;
6. 200 parallel ``GET /coach`` of one signed-in coach whose session is due a touch, sent
   at once from asyncio (tests/test_faults.py sends them from 200 threads, which start one
   after another), with ``GET /readyz`` every 0.2 s meanwhile;
7. a group award to 2,500 participants (created in bulk) as a background job: the form
   ``/coach/group-award/{slug}`` opened as a coach does (which starts the hashing workers),
   twenty share page requests, then the POST with a CSV and its progress every 0.2 s until
   done;
   "not available" while the server has no such endpoint; the credentials the job added
   are counted in the database;
8. unless ``--skip-big``: ``--big`` credentials (default 250,000) inserted in bulk by SQL,
   copies of a real award, credential and audit row with new ids, public ids and
   idempotency keys, one participant per 10 credentials, in status lists filled as the
   service fills them (about half, at random indexes, the newest one partly), then the
   award flow of 4. again: its p50 against the empty database's.

The results are printed as one table (what | SQLite | PostgreSQL), or as JSON with
``--json``; progress goes to standard error. ``--logs DIR`` keeps the servers' logs.
``--quick`` is a smoke run: 2 s per load scenario and small sizes. A bench prints figures;
an answer that is not as expected counts as an error, and a scenario that cannot run is
shown as failed (exit status 1), the others still run. Traffic goes to 127.0.0.1 only; the
client shares the machine with the server, so the figures are a lower bound of what the
server can do.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import platform
import random
import re
import secrets
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    REPO_ROOT,
    cli,
    free_port,
    machine,
    postgres_schema,
    serve,
    server_cpu_seconds,
    server_env,
    stop,
    wait_until_up,
)
from api_throughput import post

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
COACH = "valmentaja1@demo.example.fi"
PASSWORD = "demo-salasana"  # noqa: S105 (the demo's, printed by `osaamispassi demo`)
AWARD_BADGE = "puutyo-1"
GROUP_BADGE = "siivous-1"
PASSPORT_BADGES = 13
AWARD_PARTICIPANTS = 20
NARRATIVE = "Teki linnunpöntön puutyöpajalla ohjeen mukaan ja siivosi jälkensä."
GREEN = b"result result-green"
DASHBOARD_MARK = b'href="/coach/group-award"'
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
CRITERIA_RE = re.compile(r'type="checkbox" id="c-[^"]*" name="criteria" value="([^"]+)"')
IDEMPOTENCY_RE = re.compile(r'name="idempotency_key" value="([^"]+)"')
JOB_RE = re.compile(r"/coach/group-award/jobs/([^/?#\s]+)$")
REQUEST_TIMEOUT = 60.0
LOG_TAIL_LINES = 40
LOG_NOISE = re.compile(r"^\d{4}-\d\d-\d\d[ T][\d:.,]+ |\[[0-9a-f]{16}\] ")
WARMUP_AWARDS = 3


def note(message: str) -> None:
    """Progress, on standard error (standard output is the table or the JSON)."""
    print(message, file=sys.stderr, flush=True)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(len(ordered) * fraction) - 1))]


def spread(values: list[float]) -> dict[str, float | None]:
    """p50, p95 and max in milliseconds (None without values)."""
    if not values:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None}
    return {
        "p50_ms": ms(statistics.median(values)),
        "p95_ms": ms(percentile(values, 0.95)),
        "max_ms": ms(max(values)),
    }


def counted(counter: Counter[str]) -> str:
    return ", ".join(f"{k} ×{v}" for k, v in counter.most_common()) or "none"


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class BenchError(Exception):
    """A scenario could not run as planned."""


class NotAvailable(Exception):
    """The server has no such endpoint (yet)."""


# --- the load client: keep-alive HTTP/1.1 connections, every answer checked -----------------


@dataclass
class Target:
    name: str
    request: bytes | Callable[[], bytes]  # a callable makes each request anew
    check: Callable[[int, bytes], bool]


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n\r\n".encode()


def ok_with(marker: bytes, count: int | None = None) -> Callable[[int, bytes], bool]:
    """200, and the marker in the body (exactly `count` times when given)."""

    def check(status: int, body: bytes) -> bool:
        if status != 200:
            return False
        return body.count(marker) == count if count is not None else marker in body

    return check


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server closes the connection after it."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed by the server")
    status = int(status_line.split(b" ", 2)[1])
    length: int | None = None
    chunked = close = False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value
        elif name == b"connection":
            close = value == b"close"
    if chunked:
        parts = []
        while size := int((await reader.readline()).split(b";")[0], 16):
            parts.append(await reader.readexactly(size))
            await reader.readline()
        while await reader.readline() not in (b"\r\n", b""):
            pass
        return status, b"".join(parts), close
    if length is None:
        return status, await reader.read(), True
    return status, await reader.readexactly(length), close


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)  # of good answers, after warm-up
    answered: int = 0  # all answers and failures, warm-up included
    errors: Counter[str] = field(default_factory=Counter)
    example: str | None = None

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        self.example = self.example or f"{kind}: {detail[:300]}"


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def one_request(
    port: int, connection: Connection | None, target: Target, load: Load
) -> tuple[Connection | None, bool]:
    """One request; returns the connection to go on with (None: closed) and whether the
    answer was good."""
    try:
        if connection is None:
            connection = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port), REQUEST_TIMEOUT
            )
        reader, writer = connection
        writer.write(target.request() if callable(target.request) else target.request)
        status, body, close = await asyncio.wait_for(read_answer(reader), REQUEST_TIMEOUT)
    except (OSError, EOFError, ValueError, IndexError, TimeoutError) as exc:
        load.answered += 1
        load.error(type(exc).__name__, str(exc))
        if connection is not None:
            connection[1].close()
        await asyncio.sleep(0.05)  # a refused connection must not spin
        return None, False
    load.answered += 1
    good = target.check(status, body)
    if not good:
        load.error(f"HTTP {status}" if status != 200 else "200 without the marker", repr(body))
    if close:
        writer.close()
        return None, good
    return connection, good


async def load_client(
    port: int, target: Target, load: Load, warmup_until: float, deadline: float
) -> None:
    connection: Connection | None = None
    # One answer before the measuring starts, so that the server has taken the connection.
    connection, _ = await one_request(port, connection, target, load)
    try:
        while (start := time.perf_counter()) < deadline:
            connection, good = await one_request(port, connection, target, load)
            if good and start >= warmup_until:
                load.latencies.append(time.perf_counter() - start)
    finally:
        if connection is not None:
            connection[1].close()


async def _drive(
    port: int, target: Target, clients: int, seconds: float, pid: int
) -> tuple[Load, float | None]:
    load = Load()
    began = time.perf_counter()
    warmup = min(1.0, seconds / 5)
    warmup_until, deadline = began + warmup, began + warmup + seconds

    async def cpu_at(moment: float) -> float | None:
        await asyncio.sleep(max(0.0, moment - time.perf_counter()))
        return server_cpu_seconds([pid])

    cpu_start = asyncio.create_task(cpu_at(warmup_until))
    await asyncio.gather(
        *(load_client(port, target, load, warmup_until, deadline) for _ in range(clients))
    )
    cpu_end, cpu_begin = server_cpu_seconds([pid]), await cpu_start
    cpu = None
    if cpu_end is not None and cpu_begin is not None and load.latencies:
        cpu = (cpu_end - cpu_begin) * 1000 / len(load.latencies)
    return load, cpu


def drive(port: int, target: Target, clients: int, seconds: float, pid: int) -> dict[str, Any]:
    note(f"  {target.name}, {clients} clients, {seconds:g} s")
    load, cpu = asyncio.run(_drive(port, target, clients, seconds, pid))
    errors = sum(load.errors.values())
    return {
        "scenario": target.name,
        "clients": clients,
        "seconds": seconds,
        "requests": len(load.latencies),
        "per_second": round(len(load.latencies) / seconds, 1),
        **{k: v for k, v in spread(load.latencies).items() if k != "max_ms"},
        "errors": errors,
        "error_percent": round(100 * errors / load.answered, 2) if load.answered else 0.0,
        "errors_by_kind": dict(load.errors),
        "error_example": load.example,
        "server_cpu_ms": round(cpu, 2) if cpu is not None else None,
    }


def load_cell(r: dict[str, Any]) -> str:
    if not r["requests"]:
        return f"no good answer; errors {counted(Counter(r['errors_by_kind']))}"
    text = f"{r['per_second']:.0f} req/s, p50 {r['p50_ms']:.1f} / p95 {r['p95_ms']:.1f} ms"
    text += f", errors {r['errors']} ({r['error_percent']:.2f} %)"
    if r["errors"]:
        text += f": {counted(Counter(r['errors_by_kind']))}"
    return text


# --- data: the demo, share links, participants, and bulk rows ------------------------------


@dataclass
class Fixture:
    share_one: str  # share link token: one badge
    share_passport: str  # share link token: the whole passport of 13 badges
    jwt: str
    api_key: str
    organization_id: int
    award_participants: list[int]
    template_award_id: int  # a real award with its credential and audit row


def app_settings(database_url: str, port: int) -> Any:
    from app.config import Settings

    env = server_env(database_url, port)
    return Settings(
        _env_file=REPO_ROOT / ".env",
        database_url=database_url,
        base_url=env["BASE_URL"],
        environment="development",
        contexts_dir=env.get("CONTEXTS_DIR") or None,
        schemas_dir=env.get("SCHEMAS_DIR") or None,
    )


def prepare(env: dict[str, str], settings: Any) -> Fixture:
    """The demo through the CLI, the rest through the app's services."""
    from sqlmodel import col, select

    from app.awards.service import AwardRequest, award_badge, badge_criteria
    from app.clients.service import create_client
    from app.credentials.export import export_credential
    from app.db import get_engine, transaction
    from app.models import Award, BadgeDefinition, Credential, Participant
    from app.models.base import utcnow
    from app.organizations import repository as org_repo
    from app.participants.service import create_participant
    from app.sharing.service import create_share_link
    from app.users.service import user_by_email

    cli(env, "db", "upgrade")
    cli(env, "catalog", "sync")
    demo = cli(env, "demo")
    example_id = next(
        line.split(":", 1)[1].strip()
        for line in demo.splitlines()
        if line.startswith("Example credential id:")
    )
    with transaction(get_engine(settings)) as session:
        organization = org_repo.by_slug(session, "demo")
        coach = user_by_email(session, COACH)
        assert organization is not None and organization.id is not None and coach is not None
        now = utcnow()
        example = session.exec(select(Credential).where(Credential.public_id == example_id)).one()
        award = session.get(Award, example.award_id)
        assert award is not None and award.id is not None
        holder = session.get(Participant, award.participant_id)
        assert holder is not None
        _, share_one = create_share_link(
            session, participant=holder, credential_public_id=example_id, now=now
        )
        person = create_participant(
            session,
            organization=organization,
            display_name="Paula Passinen",
            email="paula.passinen@bench.example.fi",
        )
        assert person.id is not None
        slugs = session.exec(
            select(BadgeDefinition.slug)
            .where(col(BadgeDefinition.archived_at).is_(None))
            .order_by(col(BadgeDefinition.slug))
        ).all()[:PASSPORT_BADGES]
        if len(slugs) < PASSPORT_BADGES:
            raise BenchError(f"the catalog has {len(slugs)} badges, not {PASSPORT_BADGES}")
        for n, slug in enumerate(slugs):
            award_badge(
                session,
                settings,
                coach=coach,
                now=now,
                request=AwardRequest(
                    participant_id=person.id,
                    badge_slug=slug,
                    criteria_observed=badge_criteria(session, slug),
                    narrative=NARRATIVE,
                    idempotency_key=f"bench-passport-{n:02d}",
                ),
            )
        _, share_passport = create_share_link(
            session, participant=person, credential_public_id=None, now=now
        )
        _, api_key = create_client(session, name="bench", requests_per_minute=100_000_000)
        jwt = export_credential(session, example_id, "jwt")[0].decode().strip()
        pool = [
            create_participant(
                session,
                organization=organization,
                display_name=f"Penkki {n:02d}",
                email=f"penkki{n:02d}@bench.example.fi",
            ).id
            for n in range(AWARD_PARTICIPANTS)
        ]
        return Fixture(
            share_one=share_one,
            share_passport=share_passport,
            jwt=jwt,
            api_key=api_key,
            organization_id=organization.id,
            award_participants=[p for p in pool if p is not None],
            template_award_id=award.id,
        )


@contextmanager
def writing(engine: Any) -> Iterator[Any]:
    """A connection in a write transaction, which on SQLite takes the write lock when it
    begins (as app.db.transaction(writes=True) does: a transaction that read first could
    not take it once the server had committed)."""
    from app.db import SQLITE_IMMEDIATE

    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execution_options(**{SQLITE_IMMEDIATE: True})
        with conn.begin():
            yield conn


def next_id(conn: Any, table: str) -> int:
    from sqlalchemy import text

    # Table names come from this module only.
    query = f'SELECT coalesce(max(id), 0) + 1 FROM "{table}"'  # noqa: S608
    return int(conn.execute(text(query)).scalar_one())


def clone_rows(
    conn: Any,
    table: str,
    template_id: int,
    rows: list[dict[str, Any]],
    nulls: frozenset[str] = frozenset(),
) -> None:
    """Insert copies of row `template_id` of `table`, each with the values of one of `rows`
    (bound with the model's column types) and NULL in `nulls`; other columns copied."""
    from sqlalchemy import bindparam, inspect, text
    from sqlmodel import SQLModel

    import app.models  # noqa: F401 (the tables)

    if not rows:
        return
    model = SQLModel.metadata.tables[table]
    given = list(rows[0])
    columns = [c["name"] for c in inspect(conn).get_columns(table)]
    values = [f":{c}" if c in given else "NULL" if c in nulls else f'"{c}"' for c in columns]
    names = ", ".join(f'"{c}"' for c in columns)
    # Table and column names come from this module and the database's own catalog.
    statement = text(
        f'INSERT INTO "{table}" ({names}) '  # noqa: S608
        f'SELECT {", ".join(values)} FROM "{table}" WHERE id = :template_id'
    ).bindparams(*(bindparam(c, type_=model.c[c].type) for c in given))
    conn.execute(statement, [{**row, "template_id": template_id} for row in rows])


def bulk_participants(
    engine: Any, template_id: int, count: int, name: str, email: str
) -> list[tuple[int, str, str]]:
    """`count` participants copied from one (ids, names and e-mails from the patterns)."""
    now = datetime.now(UTC)
    made = []
    with writing(engine) as conn:
        first = next_id(conn, "participant")
        for start in range(0, count, 5000):
            rows: list[dict[str, Any]] = [
                {
                    "id": first + n,
                    "public_id": str(uuid.uuid4()),
                    "display_name": name.format(n=n),
                    "email": email.format(n=n),
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(start, min(count, start + 5000))
            ]
            clone_rows(
                conn,
                "participant",
                template_id,
                rows,
                frozenset(
                    {"passport_token_hash", "passport_token_created_at", "pin_hash", "erased_at"}
                ),
            )
            made += [(int(r["id"]), str(r["display_name"]), str(r["email"])) for r in rows]
    return made


def reset_sequences(engine: Any, tables: list[str]) -> None:
    """PostgreSQL: serial sequences past the ids given explicitly; and the tables vacuumed
    and analyzed, as autovacuum keeps a database that grew over months (right after a bulk
    load it would otherwise vacuum them during the measurement, on the same two cores).
    SQLite: the bulk load's write-ahead log checkpointed and the tables analyzed, as a file
    that grew over months is (`osaamispassi maintenance` runs `PRAGMA optimize`); otherwise
    the first awards after the load would do that checkpoint's work."""
    from sqlalchemy import text

    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        return
    if engine.dialect.name != "postgresql":
        return
    with writing(engine) as conn:
        for table in tables:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f'(SELECT max(id) FROM "{table}"))'
                )
            )
    with engine.connect() as conn:
        autocommit = conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in tables:
            autocommit.execute(text(f'VACUUM (ANALYZE) "{table}"'))


def fill_big(engine: Any, fixture: Fixture, count: int) -> dict[str, Any]:
    """`count` more credentials, as described in the module's docstring."""
    from sqlalchemy import text

    started = time.perf_counter()
    template_award = fixture.template_award_id
    with engine.connect() as conn:
        award = conn.execute(
            text("SELECT participant_id FROM award WHERE id = :id"), {"id": template_award}
        ).one()
        credential = conn.execute(
            text("SELECT id, public_id FROM credential WHERE award_id = :id"),
            {"id": template_award},
        ).one()
        audit = conn.execute(
            text(
                "SELECT min(id) FROM audit_event WHERE action = 'award.create' "
                "AND object_id = :public_id"
            ),
            {"public_id": credential.public_id},
        ).scalar_one()
        lists = conn.execute(
            text(
                "SELECT id, sequence, size FROM status_list WHERE organization_id = :org "
                "AND purpose = 'revocation' ORDER BY sequence"
            ),
            {"org": fixture.organization_id},
        ).all()
        newest = lists[-1]
        used = set(
            conn.execute(
                text("SELECT status_index FROM credential WHERE status_list_id = :id"),
                {"id": newest.id},
            ).scalars()
        )
    people = max(1, count // 10)
    note(f"  {people:,} participants")
    participants = bulk_participants(
        engine, award.participant_id, people, "Täyttö {n:06d}", "taytto{n:06d}@bench.example.fi"
    )
    # Status list entries: the newest list filled to half, then new lists each half full
    # (where the service moves on), the last one with what remains; random indexes.
    slots: list[tuple[int, int]] = []
    new_lists: list[dict[str, Any]] = []
    with writing(engine) as conn:
        list_id, sequence, size = newest.id, newest.sequence, newest.size
        free = [i for i in range(size) if i not in used]
        take = max(0, min(count, size // 2 - len(used)))
        slots += [(list_id, i) for i in random.sample(free, take)]
        first_list = next_id(conn, "status_list")
        now = datetime.now(UTC)
        while len(slots) < count:
            list_id, sequence = first_list + len(new_lists), sequence + 1
            new_lists.append(
                {
                    "id": list_id,
                    "public_id": str(uuid.uuid4()),
                    "sequence": sequence,
                    "bits": bytes(size // 8),
                    "version": 1,
                    "signed_version": 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            take = min(count - len(slots), size // 2)
            slots += [(list_id, i) for i in random.sample(range(size), take)]
        clone_rows(conn, "status_list", newest.id, new_lists, frozenset({"signed_credential"}))
    note(f"  {len(new_lists)} new status lists; {count:,} awards and credentials")
    first_created = datetime.now(UTC) - timedelta(days=730)
    chunk = 5000
    with engine.connect() as conn:
        award_id, credential_id = next_id(conn, "award"), next_id(conn, "credential")
        audit_id = next_id(conn, "audit_event")
    salt = secrets.token_hex(3)
    for start in range(0, count, chunk):
        numbers = range(start, min(count, start + chunk))
        when = [first_created + timedelta(days=730 * n / count) for n in numbers]
        public_ids = [str(uuid.uuid4()) for _ in numbers]
        with writing(engine) as conn:
            clone_rows(
                conn,
                "award",
                template_award,
                [
                    {
                        "id": award_id + n,
                        "participant_id": participants[(n // 10) % len(participants)][0],
                        "idempotency_key": f"bulk-{salt}-{n:07d}",
                        "created_at": at,
                    }
                    for n, at in zip(numbers, when, strict=True)
                ],
            )
            clone_rows(
                conn,
                "credential",
                credential.id,
                [
                    {
                        "id": credential_id + n,
                        "public_id": public_id,
                        "award_id": award_id + n,
                        "status_list_id": slots[n][0],
                        "status_index": slots[n][1],
                        "issued_at": at,
                        "valid_from": at,
                        "is_public": False,
                    }
                    for n, at, public_id in zip(numbers, when, public_ids, strict=True)
                ],
                frozenset({"revoked_at", "revocation_reason", "suspended_at", "replaced_by_id"}),
            )
            if audit is not None:
                clone_rows(
                    conn,
                    "audit_event",
                    audit,
                    [
                        {"id": audit_id + n, "object_id": public_id, "created_at": at}
                        for n, at, public_id in zip(numbers, when, public_ids, strict=True)
                    ],
                )
        done = numbers.stop
        if done == count or done % 50_000 == 0:
            note(f"  {done:,} / {count:,} ({time.perf_counter() - started:.0f} s)")
    reset_sequences(engine, ["participant", "status_list", "award", "credential", "audit_event"])
    return {
        "credentials": count,
        "participants": people,
        "new_status_lists": len(new_lists),
        "seconds": round(time.perf_counter() - started, 1),
    }


# --- the coach in a browser ----------------------------------------------------------------


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    if match is None:
        raise BenchError("no CSRF token on the page")
    return match.group(1)


def sign_in(url: str) -> httpx.Client:
    """An HTTP client with the coach's session (as tests/live.py signs in)."""
    client = httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT)
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"csrf_token": token, "email": COACH, "password": PASSWORD})
    page = client.get("/coach")
    if answer.status_code not in (200, 303) or page.status_code != 200:
        client.close()
        raise BenchError(f"sign-in: {answer.status_code}, then /coach {page.status_code}")
    return client


def expect(answer: httpx.Response, status: int, step: str, marker: str | None = None) -> None:
    if answer.status_code != status or (marker is not None and marker not in answer.text):
        raise BenchError(f"{step}: HTTP {answer.status_code}")


FLOW_STEPS = ("form", "review", "issue", "issued page")


def award_flow(client: httpx.Client, participant: int, slug: str) -> dict[str, float]:
    """One award as a browser makes it: the seconds of each request (FLOW_STEPS) and of the
    whole flow ("flow")."""
    took: dict[str, float] = {}
    began = time.perf_counter()
    form = client.get(f"/coach/award/{participant}/{slug}")
    took["form"] = time.perf_counter() - began
    expect(form, 200, "form", 'name="criteria"')
    fields = {
        "csrf_token": csrf_of(form.text),
        "criteria": CRITERIA_RE.findall(form.text),
        "narrative": NARRATIVE,
        "activity_start": "",
        "activity_end": "",
        "photo_id": "",
        "replaces": "",
        "reason": "",
    }
    step = time.perf_counter()
    review = client.post(
        f"/coach/award/{participant}/{slug}/review",
        data=fields,
        files={"photo": ("", b"", "application/octet-stream")},  # no photo chosen
    )
    took["review"] = time.perf_counter() - step
    expect(review, 200, "review", 'name="idempotency_key"')
    key = IDEMPOTENCY_RE.search(review.text)
    assert key is not None
    step = time.perf_counter()
    issued = client.post(
        f"/coach/award/{participant}/{slug}/issue",
        data={**fields, "csrf_token": csrf_of(review.text), "idempotency_key": key.group(1)},
    )
    took["issue"] = time.perf_counter() - step
    expect(issued, 303, "issue")
    location = issued.headers.get("location", "")
    if not location.startswith("/coach/credentials/"):
        raise BenchError(f"issue: redirected to {location!r}")
    step = time.perf_counter()
    page = client.get(location)
    took["issued page"] = time.perf_counter() - step
    expect(page, 200, "issued page", "<svg")
    took["flow"] = time.perf_counter() - began
    return took


def award_series(client: httpx.Client, participants: list[int], count: int) -> dict[str, Any]:
    took: dict[str, list[float]] = {name: [] for name in (*FLOW_STEPS, "flow")}
    errors: Counter[str] = Counter()
    for n in range(WARMUP_AWARDS):  # not timed: the first requests fill the server's caches
        with suppress(BenchError, httpx.HTTPError):
            award_flow(client, participants[n % len(participants)], AWARD_BADGE)
    for n in range(count):
        try:
            one = award_flow(client, participants[n % len(participants)], AWARD_BADGE)
        except (BenchError, httpx.HTTPError) as exc:
            errors[str(exc) or type(exc).__name__] += 1
            continue
        for name, seconds in one.items():
            took[name].append(seconds)
    return {
        "awards": count,
        "issued": len(took["issue"]),
        "errors": dict(errors),
        **{name: spread(values) for name, values in took.items()},
    }


def steps_cell(r: dict[str, Any]) -> str:
    """p95 of each request of the flow, in FLOW_STEPS order."""
    if r["issue"]["p95_ms"] is None:
        return award_cell(r, "issue")
    return " / ".join(f"{r[name]['p95_ms']:.0f}" for name in FLOW_STEPS) + " ms"


def award_cell(r: dict[str, Any], part: str) -> str:
    s = r[part]
    if s["p50_ms"] is None:
        return f"no award issued; errors {counted(Counter(r['errors']))}"
    text = f"p50 {s['p50_ms']:.0f} / p95 {s['p95_ms']:.0f} ms ({r['issued']}/{r['awards']})"
    if r["errors"]:
        text += f", errors {counted(Counter(r['errors']))}"
    return text


async def _parallel_awards(
    url: str,
    cookies: httpx.Cookies,
    csrf: str,
    criteria: list[str],
    participants: list[int],
    total: int,
    parallel: int,
) -> dict[str, Any]:
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    gate = asyncio.Semaphore(parallel)
    salt = secrets.token_hex(4)
    limits = httpx.Limits(max_connections=parallel, max_keepalive_connections=parallel)
    async with httpx.AsyncClient(
        base_url=url, cookies=cookies, timeout=REQUEST_TIMEOUT, limits=limits
    ) as client:

        async def one(n: int) -> None:
            pid = participants[n % len(participants)]
            async with gate:
                began = time.perf_counter()
                try:
                    answer = await client.post(
                        f"/coach/award/{pid}/{AWARD_BADGE}/issue",
                        data={
                            "csrf_token": csrf,
                            "criteria": criteria,
                            "narrative": NARRATIVE,
                            "idempotency_key": f"parallel-{salt}-{n:05d}",
                        },
                    )
                except httpx.HTTPError as exc:
                    statuses[type(exc).__name__] += 1
                    return
                latencies.append(time.perf_counter() - began)
                location = answer.headers.get("location", "")
                good = answer.status_code == 303 and location.startswith("/coach/credentials/")
                statuses["303" if good else f"HTTP {answer.status_code}"] += 1

        began = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(total)))
        wall = time.perf_counter() - began
    return {
        "awards": total,
        "parallel": parallel,
        "succeeded": statuses["303"],
        "answers": dict(statuses),
        "wall_seconds": round(wall, 2),
        "per_second": round(statuses["303"] / wall, 1),
        "latency": spread(latencies),
        "key_prefix": f"web:parallel-{salt}-",
    }


def consistency(engine: Any, key_prefix: str) -> dict[str, int]:
    """Awards of the burst, their credentials, and status indexes used twice (all awards)."""
    from sqlalchemy import text

    with engine.connect() as conn:
        awards, credentials = conn.execute(
            text(
                "SELECT count(a.id), count(c.id) FROM award a "
                "LEFT JOIN credential c ON c.award_id = a.id WHERE a.idempotency_key LIKE :p"
            ),
            {"p": key_prefix + "%"},
        ).one()
        twice = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT status_list_id, status_index FROM credential "
                "GROUP BY status_list_id, status_index HAVING count(*) > 1) d"
            )
        ).scalar_one()
    return {"awards": int(awards), "credentials": int(credentials), "indexes_twice": int(twice)}


async def _coach_burst(url: str, cookies: httpx.Cookies, count: int) -> dict[str, Any]:
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    ready: Counter[str] = Counter()
    ready_latencies: list[float] = []
    done = asyncio.Event()
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)

    async def probe() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=10) as prober:
            while not done.is_set():
                began = time.perf_counter()
                try:
                    answer = await prober.get("/readyz")
                    ready[str(answer.status_code)] += 1
                except httpx.HTTPError as exc:
                    ready[type(exc).__name__] += 1
                ready_latencies.append(time.perf_counter() - began)
                with suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), 0.2)

    async with httpx.AsyncClient(
        base_url=url, cookies=cookies, timeout=REQUEST_TIMEOUT, limits=limits
    ) as client:

        async def one() -> None:
            began = time.perf_counter()
            try:
                answer = await client.get("/coach")
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] += 1
                return
            latencies.append(time.perf_counter() - began)
            good = answer.status_code == 200 and DASHBOARD_MARK.decode() in answer.text
            statuses["200" if good else f"HTTP {answer.status_code}"] += 1

        prober = asyncio.create_task(probe())
        began = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(count)))
        wall = time.perf_counter() - began
        done.set()
        await prober
    return {
        "requests": count,
        "ok": statuses["200"],
        "answers": dict(statuses),
        "wall_seconds": round(wall, 2),
        "latency": spread(latencies),
        "readyz": dict(ready),
        "readyz_max_ms": ms(max(ready_latencies)) if ready_latencies else None,
    }


def touch_due(engine: Any) -> None:
    """Every session last seen 65 s ago: the next request touches it (tests/test_faults.py)."""
    from sqlalchemy import update

    from app.models import WebSession
    from app.models.base import utcnow

    with writing(engine) as conn:
        conn.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(seconds=65)))


def group_award(
    client: httpx.Client, engine: Any, fixture: Fixture, size: int, timeout: float
) -> dict[str, Any]:
    """The group award job (contract in the module docstring): POST, then poll its progress."""
    from sqlalchemy import text

    from app.awards.service import badge_criteria
    from app.db import transaction

    with transaction(engine) as session:
        criteria = badge_criteria(session, GROUP_BADGE)
    with engine.connect() as conn:
        template = conn.execute(
            text("SELECT min(id) FROM participant WHERE organization_id = :org"),
            {"org": fixture.organization_id},
        ).scalar_one()
    salt = secrets.token_hex(3)
    note(f"  {size:,} participants in bulk")
    members = bulk_participants(
        engine,
        template,
        size,
        f"Ryhmä {salt} {{n:05d}}",
        f"ryhma-{salt}-{{n:05d}}@bench.example.fi",
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "email", "sentence"])
    for n, (_pid, name, email) in enumerate(members):
        writer.writerow([name, email, "Hoiti oman osuutensa hyvin." if n % 3 == 0 else ""])
    # The coach opens the form (the server starts its hashing workers meanwhile).
    csrf = csrf_of(client.get(f"/coach/group-award/{GROUP_BADGE}").text)
    credentials_before = count_credentials(engine)
    # A person's share page, opened by a visitor before and while the job runs: it should
    # answer in its normal time (the job's chunks hold SQLite's write lock briefly).
    visitor = httpx.Client(base_url=str(client.base_url), timeout=60)
    share_path = f"/s/{fixture.share_one}"

    def share_seconds() -> float:
        started = time.perf_counter()
        page = visitor.get(share_path)
        if page.status_code != 200:
            raise BenchError(f"share page during the group award: HTTP {page.status_code}")
        return time.perf_counter() - started

    share_before = [share_seconds() for _ in range(20)]
    share_during: list[float] = []
    began = time.perf_counter()
    answer = client.post(
        f"/coach/group-award/{GROUP_BADGE}",
        data={
            "csrf_token": csrf,
            "idempotency_key": f"bench-group-{secrets.token_hex(8)}",
            "confirmed": "1",  # as the review page sends it
            "criteria": criteria,
            "narrative": "Ryhmä siivosi työpajan yhdessä ohjeen mukaan.",
            "activity_start": "",
            "activity_end": "",
        },
        files={"members_csv": ("ryhma.csv", out.getvalue().encode(), "text/csv")},
    )
    posted = time.perf_counter() - began
    job = JOB_RE.search(answer.headers.get("location", "")) if answer.status_code == 303 else None
    if job is None:
        raise NotAvailable(
            f"POST /coach/group-award/{GROUP_BADGE} answered {answer.status_code}"
            + (f" to {answer.headers['location']}" if "location" in answer.headers else "")
            + ", not a 303 to /coach/group-award/jobs/{id}"
        )
    progress_url = f"/coach/group-award/jobs/{job.group(1)}/progress"
    samples: list[dict[str, Any]] = []
    state: dict[str, Any] = {}
    while time.perf_counter() - began < timeout:
        poll = client.get(progress_url)
        if poll.status_code in (404, 405) and not samples:
            raise NotAvailable(f"GET {progress_url} answered {poll.status_code}")
        if poll.status_code != 200:
            raise BenchError(f"progress: HTTP {poll.status_code}")
        state = poll.json()
        sample = {"t": round(time.perf_counter() - began, 2), **state}
        if not samples or {**samples[-1], "t": 0} != {**sample, "t": 0}:
            note(
                f"  {sample['t']:7.1f} s  {state.get('state')}  "
                f"{state.get('awarded')}/{state.get('total')} awarded, {state.get('failed')} failed"
            )
        samples.append(sample)
        if state.get("state") in ("done", "failed"):
            break
        share_during.append(share_seconds())
        time.sleep(0.2)
    took = time.perf_counter() - began
    visitor.close()
    finished = state.get("state") in ("done", "failed")
    added = count_credentials(engine) - credentials_before
    return {
        "participants": size,
        "post_seconds": round(posted, 2),
        "state": state.get("state") if finished else f"timed out ({state.get('state')})",
        "seconds": round(took, 1),
        "awarded": state.get("awarded"),
        "failed": state.get("failed"),
        "total": state.get("total"),
        "per_second": round((state.get("awarded") or 0) / took, 1),
        "credentials_added": added,
        "samples": thin(samples, 20),
        "share_page_before": spread(share_before),
        "share_page_during": spread(share_during),
    }


def count_credentials(engine: Any) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM credential")).scalar_one())


def thin(samples: list[dict[str, Any]], keep: int) -> list[dict[str, Any]]:
    if len(samples) <= keep:
        return samples
    step = (len(samples) - 1) / (keep - 1)
    return [samples[round(i * step)] for i in range(keep)]


# --- one database ------------------------------------------------------------------------


class Skipped(Exception):
    """A scenario left out with --parts."""


@dataclass(frozen=True)
class Options:
    seconds: float
    awards: int
    parallel_awards: int
    parallel: int
    coach_requests: int
    group_size: int
    big: int | None  # None: skip
    parts: frozenset[str] = frozenset(("load", "awards", "parallel", "coach", "group"))


@dataclass
class Run:
    """One database's server, data and results."""

    label: str
    url: str = ""
    log: Path | None = None
    rows: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)

    def log_tail(self, why: str) -> None:
        """The end of the server's log, on standard error: its records and exceptions
        without the traceback frames; lines that differ only in their time and request id
        are shown once, with their count."""
        if self.log is None or not self.log.exists():
            return
        size = self.log.stat().st_size
        with self.log.open("rb") as f:
            f.seek(max(0, size - 256 * 1024))
            lines = f.read().decode(errors="replace").splitlines()
        shown: dict[str, int] = {}
        for line in lines:
            if not line.strip() or line.startswith((" ", "\t", "Traceback")):
                continue
            key = LOG_NOISE.sub("", line)
            shown[key] = shown.pop(key, 0) + 1  # moved to the end: the order of last seen
        tail = list(shown.items())[-LOG_TAIL_LINES:]
        note(f"--- {self.label} server log ({why}), last {len(tail)} distinct lines ---")
        for line, times in tail:
            note(f"{line}  [×{times}]" if times > 1 else line)
        note("--- end of server log ---")

    @contextmanager
    def scenario(self, row: str) -> Iterator[None]:
        """A scenario that fails shows as failed in its row; the next one still runs."""
        try:
            yield
        except Skipped:
            pass
        except NotAvailable as exc:
            self.rows[row] = "not available"
            self.data.setdefault("not_available", {})[row] = str(exc)
            note(f"  not available: {exc}")
        except (Exception, SystemExit) as exc:
            self.rows[row] = f"FAILED: {first_line(exc)}"[:100]
            self.failed.append(f"{row}: {first_line(exc)}")
            note(f"  {row}: FAILED: {exc!r}")
            self.log_tail("after a failure")


def run_database(run: Run, database_url: str, logs: Path, options: Options) -> None:
    port = free_port()
    env = server_env(
        database_url,
        port,
        # One client address sends everything: the secret-token look-up limit (429) would
        # measure the limit, not the page.
        TOKEN_LOOKUPS_PER_MINUTE="1000000000",  # noqa: S106 (a number, not a password)
    )
    settings = app_settings(database_url, port)
    from app.db import dispose_engines, get_engine

    try:
        note(f"{run.label}: preparing the database")
        fixture = prepare(env, settings)
        engine = get_engine(settings)
        run.log = logs / f"server-{run.label.lower()}-{port}.log"
        with run.log.open("wb") as log:
            process = serve(env, port, log)
        try:
            try:
                wait_until_up(port, process)
            except SystemExit:
                run.log_tail("start-up failed")
                raise
            run.url = f"http://127.0.0.1:{port}"
            run_scenarios(run, port, process.pid, engine, fixture, options)
        finally:
            stop(process)
    finally:
        dispose_engines()


def run_scenarios(
    run: Run, port: int, pid: int, engine: Any, fixture: Fixture, options: Options
) -> None:
    seconds = options.seconds
    loads: dict[str, dict[str, Any]] = {}
    healthz = Target("GET /healthz", get("/healthz"), ok_with(b'"ok"'))
    # Every badge on a share page must be green (verified now, not revoked).
    one = Target("GET /s/{token}, 1 badge", get(f"/s/{fixture.share_one}"), ok_with(GREEN, 1))
    passport = Target(
        "GET /s/{token}, 13 badges",
        get(f"/s/{fixture.share_passport}"),
        ok_with(GREEN, PASSPORT_BADGES),
    )
    jwt = Target(
        "verify VC-JWT",
        post("/api/v1/verifications", {"jwt": fixture.jwt}, fixture.api_key),
        ok_with(b'"verified":true'),
    )
    # The same JWT with a recipient of its own in every request: bytes never seen before,
    # so no answer is kept for them (decision 0020), as for a school checking each
    # credential once. ("verified" is false: the demo badge names another e-mail.)
    asked = iter(range(10**9))
    jwt_new = Target(
        "verify VC-JWT, never the same request",
        lambda: post(
            "/api/v1/verifications",
            {"jwt": fixture.jwt, "recipient": f"koulu{next(asked)}@example.fi"},
            fixture.api_key,
        ),
        ok_with(b'"code":"recipient_mismatch"'),
    )
    targets = [
        ("healthz", healthz, 20),
        ("share_1_c20", one, 20),
        ("share_1_c50", one, 50),
        ("share_13_c20", passport, 20),
        ("jwt_c20", jwt, 20),
        ("jwt_new_c20", jwt_new, 20),
    ]
    labels = {
        "healthz": "GET /healthz, 20 clients",
        "share_1_c20": "GET /s/{token} 1 badge, 20 clients",
        "share_1_c50": "GET /s/{token} 1 badge, 50 clients",
        "share_13_c20": "GET /s/{token} 13-badge passport, 20 clients",
        "jwt_c20": "verify VC-JWT (POST /api/v1/verifications), 20 clients",
        "jwt_new_c20": "verify VC-JWT, a request never seen before, 20 clients",
    }
    note(f"{run.label}: load")
    if "load" not in options.parts:
        targets = []
    for key, target, clients in targets:
        with run.scenario(labels[key]):
            loads[key] = drive(port, target, clients, seconds, pid)
            run.rows[labels[key]] = load_cell(loads[key])
            if any(k.startswith("HTTP 5") for k in loads[key]["errors_by_kind"]):
                run.log_tail(f"5xx answers to {target.name}")
    run.data["load"] = loads
    base = loads.get("healthz", {}).get("per_second")
    for key, row in (
        ("share_1_c20", "1-badge share page vs /healthz (req/s, 20 clients)"),
        ("jwt_c20", "JWT verification vs /healthz (req/s, 20 clients)"),
        ("jwt_new_c20", "JWT verification never seen before vs /healthz (req/s, 20 clients)"),
    ):
        if base and key in loads:
            ratio = 100 * loads[key]["per_second"] / base
            run.data[f"{key}_vs_healthz_percent"] = round(ratio, 1)
            run.rows[row] = f"{ratio:.1f} %"

    note(f"{run.label}: {options.awards} awards one after another")
    client: httpx.Client | None = None
    try:
        with run.scenario("coach sign-in"):
            client = sign_in(run.url)
        if client is None:
            return
        empty: dict[str, Any] = {}
        if "awards" not in options.parts:
            options = replace(options, big=None)
        with run.scenario(f"award: POST issue, {options.awards} one after another"):
            if "awards" not in options.parts:
                raise Skipped
            empty = award_series(client, fixture.award_participants, options.awards)
            run.data["award_empty"] = empty
            run.rows[f"award: POST issue, {options.awards} one after another"] = award_cell(
                empty, "issue"
            )
            run.rows["award: whole flow (form, review, issue, issued page)"] = award_cell(
                empty, "flow"
            )
            run.rows["award: p95 of each request (form / review / issue / issued page)"] = (
                steps_cell(empty)
            )

        row = f"{options.parallel_awards} awards, {options.parallel} in parallel (POST issue)"
        note(f"{run.label}: {row}")
        with run.scenario(row):
            if "parallel" not in options.parts:
                raise Skipped
            form = client.get(f"/coach/award/{fixture.award_participants[0]}/{AWARD_BADGE}")
            expect(form, 200, "form", 'name="criteria"')
            burst = asyncio.run(
                _parallel_awards(
                    run.url,
                    client.cookies,
                    csrf_of(form.text),
                    CRITERIA_RE.findall(form.text),
                    fixture.award_participants,
                    options.parallel_awards,
                    options.parallel,
                )
            )
            burst["check"] = consistency(engine, burst.pop("key_prefix"))
            run.data["parallel_awards"] = burst
            check = burst["check"]
            run.rows[row] = (
                f"{burst['succeeded']}/{burst['awards']} issued in {burst['wall_seconds']:.1f} s "
                f"({burst['per_second']:.1f}/s, max {burst['latency']['max_ms']:.0f} ms); "
                f"answers {counted(Counter(burst['answers']))}; "
                f"rows {check['awards']} awards/{check['credentials']} credentials, "
                f"{check['indexes_twice']} indexes twice"
            )
            if any(k.startswith("HTTP 5") for k in burst["answers"]):
                run.log_tail("5xx answers to parallel awards")

        row = f"{options.coach_requests} parallel GET /coach of one coach (session due a touch)"
        note(f"{run.label}: {row}")
        with run.scenario(row):
            if "coach" not in options.parts:
                raise Skipped
            touch_due(engine)
            coach = asyncio.run(_coach_burst(run.url, client.cookies, options.coach_requests))
            run.data["coach_burst"] = coach
            readyz = counted(Counter(coach["readyz"]))
            run.rows[row] = (
                f"{coach['ok']}/{coach['requests']} × 200 in {coach['wall_seconds']:.1f} s, "
                f"max {coach['latency']['max_ms']:.0f} ms; /readyz during it: {readyz}"
                f" (max {coach['readyz_max_ms']:.0f} ms)"
            )
            if any(k != "200" for k in coach["answers"]):
                run.rows[row] += f"; answers {counted(Counter(coach['answers']))}"
                run.log_tail("GET /coach answers other than 200")

        row = f"group award of {options.group_size:,} as a background job (POST to done)"
        note(f"{run.label}: {row}")
        with run.scenario(row):
            if "group" not in options.parts:
                raise Skipped
            group = group_award(
                client, engine, fixture, options.group_size, 120 + options.group_size * 0.5
            )
            run.data["group_award"] = group
            run.samples = group["samples"]
            run.rows[row] = (
                f"{group['state']} in {group['seconds']:.1f} s: {group['awarded']}/"
                f"{group['total']} awarded, {group['failed']} failed "
                f"({group['per_second']:.1f}/s; POST answered in {group['post_seconds']:.2f} s; "
                f"{group['credentials_added']} credentials added)"
            )
            before, during = group["share_page_before"], group["share_page_during"]
            run.rows["1-badge share page before / during the group award (sequential)"] = (
                f"p50 {before['p50_ms']:.0f} / {during['p50_ms']:.0f} ms, "
                f"max {before['max_ms']:.0f} / {during['max_ms']:.0f} ms"
            )

        if options.big is None:
            return
        row = f"fill {options.big:,} credentials in bulk (SQL)"
        note(f"{run.label}: {row}")
        filled = False
        with run.scenario(row):
            fill = fill_big(engine, fixture, options.big)
            run.data["big_fill"] = fill
            run.rows[row] = (
                f"{fill['seconds']:.0f} s ({fill['participants']:,} participants, "
                f"{fill['new_status_lists']} more status lists)"
            )
            filled = True
        if not filled:
            return
        row = f"award: whole flow with {options.big:,} credentials"
        note(f"{run.label}: {options.awards} awards with {options.big:,} credentials")
        with run.scenario(row):
            client.close()
            client = sign_in(run.url)
            big = award_series(client, fixture.award_participants, options.awards)
            run.data["award_big"] = big
            run.rows[f"award: POST issue with {options.big:,} credentials"] = award_cell(
                big, "issue"
            )
            run.rows[row] = award_cell(big, "flow")
            run.rows[f"award: p95 of each request with {options.big:,} credentials"] = steps_cell(
                big
            )
            before, after = empty.get("flow", {}).get("p50_ms"), big["flow"]["p50_ms"]
            before_issue, after_issue = (
                empty.get("issue", {}).get("p50_ms"),
                big["issue"]["p50_ms"],
            )
            if before and after and before_issue and after_issue:
                flow_change = 100 * (after - before) / before
                issue_change = 100 * (after_issue - before_issue) / before_issue
                run.data["award_big_vs_empty_percent"] = {
                    "flow_p50": round(flow_change, 1),
                    "issue_p50": round(issue_change, 1),
                }
                run.rows[f"award p50 with {options.big:,} credentials vs empty"] = (
                    f"flow {flow_change:+.1f} %, issue {issue_change:+.1f} %"
                )
    finally:
        if client is not None:
            client.close()


# --- the whole run -----------------------------------------------------------------------


def info() -> dict[str, Any]:
    return {
        "machine": machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        # Other work on the machine takes CPU from both server and client: say how much.
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def table(runs: list[Run]) -> str:
    rows: list[str] = []
    for run in runs:
        rows += [r for r in run.rows if r not in rows]
    header = ["what", *(run.label for run in runs)]
    lines = [[r, *(run.rows.get(r, "-") for run in runs)] for r in rows]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    out = [" | ".join(c.ljust(w) for c, w in zip(header, widths, strict=True))]
    out.append("-+-".join("-" * w for w in widths))
    out += [" | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    return "\n".join(line.rstrip() for line in out)


def interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seconds", type=float, help="per load scenario (default 10; 2 quick)")
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=DEFAULT_POSTGRES,
        help=f"PostgreSQL database for a fresh schema, dropped afterwards ({DEFAULT_POSTGRES})",
    )
    parser.add_argument("--big", type=int, help="credentials of the big database (250000)")
    parser.add_argument("--skip-big", action="store_true", help="no big-database scenario")
    parser.add_argument("--awards", type=int, help="awards one after another (100)")
    parser.add_argument("--group-size", type=int, help="participants of the group award (2500)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: short and small")
    parser.add_argument(
        "--parts",
        default="load,awards,parallel,coach,group",
        help="which scenarios (comma-separated: load, awards, parallel, coach, group; the big "
        "database follows awards unless --skip-big)",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--logs", metavar="DIR", type=Path, help="keep the servers' logs in DIR (default: not kept)"
    )
    args = parser.parse_args()
    quick = args.quick
    options = Options(
        seconds=args.seconds or (2.0 if quick else 10.0),
        awards=args.awards or (10 if quick else 100),
        parallel_awards=60 if quick else 300,
        parallel=30,
        coach_requests=200,
        group_size=args.group_size or (100 if quick else 2500),
        big=None if args.skip_big else (args.big or (5000 if quick else 250_000)),
        parts=frozenset(p.strip() for p in args.parts.split(",") if p.strip()),
    )
    # Ctrl-C (also when started where SIGINT was ignored) and SIGTERM: stop the servers and
    # drop the schemas on the way out.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)
    if args.logs:
        args.logs.mkdir(parents=True, exist_ok=True)
    about = info()
    if not args.json:
        print(
            f"{about['machine']}, {about['cores']} cores; Python {about['python']}; "
            f"{about['date_utc']}; load average {about['load_average_1min']}",
            flush=True,
        )
    databases = [("sqlite", "SQLite"), ("postgres", "PostgreSQL")]
    runs: list[Run] = []
    try:
        with tempfile.TemporaryDirectory(prefix="osaamispassi-service-bench-") as tmp:
            for kind, label in databases:
                if args.only and args.only != kind:
                    continue
                run = Run(label)
                runs.append(run)
                try:
                    with postgres_schema(
                        args.postgres if kind == "postgres" else None, "bench_service"
                    ) as url:
                        run_database(
                            run,
                            url or f"sqlite:///{Path(tmp) / 'bench.db'}",
                            args.logs or Path(tmp),
                            options,
                        )
                except (Exception, SystemExit) as exc:
                    run.failed.append(f"{label}: {first_line(exc)}")
                    run.rows.setdefault("database", f"FAILED: {first_line(exc)}"[:100])
                    note(f"{label}: FAILED: {exc!r}")
                    run.log_tail("after a failure")
    except KeyboardInterrupt:
        note("interrupted: servers stopped, schemas dropped")
        sys.exit(130)
    about["load_average_1min_end"] = round(os.getloadavg()[0], 2)
    failed = [f for run in runs for f in run.failed]
    if args.json:
        print(
            json.dumps(
                {
                    "info": {**about, **options.__dict__},
                    "results": {run.label: run.data for run in runs},
                    "failed": failed,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        print(
            f"{options.seconds:g} s per load scenario; load average at the end "
            f"{about['load_average_1min_end']}"
        )
        print(table(runs))
        for run in runs:
            if run.samples:
                print(f"\nGroup award progress, {run.label} (s: state awarded/total, failed):")
                print(
                    "  "
                    + "; ".join(
                        f"{s['t']:.1f}: {s.get('state')} {s.get('awarded')}/{s.get('total')}, "
                        f"{s.get('failed')}"
                        for s in run.samples
                    )
                )
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
