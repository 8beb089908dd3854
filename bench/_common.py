"""Shared parts of the benches that drive real uvicorn servers on 127.0.0.1
(bench/api_throughput.py, bench/service.py): ports, the CLI, a throw-away PostgreSQL schema,
starting and stopping a server, the server's CPU time and a line about the machine."""

from __future__ import annotations

import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
BIN = Path(sys.executable).parent
STANDARDS = REPO_ROOT.parent / "shared" / "standards"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(database_url: str, port: int, **settings: str) -> dict[str, str]:
    """The environment of the CLI and the server: this database, this port, quiet logs,
    the pinned contexts and schemas of ../shared/standards when not set otherwise."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BASE_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        "ENVIRONMENT": "development",
        **settings,
    }
    for name, sub in (("CONTEXTS_DIR", "contexts"), ("SCHEMAS_DIR", "schemas")):
        if not env.get(name) and (STANDARDS / sub).is_dir():
            env[name] = str(STANDARDS / sub)
    return env


def cli(env: dict[str, str], *args: str) -> str:
    """Run `osaamispassi ARGS`; its output, or exit with its error."""
    result = subprocess.run(
        [str(BIN / "osaamispassi"), *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"osaamispassi {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout + result.stderr


@contextmanager
def postgres_schema(server_url: str | None, prefix: str = "bench") -> Iterator[str | None]:
    """A fresh schema in the given PostgreSQL database, dropped afterwards (even on Ctrl-C);
    yields its URL. None: use SQLite (yields None)."""
    if server_url is None:
        yield None
        return
    from sqlalchemy import create_engine, text

    schema = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(server_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in server_url else "?"
        yield f"{server_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            # Connections of this schema's server left behind (a killed run) would hold
            # locks the drop waits for.
            conn.execute(text("SET LOCAL lock_timeout = '30s'"))
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def uvicorn_command(port: int) -> list[str]:
    """One uvicorn process: uvloop + httptools, access log off, one worker."""
    return [
        str(BIN / "python"),
        "-m",
        "uvicorn",
        "app.main:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--no-proxy-headers",
        "--log-level",
        "warning",
    ]


def serve(env: dict[str, str], port: int, log: IO[bytes] | None = None) -> subprocess.Popen[bytes]:
    """Start a server (its output to `log` when given, else to this process's)."""
    return subprocess.Popen(
        uvicorn_command(port),
        env=env,
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT if log is not None else None,
        # Its own process group: Ctrl-C reaches this process only, which stops the server
        # in order (before the schema it uses is dropped).
        start_new_session=True,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server: SIGTERM, then SIGKILL after 30 s."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def wait_until_up(port: int, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    """Until GET /readyz answers 200 (exit if the server exits or does not get ready)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("uvicorn exited during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                if b" 200 " in s.recv(100):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("uvicorn did not become ready")


def server_cpu_seconds(pids: list[int]) -> float | None:
    """CPU time (user + system) of the server processes so far (Linux only)."""
    try:
        total = 0
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def machine() -> str:
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                return f"{line.split(':', 1)[1].strip()}, {os.cpu_count()} CPUs"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
