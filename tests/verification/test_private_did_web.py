"""A did:web issuer whose domain resolves to a private, loopback or link-local address: the
credential is refused with the code `key_document_refused`, and no connection is ever made
(DNS is answered by the test; every transport records what reaches it)."""

from __future__ import annotations

import socket
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.keys import KeySigner, generate_private_key
from app.net.fetch import FetchPolicy, SafeFetcher
from app.vc.jwt import encode_vc_jwt
from app.verification.resolvers import FETCHED_DOCUMENTS
from app.verification.service import verify
from tests.verification.test_foreign_issuers import DID, NOW, _credential, _issuer_keys
from tests.verification.test_service import statuses

HOST = "badges.school.example"  # the host of DID


def fake_dns(monkeypatch: pytest.MonkeyPatch, addresses: list[str]) -> list[str]:
    """Answer every look-up of HOST with `addresses`; return the names looked up."""
    looked_up: list[str] = []

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        looked_up.append(host)
        if host != HOST:
            raise socket.gaierror("no such host in this test")
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port),
            )
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return looked_up


def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record (and refuse) anything that would open a connection."""
    attempts: list[str] = []

    def handle_request(self: Any, request: httpx.Request) -> httpx.Response:
        attempts.append(str(request.url))
        raise AssertionError(f"a request was sent to {request.url}")

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(str(address))
        raise AssertionError(f"a connection was opened to {address}")

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle_request)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return attempts


PRIVATE_ANSWERS = [
    ["10.0.0.5"],
    ["192.168.1.20"],
    ["169.254.169.254"],
    ["127.0.0.1"],
    ["::1"],
    ["fd00::1"],
    ["::ffff:10.0.0.5"],
    ["93.184.216.34", "10.0.0.5"],  # one private answer among public ones is enough
]


@pytest.mark.parametrize("addresses", PRIVATE_ANSWERS, ids=lambda a: "+".join(a))
def test_data_integrity_issuer_on_a_private_address(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch, addresses: list[str]
) -> None:
    signer, _ = _issuer_keys()
    credential = _credential(settings, signer)
    looked_up = fake_dns(monkeypatch, addresses)
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={})

    fetcher = SafeFetcher(FetchPolicy(), transport=httpx.MockTransport(handler))
    result = verify(session, settings, credential, now=NOW, fetcher=fetcher)
    assert not result.verified
    proof = result.check("proof")
    assert proof is not None and proof.status == "failed"
    assert proof.code == "key_document_refused"
    assert "private or local address" in proof.message
    assert looked_up == [HOST]  # resolved once, then refused
    assert seen == []  # the transport was never called


def test_jwt_issuer_on_a_private_address(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = generate_private_key("ES256")
    signer = KeySigner(key, f"{DID}#key-2")
    unsigned = {k: v for k, v in _credential(settings, _issuer_keys()[0]).items() if k != "proof"}
    unsigned["validFrom"] = (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    token = encode_vc_jwt(unsigned, signer=signer)
    fake_dns(monkeypatch, ["169.254.169.254"])
    attempts = no_connections(monkeypatch)
    result = verify(session, settings, token, now=NOW)
    assert statuses(result)["proof"] == "failed"
    assert result.check("proof").code == "key_document_refused"  # type: ignore[union-attr]
    assert attempts == []


def test_through_the_api_no_connection_is_made(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    signer, _ = _issuer_keys()
    credential = _credential(settings, signer)
    fake_dns(monkeypatch, ["10.0.0.5"])
    attempts = no_connections(monkeypatch)
    response = client.post("/api/v1/verifications", json={"credential": credential})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is False
    proof = next(c for c in body["checks"] if c["id"] == "proof")
    assert proof["status"] == "failed" and proof["code"] == "key_document_refused"
    assert body["credential"]["issuer"]["known"] is False
    assert attempts == []


def test_a_credential_url_on_a_private_address_is_a_problem(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dns(monkeypatch, ["10.0.0.5"])
    attempts = no_connections(monkeypatch)
    response = client.post("/api/v1/verifications", json={"url": f"https://{HOST}/credentials/1"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/url-not-allowed")
    assert attempts == []


def test_control_a_public_address_is_fetched(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same set-up with a public answer does reach the transport (and verifies)."""
    signer, did_doc = _issuer_keys()
    credential = _credential(settings, signer)
    fake_dns(monkeypatch, ["93.184.216.34"])
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url} Host: {request.headers['host']}")
        return httpx.Response(200, json=did_doc)

    fetcher = SafeFetcher(FetchPolicy(), transport=httpx.MockTransport(handler))
    FETCHED_DOCUMENTS.clear()
    result = verify(session, settings, credential, now=NOW, fetcher=fetcher)
    FETCHED_DOCUMENTS.clear()
    assert result.verified, result.checks
    # To the checked address, for the issuer's host.
    assert seen == ["https://93.184.216.34/issuers/7/did.json Host: badges.school.example"]
