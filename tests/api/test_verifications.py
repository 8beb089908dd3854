"""The verification API: inputs in every form, batches, recognition summary, problem types."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.credentials.export import export_credential
from app.models import Credential
from tests.factories import issue_badge, make_org, make_participant, make_user

NOW = datetime.now(UTC).replace(microsecond=0)
PROBLEM = "application/problem+json"


@pytest.fixture
def issued(session: Session, settings: Settings, real_catalog: None) -> Credential:
    org = make_org(session, settings)
    coach = make_user(session, org)
    participant = make_participant(session, org)
    credential = issue_badge(session, settings, coach=coach, participant=participant, now=NOW)
    session.commit()
    return credential


def _problem(response: Any, status: int, problem: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["type"].endswith("/" + problem)


def test_verify_json_credential_with_recognition_summary(
    client: TestClient, issued: Credential
) -> None:
    response = client.post("/api/v1/verifications", json={"credential": issued.json_ld})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True
    assert {c["id"] for c in body["checks"]} >= {"schema", "proof", "issuer", "status", "validity"}
    assert body["credential"]["name"] == "Puutyön perusteet"
    assert body["credential"]["issuer"]["known"] is True
    (unit,) = body["recognition"]["units"]
    assert unit["code"] == "tutkinnonosat_105444"
    assert unit["osp"] == 45
    assert "OPH-2455-2017" in unit["qualification"]
    assert len(unit["requirements"]) >= 3
    assert all(r["id"].startswith("puu-") for r in unit["requirements"])


def test_bare_credential_body_and_jwt(client: TestClient, issued: Credential) -> None:
    bare = client.post(
        "/api/v1/verifications",
        content=json.dumps(issued.json_ld),
        headers={"content-type": "application/vc+ld+json"},
    )
    assert bare.json()["verified"] is True
    jwt = client.post("/api/v1/verifications", json={"jwt": issued.jwt})
    assert jwt.json()["verified"] is True
    assert jwt.json()["proof_format"] == "vc-jwt"


def test_upload_baked_images(client: TestClient, session: Session, issued: Credential) -> None:
    for fmt, mime in (("png", "image/png"), ("svg", "image/svg+xml")):
        data, _ = export_credential(session, issued.public_id, fmt)
        response = client.post("/api/v1/verifications", files={"file": (f"b.{fmt}", data, mime)})
        assert response.status_code == 200, response.text
        assert response.json()["verified"] is True
        assert response.json()["input_format"] == fmt


def test_an_svg_with_the_svg_11_doctype_is_read(
    client: TestClient, session: Session, issued: Credential
) -> None:
    """Issue #16: other issuers' SVG badges often start with the SVG 1.1 DOCTYPE."""
    data, _ = export_credential(session, issued.public_id, "svg")
    text = data.decode("utf-8")
    assert "<!DOCTYPE" not in text
    start = text.index("<svg")
    doctype = (
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
    )
    svg = (text[:start] + doctype + text[start:]).encode("utf-8")
    response = client.post("/api/v1/verifications", files={"file": ("b.svg", svg, "image/svg+xml")})
    assert response.status_code == 200, response.text
    assert response.json()["verified"] is True


def test_url_input_for_our_credentials_respects_privacy(
    client: TestClient, session: Session, issued: Credential
) -> None:
    url = issued.json_ld["id"]
    _problem(client.post("/api/v1/verifications", json={"url": url}), 404, "not-found")
    issued.is_public = True
    session.add(issued)
    session.commit()
    assert client.post("/api/v1/verifications", json={"url": url}).json()["verified"] is True


@pytest.mark.parametrize(
    "url",
    [
        "http://passi.example.org/credentials/1",
        "https://127.0.0.1/credentials/1",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/x",
        "https://10.0.0.1/x",
    ],
)
def test_forbidden_urls(client: TestClient, url: str) -> None:
    _problem(client.post("/api/v1/verifications", json={"url": url}), 400, "url-not-allowed")


def test_batch_mixed_items_in_order(client: TestClient, issued: Credential) -> None:
    tampered = json.loads(json.dumps(issued.json_ld))
    tampered["name"] = "Väärennös"
    response = client.post(
        "/api/v1/verifications/batch",
        json={
            "items": [
                {"credential": issued.json_ld},
                {"credential": tampered},
                {"jwt": "not.a.jwt"},
                {"credential": issued.json_ld, "jwt": issued.jwt},
                {"url": "https://127.0.0.1/x"},
                {"jwt": issued.jwt},
            ]
        },
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["verified"] for r in results] == [True, False, False, False, False, True]
    assert results[3]["checks"][0]["code"] == "bad_request"
    assert results[4]["checks"][0]["code"] == "url_not_allowed"


def test_batch_limits(client: TestClient, issued: Credential) -> None:
    _problem(client.post("/api/v1/verifications/batch", json={"items": []}), 400, "bad-request")
    too_many = {"items": [{"jwt": issued.jwt}] * 101}
    _problem(client.post("/api/v1/verifications/batch", json=too_many), 400, "bad-request")


def test_input_problems(client: TestClient) -> None:
    post = client.post
    _problem(
        post(
            "/api/v1/verifications",
            content=b"{not json",
            headers={"content-type": "application/json"},
        ),
        400,
        "malformed-json",
    )
    _problem(
        post("/api/v1/verifications", content=b"x", headers={"content-type": "text/plain"}),
        415,
        "unsupported-media-type",
    )
    _problem(
        post(
            "/api/v1/verifications",
            content=b" " * (3 * 1024 * 1024),
            headers={"content-type": "application/json"},
        ),
        413,
        "payload-too-large",
    )
    deep = b'{"credential": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    _problem(
        post("/api/v1/verifications", content=deep, headers={"content-type": "application/json"}),
        400,
        "malformed-json",
    )
    _problem(
        post(
            "/api/v1/verifications",
            json={
                "credential": {
                    "@context": ["https://www.w3.org/ns/credentials/v2", "https://evil.example/ctx"]
                }
            },
        ),
        422,
        "unknown-context",
    )
    _problem(post("/api/v1/verifications", json={"nothing": 1}), 400, "bad-request")
    _problem(post("/api/v1/verifications", json={}), 400, "bad-request")


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_jwt_attacks_are_rejected(client: TestClient, issued: Credential) -> None:
    header, payload, _ = issued.jwt.split(".")
    none = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}."
    hs = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': 'x'})}.{payload}.c2lnbmF0dXJl"
    claims = json.loads(base64.urlsafe_b64decode(payload + "==="))
    claims["iss"] = "did:web:evil.example"
    mismatched = f"{header}.{_b64(claims)}.{issued.jwt.split('.')[2]}"
    for token in (none, hs, mismatched):
        body = client.post("/api/v1/verifications", json={"jwt": token}).json()
        assert body["verified"] is False
        proof = next(c for c in body["checks"] if c["id"] == "proof")
        assert proof["status"] == "failed"


def test_png_with_two_credential_chunks_is_rejected(
    client: TestClient, session: Session, issued: Credential
) -> None:
    data, _ = export_credential(session, issued.public_id, "png")
    start = data.index(b"iTXtopenbadgecredential") - 4
    length = int.from_bytes(data[start : start + 4], "big")
    chunk = data[start : start + 12 + length]
    doubled = data[: start + 12 + length] + chunk + data[start + 12 + length :]
    response = client.post("/api/v1/verifications", files={"file": ("b.png", doubled, "image/png")})
    assert response.status_code == 200
    body = response.json()
    assert body["verified"] is False
    assert body["checks"][0]["code"] == "baked_image_invalid"


def test_duplicate_members_in_a_json_body_are_refused(
    client: TestClient, issued: Credential
) -> None:
    text = json.dumps({"credential": issued.json_ld})
    doubled = text.replace('"validFrom":', '"validFrom": "2000-01-01T00:00:00Z", "validFrom":', 1)
    assert doubled != text
    response = client.post(
        "/api/v1/verifications", content=doubled, headers={"content-type": "application/json"}
    )
    _problem(response, 400, "malformed-json")
    assert "duplicate JSON member 'validFrom'" in response.json()["detail"]
    upload = client.post(
        "/api/v1/verifications",
        files={
            "file": (
                "badge.json",
                json.dumps(issued.json_ld)
                .replace('"validFrom":', '"validFrom": "2000-01-01T00:00:00Z", "validFrom":', 1)
                .encode(),
                "application/json",
            )
        },
    )
    assert upload.status_code == 200
    body = upload.json()
    assert body["verified"] is False
    parse = next(c for c in body["checks"] if c["id"] == "parse")
    assert parse["code"] == "malformed_json" and "duplicate" in parse["message"]
