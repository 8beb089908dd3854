"""Forgeries of issue #11 through every route a verifier uses: the JSON API (credential and
JWT), uploads (PNG, SVG, .jwt file), the batch, the command line and the public page. Each
is refused as verified, names no known issuer and lists no qualification units."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.credentials.documents import document_loader
from app.models import Credential
from app.vc.baking import bake_png, bake_svg
from tests.factories import (
    issue_badge,
    issued_credential,
    load_real_catalog,
    make_org,
    make_participant,
    make_user,
)
from tests.forgery import forged_data_integrity, forged_jwt
from tests.verification.test_key_binding import BLANK_SVG, blank_png

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def issued(session: Session, settings: Settings, real_catalog: None) -> Credential:
    return issued_credential(session, settings, now=NOW)


def _refused(body: dict[str, Any]) -> None:
    assert body["verified"] is False, body
    assert body["outcome"] == "issuer_unconfirmed", body["checks"]
    issuer_check = next(c for c in body["checks"] if c["id"] == "issuer")
    assert issuer_check["status"] == "failed" and issuer_check["code"] == "key_unbound"
    assert "could not confirm that the key belongs to the issuer" in issuer_check["message"]
    assert body["credential"]["issuer"]["known"] is False
    assert body["credential"]["issuer"]["trust"] is None
    assert body["recognition"]["units"] == []


def test_the_genuine_credential_still_verifies(client: TestClient, issued: Credential) -> None:
    for item in ({"jwt": issued.jwt}, {"credential": issued.json_ld}):
        body = client.post("/api/v1/verifications", json=item).json()
        assert body["verified"] is True and body["outcome"] == "verified"
        assert body["credential"]["issuer"] == body["credential"]["issuer"] | {
            "known": True,
            "trust": "own",
        }
        assert body["recognition"]["units"]


def test_forged_jwt_in_json(client: TestClient, issued: Credential) -> None:
    _refused(client.post("/api/v1/verifications", json={"jwt": forged_jwt(issued.jwt)}).json())


def test_forged_data_integrity_credential_in_json(
    client: TestClient, issued: Credential, settings: Settings
) -> None:
    forged, _ = forged_data_integrity(
        issued.json_ld,
        document_loader(settings),
        created=NOW,
        issuer="https://school.example/issuer",
    )
    response = client.post("/api/v1/verifications", json={"credential": forged})
    _refused(response.json())


@pytest.mark.parametrize("fmt", ["png", "svg", "jwt"])
def test_forged_jwt_uploaded_as_a_file(client: TestClient, issued: Credential, fmt: str) -> None:
    forged = forged_jwt(issued.jwt)
    data, mime = {
        "png": (bake_png(blank_png(), forged), "image/png"),
        "svg": (bake_svg(BLANK_SVG, forged).encode(), "image/svg+xml"),
        "jwt": (forged.encode(), "application/jwt"),
    }[fmt]
    response = client.post("/api/v1/verifications", files={"file": (f"badge.{fmt}", data, mime)})
    assert response.status_code == 200, response.text
    _refused(response.json())


def test_forged_jwt_in_a_batch(client: TestClient, issued: Credential) -> None:
    response = client.post(
        "/api/v1/verifications/batch",
        json={"items": [{"jwt": issued.jwt}, {"jwt": forged_jwt(issued.jwt)}]},
    )
    genuine, forged = response.json()["results"]
    assert genuine["verified"] is True
    _refused(forged)


def test_forged_jwt_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from app.cli import app
    from app.config import get_settings
    from app.db import get_engine, transaction
    from app.migrate import upgrade
    from tests.conftest import STANDARDS

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    for name, value in {
        "DATABASE_URL": url,
        "CONTEXTS_DIR": str(STANDARDS / "contexts"),
        "SCHEMAS_DIR": str(STANDARDS / "schemas"),
        "BASE_URL": "https://passi.test",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        upgrade(url)
        cli_settings = get_settings()
        with transaction(get_engine(cli_settings)) as session:
            load_real_catalog(session)
            org = make_org(session, cli_settings)
            credential = issue_badge(
                session,
                cli_settings,
                coach=make_user(session, org),
                participant=make_participant(session, org),
                now=NOW,
            )
            token = credential.jwt
        (tmp_path / "genuine.jwt").write_text(token)
        (tmp_path / "forged.jwt").write_text(forged_jwt(token))
        runner = CliRunner()
        genuine = runner.invoke(app, ["verify", str(tmp_path / "genuine.jwt")])
        assert genuine.exit_code == 0, genuine.output
        forged = runner.invoke(app, ["verify", "--json", str(tmp_path / "forged.jwt")])
        assert forged.exit_code == 1, forged.output
        (report,) = json.loads(forged.output)
        assert report["verified"] is False and report["outcome"] == "issuer_unconfirmed"
        text = runner.invoke(app, ["verify", str(tmp_path / "forged.jwt")])
        assert "NOT VERIFIED (intact, but the key could not be confirmed" in text.output
    finally:
        get_settings.cache_clear()


def test_public_page_of_a_stored_forgery_is_not_genuine(
    client: TestClient, session: Session, settings: Settings, issued: Credential
) -> None:
    """Were a stored credential ever replaced by one signed with another key, the public
    page would not call it genuine: the key of our issuer comes from our database only."""
    forged, _ = forged_data_integrity(issued.json_ld, document_loader(settings), created=NOW)
    issued.json_ld = forged
    issued.is_public = True
    session.add(issued)
    session.commit()
    page = client.get(f"/credentials/{issued.public_id}")
    assert page.status_code == 200
    assert "result-red" in page.text and "result-green" not in page.text
