"""Per-credential timings of the proof operations, on a badge built as the service builds it.

The credential mirrors :func:`app.credentials.service.build_unsigned` without a database:
an issuer profile (did:web), an achievement aligned to two ePerusteet units and six of
their skill requirements (8 alignments), a hashed e-mail identifier, one evidence item, a
Bitstring Status List entry and a validity window.

Measured (median and p95 over ``--iterations`` runs after ``--warmup`` runs):

* Data Integrity ``eddsa-rdfc-2022`` sign (:func:`app.vc.dataintegrity.add_proof`) and
  verify (:func:`app.vc.dataintegrity.verify_proof`);
* VC-JWT sign with ES256 and EdDSA (:func:`app.vc.jwt.encode_vc_jwt`) and verify
  (:func:`app.vc.jwt.verify_vc_jwt`).

``--baseline`` runs the Data Integrity operations through plain PyLD
(:func:`app.vc.canonical.canonicalize_reference`) instead of the fast path, to show the
before/after difference on the same machine.

The test credential, its canonical N-Quads, our signed copy, the canonical N-Quads of our
proof configuration and the (throw-away, fixed-seed) bench key are written to
``bench/out/`` for ``bench/js/bench.mjs``.

Usage::

    .venv/bin/python bench/credentials.py [--iterations 200] [--json] [--baseline]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from app.keys import (  # noqa: E402
    KeySigner,
    StaticKeyResolver,
    ed25519_private_key_from_seed,
    generate_private_key,
)
from app.vc import canonical, dataintegrity  # noqa: E402
from app.vc.contexts import DocumentLoader  # noqa: E402
from app.vc.jwt import encode_vc_jwt, verify_vc_jwt  # noqa: E402
from app.vc.openbadges import (  # noqa: E402
    AchievementData,
    Alignment,
    CredentialData,
    EvidenceData,
    IssuerProfile,
    StatusEntry,
    SubjectData,
    build_credential,
)

ORIGIN = "https://osaamispassi.example"
ISSUER_DID = "did:web:osaamispassi.example:orgs:eduro"
DI_METHOD = f"{ISSUER_DID}#key-1"
JWT_METHOD = f"{ISSUER_DID}#key-2"
# A throw-away key for the bench only (fixed so the JS side can use the same one).
BENCH_SEED = hashlib.sha256(b"osaamispassi bench key, not a secret").digest()
NOW = dt.datetime(2025, 3, 14, 9, 30, tzinfo=dt.UTC)


def contexts_dir() -> Path:
    """``$CONTEXTS_DIR`` or ``<repo>/../shared/standards/contexts``."""
    env = os.environ.get("CONTEXTS_DIR")
    return Path(env) if env else (REPO_ROOT / ".." / "shared" / "standards" / "contexts").resolve()


def sample_alignments() -> list[Alignment]:
    """Two units and six skill requirements, as ``alignments_for`` builds them."""
    qual = "Puuteollisuuden perustutkinto"
    framework = f"ePerusteet: {qual} (OPH-2455-2017)"
    base = "https://eperusteet.opintopolku.fi/#/fi/ammatillinen/3932281/tutkinnonosa"
    units = [
        ("tutkinnonosat_105444", "Puutuotevalmistuksessa toimiminen", 45, f"{base}/105444"),
        ("tutkinnonosat_105445", "Puusepänteollisuuden tuotteiden valmistus", 45, f"{base}/105445"),
    ]
    requirements = [
        (0, "105444-1", "suunnitella työvaiheiden järjestyksen"),
        (0, "105444-2", "käyttää materiaaleja tarkoituksenmukaisesti"),
        (0, "105444-3", "noudattaa työturvallisuusohjeita"),
        (0, "105444-4", "toimia kestävän kehityksen periaatteiden mukaisesti"),
        (1, "105445-1", "valmistaa tuotteita piirustusten mukaan"),
        (1, "105445-2", "toimia työyhteisön jäsenenä"),
    ]
    out = [
        Alignment(
            target_name=name,
            target_url=url,
            target_code=code,
            target_framework=framework,
            target_type="ext:TutkinnonOsa",
            target_description=f"{qual}, {osp} osp",
        )
        for code, name, osp, url in units
    ]
    for unit, key, text in requirements:
        code, name, _osp, url = units[unit]
        out.append(
            Alignment(
                target_name=f"Opiskelija osaa {text}.",
                target_url=url,
                target_code=key,
                target_framework=framework,
                target_type="ext:Ammattitaitovaatimus",
                target_description=f"{code} {name}",
            )
        )
    return out


def sample_credential_data(public_id: str = "c7Yq2mJb0kFh") -> CredentialData:
    """The inputs ``build_unsigned`` would assemble for a typical award."""
    achievement_id = f"{ORIGIN}/badges/puutyot-perusteet/v3"
    return CredentialData(
        id=f"{ORIGIN}/credentials/{public_id}",
        issuer=IssuerProfile(
            id=ISSUER_DID,
            name="Eduro-säätiö",
            url="https://www.eduro.fi",
            email="osaamismerkit@eduro.fi",
            image=f"{ORIGIN}/orgs/eduro/logo.png",
        ),
        achievement=AchievementData(
            id=achievement_id,
            name="Puutöiden perusteet",
            description=(
                "Osaaja on työskennellyt työpajan puutyöosastolla ja osoittanut "
                "osaavansa puutuotteiden valmistuksen perustyövaiheet turvallisesti."
            ),
            criteria_narrative="Valmentaja havainnoi työpajalla, että osaaja:\n\n"
            + "\n".join(
                f"- {t}"
                for t in (
                    "suunnittelee työvaiheiden järjestyksen ohjeen mukaan",
                    "käyttää käsityökaluja ja koneita turvallisesti",
                    "valitsee materiaalit tehtävän mukaan",
                    "pitää työpisteen siistinä",
                )
            ),
            achievement_type="Competency",
            image=f"{achievement_id}/image.svg",
            image_caption="Puutöiden perusteet",
            version="3",
            tags=["puutyöt", "työpaja", "työturvallisuus"],
            alignments=sample_alignments(),
        ),
        subject=SubjectData(
            id="urn:uuid:7d4f0a52-52a7-4c57-9bb5-2f6f3c1b9a10",
            email="matti.meikalainen@example.fi",
            salt="5f1c2a9e0b7d4c33",
        ),
        valid_from=NOW,
        valid_until=NOW.replace(year=NOW.year + 3),
        evidence=[
            EvidenceData(
                narrative="Valmisti linnunpöntön ja kaksi jakkaraa piirustusten mukaan.",
                name="Työpajalla havainnoitu osaaminen (2025-01-07–2025-03-12)",
            )
        ],
        status=StatusEntry(list_credential=f"{ORIGIN}/status/eduro/1", index=48213),
    )


def sample_credential() -> dict[str, Any]:
    """The unsigned credential, exactly as :func:`build_credential` makes it."""
    return build_credential(sample_credential_data())


def controller_document(public_multikey: str) -> dict[str, Any]:
    """The issuer's did:web document (what the JS side resolves the key from)."""
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": ISSUER_DID,
        "verificationMethod": [
            {
                "id": DI_METHOD,
                "type": "Multikey",
                "controller": ISSUER_DID,
                "publicKeyMultibase": public_multikey,
            }
        ],
        "assertionMethod": [DI_METHOD],
    }


def machine_info() -> dict[str, str]:
    """nproc, CPU model, Python, PyLD version and the date."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        pyld_version = version("PyLD")
    except Exception:  # pragma: no cover - only informative
        pyld_version = "?"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "affinity": str(len(os.sched_getaffinity(0))) if hasattr(os, "sched_getaffinity") else "?",
        "cpu": cpu,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "pyld": pyld_version,
        "platform": platform.platform(),
    }


def measure(fn: Callable[[], object], iterations: int, warmup: int) -> dict[str, float]:
    """Median / p95 / min / mean of ``fn()`` in milliseconds."""
    for _ in range(warmup):
        fn()
    times: list[float] = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {
        "median_ms": statistics.median(times),
        "p95_ms": p95,
        "min_ms": times[0],
        "mean_ms": statistics.fmean(times),
        "n": float(len(times)),
    }


@contextmanager
def plain_pyld() -> Iterator[None]:
    """Route Data Integrity canonicalization through plain PyLD (the 'before' figure)."""
    original = dataintegrity.canonicalize
    dataintegrity.canonicalize = canonical.canonicalize_reference
    try:
        yield
    finally:
        dataintegrity.canonicalize = original


def write_outputs(
    loader: DocumentLoader, credential: dict[str, Any], signed: dict[str, Any], signer: KeySigner
) -> None:
    """Files for the JS comparison (bench/out/ is git-ignored)."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    proof = signed["proof"][-1]
    data = dataintegrity.hash_data(credential, proof, document_loader=loader)
    reference = canonical.canonicalize_reference(credential, document_loader=loader)
    if reference != data.document_nquads:
        raise SystemExit("fast canonicalization differs from plain PyLD on the bench credential")
    public = signer.public_key.to_multikey()
    files = {
        "credential.json": json.dumps(credential, indent=2, ensure_ascii=False) + "\n",
        "credential.nq": data.document_nquads,
        "signed.json": json.dumps(signed, indent=2, ensure_ascii=False) + "\n",
        "proof.nq": data.proof_nquads,
        "key.json": json.dumps(
            {
                "note": "throw-away bench key derived from a fixed string; not a secret",
                "seedHex": BENCH_SEED.hex(),
                "publicKeyMultibase": public,
                "verificationMethod": DI_METHOD,
                "controller": ISSUER_DID,
                "controllerDocument": controller_document(public),
                "created": proof["created"],
            },
            indent=2,
        )
        + "\n",
    }
    for name, text in files.items():
        (OUT_DIR / name).write_text(text, encoding="utf-8")


def run(iterations: int, warmup: int, *, baseline: bool = False) -> dict[str, Any]:
    """Run every measurement; returns machine info and ``{operation: stats}``."""
    loader = DocumentLoader(contexts_dir())
    credential = sample_credential()
    di_signer = KeySigner(ed25519_private_key_from_seed(BENCH_SEED), DI_METHOD)
    es256_signer = KeySigner(generate_private_key("ES256"), JWT_METHOD)
    eddsa_signer = KeySigner(generate_private_key("Ed25519"), JWT_METHOD, algorithm="EdDSA")
    di_resolver = StaticKeyResolver({DI_METHOD: di_signer.public_key})
    es_resolver = StaticKeyResolver({JWT_METHOD: es256_signer.public_key})

    def di_sign() -> dict[str, Any]:
        return dataintegrity.add_proof(
            credential,
            signer=di_signer,
            verification_method=DI_METHOD,
            created=NOW,
            document_loader=loader,
        )

    signed = di_sign()
    write_outputs(loader, credential, signed, di_signer)

    def di_verify() -> None:
        result = dataintegrity.verify_proof(
            signed, public_key_resolver=di_resolver, document_loader=loader
        )
        if not result.verified:
            raise SystemExit(f"bench credential does not verify: {result.reasons}")

    token = encode_vc_jwt(credential, signer=es256_signer)

    def jwt_verify() -> None:
        if not verify_vc_jwt(token, public_key_resolver=es_resolver).verified:
            raise SystemExit("bench JWT does not verify")

    results: dict[str, dict[str, float]] = {}
    with plain_pyld() if baseline else _nothing():
        results["DI sign (eddsa-rdfc-2022)"] = measure(di_sign, iterations, warmup)
        results["DI verify"] = measure(di_verify, iterations, warmup)
    results["VC-JWT sign ES256"] = measure(
        lambda: encode_vc_jwt(credential, signer=es256_signer), iterations, warmup
    )
    results["VC-JWT sign EdDSA"] = measure(
        lambda: encode_vc_jwt(credential, signer=eddsa_signer), iterations, warmup
    )
    results["VC-JWT verify ES256"] = measure(jwt_verify, iterations, warmup)
    return {
        "machine": machine_info(),
        "canonicalization": "plain PyLD" if baseline else "app.vc.canonical (fast path)",
        "iterations": iterations,
        "warmup": warmup,
        "credential_bytes": len(json.dumps(credential, ensure_ascii=False).encode()),
        "nquads_lines": (OUT_DIR / "credential.nq").read_text().count("\n"),
        "results": results,
    }


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout.strip() or "?"
    except OSError:
        return "?"


def print_report(report: dict[str, Any]) -> None:
    m = report["machine"]
    print(f"Python bench ({report['canonicalization']}), {m['date']}, git {git_revision()}")
    print(f"  CPU: {m['cpu']}  nproc={m['nproc']} (usable {m['affinity']})")
    print(f"  {m['python']}, PyLD {m['pyld']}, {m['platform']}")
    print(
        f"  credential: {report['credential_bytes']} bytes JSON, "
        f"{report['nquads_lines']} canonical N-Quads; "
        f"{report['iterations']} runs after {report['warmup']} warm-up"
    )
    print(f"  {'operation':<28} {'median ms':>10} {'p95 ms':>9} {'min ms':>9}")
    for name, stats in report["results"].items():
        print(
            f"  {name:<28} {stats['median_ms']:>10.3f} {stats['p95_ms']:>9.3f} "
            f"{stats['min_ms']:>9.3f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--baseline", action="store_true", help="plain PyLD canonicalization")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = run(args.iterations, args.warmup, baseline=args.baseline)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
