"""API throughput: verifications per second and latency of POST /api/v1/verifications.

    .venv/bin/python bench/api_throughput.py [--seconds 10] [--clients 20] [--instances 1 2]

1. makes a throw-away SQLite database in a temporary folder: migrated, catalog synced,
   the demo organization (with its keys) and its awarded badges, and an API key whose
   limit is far above what the bench can send (so nothing is throttled; its count is
   reserved in leases of 128 units, app/clients/leases.py);
2. exports one demo badge as Data Integrity JSON-LD and as a VC-JWT;
3. for each instance count, starts that many uvicorn processes (uvloop + httptools,
   access log off, one worker each) on ports of 127.0.0.1 and drives them with
   ``--clients`` concurrent keep-alive connections, dealt round-robin over the instances
   as a load balancer would, from a small asyncio HTTP/1.1 client for ``--seconds`` per
   scenario: GET /healthz (a trivial endpoint, for reference), then the JWT and the Data
   Integrity badge;
4. prints requests/s, p50/p95 latency and the server's CPU time per request (Linux) per
   scenario; every answer is checked (status 200 and, for verifications,
   ``"verified":true``), and any other answer fails the run.

Traffic goes to 127.0.0.1 only. The client runs on the same machine and takes CPU from the
server; the figures are therefore a lower bound of what the server can do.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    cli,
    free_port,
    machine,
    postgres_schema,
    serve,
    server_cpu_seconds,
    server_env,
    wait_until_up,
)


@dataclass
class Scenario:
    name: str
    request: bytes
    expect: bytes | None  # a byte string every answer body must contain


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def prepare(
    folder: Path, port: int, database_url: str | None = None
) -> tuple[dict[str, str], str, dict[str, Any], str]:
    """Database with demo data and an API key; returns env, key, JSON badge, JWT badge."""
    env = server_env(database_url or f"sqlite:///{folder / 'bench.db'}", port)
    cli(env, "db", "upgrade")
    cli(env, "catalog", "sync")
    demo = cli(env, "demo")
    credential_id = next(
        line.split(":", 1)[1].strip()
        for line in demo.splitlines()
        if line.startswith("Example credential id:")
    )
    key_line = cli(env, "apikey", "create", "--name", "bench", "--per-minute", "100000000")
    key = key_line.strip().rsplit(" ", 1)[1]
    credential = json.loads(cli(env, "credential", "export", credential_id, "--format", "json"))
    jwt = cli(env, "credential", "export", credential_id, "--format", "jwt").strip()
    return env, key, credential, jwt


def post(path: str, body: dict[str, Any], key: str) -> bytes:
    payload = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"X-API-Key: {key}\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, scenario: Scenario
) -> str | None:
    """One request and its answer; None when the answer is as expected, else what it was."""
    writer.write(scenario.request)
    status_line = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length)
    if b" 200 " not in status_line or (scenario.expect is not None and scenario.expect not in body):
        return f"{status_line.decode().strip()}: {body[:300]!r}"
    return None


async def connect(
    port: int, scenario: Scenario
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A keep-alive connection that has had one answer (so the server has taken it)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    error = await exchange(reader, writer, scenario)
    if error is not None:
        raise SystemExit(f"{scenario.name}: unexpected answer: {error}")
    return reader, writer


async def client(
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    scenario: Scenario,
    deadline: float,
    outcome: Outcome,
    warmup_until: float,
) -> None:
    reader, writer = connection
    try:
        while (start := time.perf_counter()) < deadline:
            error = await exchange(reader, writer, scenario)
            elapsed = time.perf_counter() - start
            if error is not None:
                outcome.errors.append(error)
                return
            if start >= warmup_until:
                outcome.latencies.append(elapsed)
    finally:
        writer.close()


async def _at(moment: float, probe: Callable[[], float | None]) -> float | None:
    await asyncio.sleep(max(0.0, moment - time.perf_counter()))
    return probe()


async def drive(
    ports: list[int],
    scenario: Scenario,
    clients: int,
    seconds: float,
    server_pids: list[int] | None = None,
) -> dict[str, Any]:
    outcome = Outcome()
    # Each connection is answered once before the measuring starts. They are dealt over the
    # instances round-robin; with uvicorn's own --workers, 20 connections opened at once
    # were all accepted by whichever worker woke first (asyncio accepts every pending
    # connection in one go), and the other worker sat idle.
    connections = [await connect(ports[n % len(ports)], scenario) for n in range(clients)]
    began = time.perf_counter()
    warmup_until = began + min(1.0, seconds / 5)
    deadline = warmup_until + seconds

    def probe() -> float | None:
        return server_cpu_seconds(server_pids) if server_pids else None

    cpu_before = asyncio.create_task(_at(warmup_until, probe))
    await asyncio.gather(
        *(client(c, scenario, deadline, outcome, warmup_until) for c in connections)
    )
    cpu_after = probe()
    cpu_start = await cpu_before
    if outcome.errors:
        raise SystemExit(f"{scenario.name}: unexpected answer: {outcome.errors[0]}")
    lat = sorted(outcome.latencies)
    return {
        "scenario": scenario.name,
        "requests": len(lat),
        "per_second": len(lat) / seconds,
        "p50_ms": statistics.median(lat) * 1000,
        "p95_ms": lat[int(len(lat) * 0.95) - 1] * 1000,
        # The server's CPU time per answer while measuring (all its processes): steadier
        # than requests/s on a machine shared with other work.
        "server_cpu_ms": (
            (cpu_after - cpu_start) * 1000 / len(lat)
            if cpu_after is not None and cpu_start is not None and lat
            else None
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="use a fresh schema (dropped afterwards) in this PostgreSQL database instead of "
        "SQLite, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    port = free_port()
    results = []
    with (
        tempfile.TemporaryDirectory(prefix="osaamispassi-bench-") as tmp,
        postgres_schema(args.postgres) as database_url,
    ):
        env, key, credential, jwt = prepare(Path(tmp), port, database_url)
        scenarios = [
            Scenario(
                "GET /healthz",
                b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                None,
            ),
            Scenario(
                "verify VC-JWT",
                post("/api/v1/verifications", {"jwt": jwt}, key),
                b'"verified":true',
            ),
            Scenario(
                "verify Data Integrity",
                post("/api/v1/verifications", {"credential": credential}, key),
                b'"verified":true',
            ),
        ]
        for instances in args.instances:
            ports = [port, *(free_port() for _ in range(instances - 1))]
            processes = [serve(env, p) for p in ports]
            try:
                for p, process in zip(ports, processes, strict=True):
                    wait_until_up(p, process)
                pids = [process.pid for process in processes]
                for scenario in scenarios:
                    outcome = asyncio.run(drive(ports, scenario, args.clients, args.seconds, pids))
                    outcome["instances"] = instances
                    results.append(outcome)
                    if not args.json:
                        cpu = outcome["server_cpu_ms"]
                        print(
                            f"instances={instances}  {scenario.name:<24} "
                            f"{outcome['per_second']:8.0f} req/s   "
                            f"p50 {outcome['p50_ms']:7.1f} ms   p95 {outcome['p95_ms']:7.1f} ms"
                            + (f"   server CPU {cpu:5.2f} ms/req" if cpu is not None else ""),
                            flush=True,
                        )
            finally:
                for process in processes:
                    process.terminate()
                for process in processes:
                    process.wait(timeout=30)
    info = {
        "database": "postgresql" if args.postgres else "sqlite",
        "machine": machine(),
        "python": platform.python_version(),
        "clients": args.clients,
        "seconds": args.seconds,
        "date": time.strftime("%Y-%m-%d"),
        # Other work on the machine takes CPU from both server and client: say how much.
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    if args.json:
        print(json.dumps({"info": info, "results": results}, indent=2))
    else:
        print(
            f"{info['machine']}; Python {info['python']}; {info['database']}; "
            f"{args.clients} clients, load average {info['load_average_1min']}, "
            f"{args.seconds:.0f} s per scenario; {info['date']}"
        )


if __name__ == "__main__":
    main()
