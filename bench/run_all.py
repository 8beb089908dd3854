"""Run the Python bench and, when Node.js is available, the Digital Bazaar bench; compare.

    .venv/bin/python bench/run_all.py [--iterations 200] [--baseline] [--no-js]

1. ``bench/credentials.py`` (fast path, and with ``--baseline`` also plain PyLD) writes
   the test credential, our canonical N-Quads, our signed copy and the bench key to
   ``bench/out/``;
2. if ``node`` and ``npm`` are on PATH: ``npm ci`` (``npm install`` without a lock file)
   in ``bench/js`` unless ``node_modules`` is already there, then ``node bench.mjs`` with
   the same contexts folder;
3. prints the medians side by side and the cross-implementation checks.

Exit status 1 if a cross-implementation check failed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
JS_DIR = BENCH_DIR / "js"
sys.path.insert(0, str(BENCH_DIR))

import credentials  # noqa: E402

PAIRS = [
    ("DI sign", "DI sign (eddsa-rdfc-2022)", "DI sign (vc.issue)", "DI sign (jsigs.sign)"),
    ("DI verify", "DI verify", "DI verify (vc.verifyCredential)", "DI verify (jsigs.verify)"),
]


def run_js(iterations: int, warmup: int) -> dict[str, Any] | None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        print("node/npm not found: skipping the JavaScript bench")
        return None
    if not (JS_DIR / "node_modules").is_dir():
        command = "ci" if (JS_DIR / "package-lock.json").exists() else "install"
        print(f"npm {command} in {JS_DIR} ...", flush=True)
        subprocess.run(
            [npm, command, "--no-audit", "--no-fund", "--loglevel=error"], cwd=JS_DIR, check=True
        )
    result = subprocess.run(
        [
            node,
            "bench.mjs",
            str(credentials.contexts_dir()),
            str(credentials.OUT_DIR),
            "--iterations",
            str(iterations),
            "--warmup",
            str(warmup),
            "--json",
        ],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.stderr.strip():
        print(result.stderr.strip(), file=sys.stderr)
    try:
        return dict(json.loads(result.stdout))
    except ValueError:
        print(f"JS bench failed (exit {result.returncode}):\n{result.stdout}", file=sys.stderr)
        return None


def fmt(stats: dict[str, float] | None) -> str:
    if stats is None:
        return f"{'-':>17}"
    return f"{stats['median_ms']:>8.2f} ({stats['p95_ms']:>6.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Python vs JS Data Integrity bench")
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--js-warmup", type=int, default=100, help="V8 needs a longer warm-up")
    parser.add_argument("--baseline", action="store_true", help="also time plain PyLD")
    parser.add_argument("--no-js", action="store_true")
    args = parser.parse_args(argv)

    baseline = None
    if args.baseline:
        baseline = credentials.run(args.iterations, args.warmup, baseline=True)
    py = credentials.run(args.iterations, args.warmup)
    credentials.print_report(py)
    js = None if args.no_js else run_js(args.iterations, args.js_warmup)

    print()
    print(f"median ms (p95) over {args.iterations} runs")
    header = f"  {'operation':<12} {'Python fast':>17}"
    if baseline:
        header += f" {'Python PyLD':>17}"
    header += f" {'JS vc.*':>17} {'JS jsigs.*':>17}"
    print(header)
    for label, py_key, js_vc_key, js_sigs_key in PAIRS:
        row = f"  {label:<12} {fmt(py['results'][py_key])}"
        if baseline:
            row += f" {fmt(baseline['results'][py_key])}"
        js_results = js["results"] if js else {}
        row += f" {fmt(js_results.get(js_vc_key))} {fmt(js_results.get(js_sigs_key))}"
        print(row)
    for name in ("VC-JWT sign ES256", "VC-JWT sign EdDSA", "VC-JWT verify ES256"):
        print(f"  {name:<20} {fmt(py['results'][name])}  (Python only)")
    if js:
        m = js["machine"]
        print(f"  JS: Node {m['node']} on {m['cpu']} (nproc {m['nproc']})")
        print("cross-implementation checks (Digital Bazaar stack):")
        for name, value in js["checks"].items():
            print(f"  {name}: {value}")
        required = (
            "sameKey",
            "documentNquadsEqual",
            "proofNquadsEqual",
            "verifiesPythonSignedCredential",
            "rejectsTamperedCredential",
            "sameProofValue",
        )
        if not all(js["checks"].get(k) is True for k in required):
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
