"""The command line: catalog validation, issuing, export and verification exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.config import get_settings
from tests.catalog.minimal import write_catalog
from tests.conftest import STANDARDS

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CONTEXTS_DIR", str(STANDARDS / "contexts"))
    monkeypatch.setenv("SCHEMAS_DIR", str(STANDARDS / "schemas"))
    monkeypatch.setenv("BASE_URL", "https://passi.test")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_every_command_has_help() -> None:
    for args in (
        ["--help"],
        ["catalog", "--help"],
        ["verify", "--help"],
        ["keys", "rotate", "--help"],
        ["credential", "export", "--help"],
        ["award", "--help"],
        ["demo", "--help"],
        ["serve", "--help"],
        ["trust", "add", "--help"],
        ["outbox", "deliver", "--help"],
    ):
        code, out = run(*args)
        assert code == 0 and "Usage" in out, args


def test_catalog_validate_reports_problems(env: Path) -> None:
    root = write_catalog(env / "catalog")
    code, out = run("catalog", "validate", "--dir", str(root))
    assert code == 0 and "catalog valid" in out
    (root / "badges" / "puutyo-1.yaml").write_text("slug: [", encoding="utf-8")
    code, out = run("catalog", "validate", "--dir", str(root))
    assert code == 1
    assert "badges/puutyo-1.yaml: (file): not valid YAML" in out


def test_issue_export_and_verify(env: Path) -> None:
    assert run("db", "upgrade")[0] == 0
    assert run("catalog", "sync")[0] == 0
    code, out = run("demo")
    assert code == 0, out
    assert "admin@demo.example.fi" in out
    assert run("demo")[0] == 0  # idempotent
    code, out = run("participant", "create", "--org", "demo", "--name", "Testi Henkilö")
    assert code == 0
    participant = out.strip().split()[1]
    code, out = run(
        "award",
        "--org",
        "demo",
        "--coach",
        "valmentaja1@demo.example.fi",
        "--participant",
        participant,
        "--badge",
        "siivous-1",
        "--narrative",
        "Siivosi kahvion.",
        "--all-criteria",
    )
    assert code == 0, out
    credential_id = out.strip().splitlines()[-1]
    files = {}
    for fmt in ("json", "jwt", "png", "svg"):
        target = env / f"credential.{fmt}"
        code, out = run(
            "credential", "export", credential_id, "--format", fmt, "--out", str(target)
        )
        assert code == 0, out
        files[fmt] = target
    code, out = run("verify", *(str(p) for p in files.values()))
    assert code == 0, out
    assert out.count("NOT VERIFIED") == 0 and out.count("VERIFIED") == 4

    tampered = json.loads(files["json"].read_text())
    tampered["name"] = "Jotain muuta"
    bad = env / "tampered.json"
    bad.write_text(json.dumps(tampered))
    code, out = run("verify", "--json", str(bad))
    assert code == 1
    report = json.loads(out)
    assert report[0]["verified"] is False
    assert any(c["id"] == "proof" and c["status"] == "failed" for c in report[0]["checks"])

    code, out = run("keys", "rotate", "demo")
    assert code == 0 and "new active keys" in out
    assert run("verify", str(files["json"]))[0] == 0


def test_verify_usage_errors(env: Path) -> None:
    assert run("verify", str(env / "missing.json"))[0] == 2
    some = env / "x.json"
    some.write_text("{}")
    assert run("verify", "--now", "yesterday", str(some))[0] == 2
    assert run("verify", "--document", "no-equals-sign", str(some))[0] == 2


def test_trust_registry_commands(env: Path) -> None:
    from tests.verification.test_foreign_issuers import DID, DID_URL, _issuer_keys

    assert run("db", "upgrade")[0] == 0
    _, did_doc = _issuer_keys()
    doc_file = env / "did.json"
    doc_file.write_text(json.dumps(did_doc), encoding="utf-8")
    code, out = run("trust", "add", DID, "--name", "Koulu", "--document", str(doc_file))
    assert code == 0, out
    assert f"document for {DID_URL}" in out
    code, out = run("trust", "add", DID, "--name", "Koulu", "--document", str(doc_file))
    assert code == 1 and "already" in out
    # Without --document the issuer's own document is fetched; here it cannot be.
    code, out = run("trust", "add", "did:web:unreachable.invalid", "--name", "X")
    assert code == 1 and "could not be fetched" in out, out
    code, out = run("trust", "list", "--json")
    assert code == 0
    assert json.loads(out) == [
        {"id": DID, "name": "Koulu", "url": None, "note": None, "documents": [DID_URL]}
    ]
    code, out = run("trust", "update", DID, "--remove-document", DID_URL, "--note", "x")
    assert code == 1 and "without key documents" in out, out
    code, out = run("trust", "update", DID, "--note", "x")
    assert code == 0 and "1 document(s)" in out, out
    # A document that is not the issuer's is refused with the reason.
    wrong = env / "wrong.json"
    wrong.write_text(json.dumps({**did_doc, "id": "did:web:evil.example"}), encoding="utf-8")
    code, out = run("trust", "update", DID, "--document", f"{DID_URL}={wrong}")
    assert code == 1 and "not the issuer" in out
    code, out = run("trust", "add", "did:web:x.example", "--name", "X", "--document", "nope.json")
    assert code == 2 and "cannot read" in out
    assert run("trust", "remove", DID)[0] == 0
    code, out = run("trust", "remove", DID)
    assert code == 1 and "not in the trust registry" in out
    assert run("trust", "list")[1].strip() == "the trust registry is empty"


def test_missing_contexts_offline_give_a_clear_message(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    from app.cli import main

    monkeypatch.setenv("CONTEXTS_DIR", str(env / "no-contexts"))
    monkeypatch.setenv("CONTEXT_CACHE_DIR", str(env / "empty-cache"))
    get_settings.cache_clear()
    assert run("db", "upgrade")[0] == 0
    assert run("catalog", "sync")[0] == 0

    def offline(*args: object, **kwargs: object) -> None:
        raise OSError("The host www.w3.org cannot be found.")

    monkeypatch.setattr("app.net.fetch.SafeFetcher.get", offline)
    monkeypatch.setattr(sys, "argv", ["osaamispassi", "demo"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "is pinned but not available offline" in err and "CONTEXTS_DIR" in err


def test_an_unmigrated_database_gives_a_clear_message(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    from app.cli import main

    monkeypatch.setattr(sys, "argv", ["osaamispassi", "demo"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    assert "osaamispassi db upgrade" in capsys.readouterr().err


def test_outbox_deliver_sends_by_smtp_and_says_when_there_is_no_mail_server(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from app.db import get_engine, transaction
    from app.models import OutboxMessage
    from app.models.base import utcnow
    from app.passport import service as passport
    from tests.mail.smtp_server import smtp_server

    assert run("db", "upgrade")[0] == 0
    org = ["--org", "paja"]
    assert run("org", "create", "paja", "--name", "Paja", "--url", "https://paja.example.fi",
               "--email", "info@paja.example.fi")[0] == 0  # fmt: skip
    code, _out = run("participant", "create", *org, "--name", "Aino", "--email", "aino@example.fi")
    assert code == 0
    with transaction(get_engine(get_settings())) as session:
        now = utcnow() - timedelta(minutes=1)
        assert passport.request_sign_in_link(
            session, get_settings(), email="aino@example.fi", now=now
        )

    code, out = run("outbox", "deliver")
    assert code == 2 and "SMTP_HOST is not set" in out and "/admin/outbox" in out

    monkeypatch.setenv("SMTP_HOST", "smtp.example.fi")
    monkeypatch.setenv("SMTP_SECURITY", "none")
    get_settings.cache_clear()
    code, out = run("outbox", "deliver")
    assert code == 2 and "Configuration error" in out and "SMTP_SECURITY=none" in out

    with smtp_server(env) as server:
        monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMTP_PORT", str(server.port))
        monkeypatch.setenv("MAIL_FROM", "Paja <noreply@paja.example.fi>")
        get_settings.cache_clear()
        server.recorder.reject_with = "451 4.3.0 Try again later"
        code, out = run("outbox", "deliver")
        assert code == 1, out
        assert "delivered 0, failed 1, given up 0, expired links cleared 0 (stopped" in out
        server.recorder.reject_with = None
        code, out = run("outbox", "deliver")
        # Still claimed by the failed attempt: not retried yet. Then the claim expires.
        assert code == 0 and out.startswith("delivered 0, failed 0"), out
        with transaction(get_engine(get_settings())) as session:
            session.execute(update(OutboxMessage).values(claimed_until=utcnow()))
        code, out = run("outbox", "deliver")
        assert code == 0, out
        assert out.strip() == "delivered 1, failed 0, given up 0, expired links cleared 0"

        def interrupted(seconds: float) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr("app.cli.pause", interrupted)
        code, out = run("outbox", "deliver", "--watch", "30")
        assert code == 0, out
        assert out.splitlines() == [
            "delivering every 30 s; stop with Ctrl+C",
            "delivered 0, failed 0, given up 0, expired links cleared 0",
            "stopped",
        ]
        code, out = run("outbox", "deliver", "--watch", "0")
        assert code == 2 and "--watch" in out
    [received] = server.received
    assert received.rcpt_tos == ["aino@example.fi"]
    assert received.message["From"] == "Paja <noreply@paja.example.fi>"
    assert "/passport/sign-in/" in received.text


def test_verify_with_a_jwt_status_list_supplied_as_a_file(env: Path) -> None:
    """`verify --document URL=FILE` takes a status list secured as a VC-JWT (issue #16)."""
    from app.keys import KeySigner, generate_private_key
    from tests.verification import test_jwt_status_list as lists

    assert run("db", "upgrade")[0] == 0
    di_key, jwt_key = generate_private_key("Ed25519"), generate_private_key("ES256")
    di_method, jwt_method = f"{lists.SCHOOL}#key-1", f"{lists.SCHOOL}#key-2"
    credential = lists._credential(get_settings(), di_key, di_method)
    school = lists._document(lists.SCHOOL, (di_key, di_method), (jwt_key, jwt_method))
    files = {"credential.json": json.dumps(credential), "school.json": json.dumps(school)}
    for revoked in (False, True):
        files["list.jwt"] = lists._jwt_list(KeySigner(jwt_key, jwt_method), revoked=revoked) + "\n"
        for name, text in files.items():
            (env / name).write_text(text)
        code, out = run(
            "verify",
            "--json",
            "--now",
            lists.NOW.isoformat(),
            "--document",
            f"{lists.LIST_URL}={env / 'list.jwt'}",
            "--document",
            f"{lists.SCHOOL}={env / 'school.json'}",
            str(env / "credential.json"),
        )
        checks = {c["id"]: c["code"] for c in json.loads(out)[0]["checks"]}
        assert (code, checks["status"]) == ((1, "revoked") if revoked else (0, "status_ok")), out
