"""The two passes of a verification (app/api/threads.py): our own credentials are verified
in the first pass, without fetching; another issuer's credential whose documents must be
fetched is verified again in the pass that may wait on the network, with the same answer
as when verified directly."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.api import verifications
from app.config import Settings
from app.credentials.export import export_credential
from app.net.fetch import NetworkNeeded, NoNetwork
from app.verification.resolvers import FETCHED_DOCUMENTS
from tests.api.test_verifications import issued  # noqa: F401  (fixture)
from tests.verification.test_foreign_issuers import DID_URL, _credential, _issuer_keys
from tests.verification.test_private_did_web import fake_dns


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the functions run in the network pool, in order."""
    seen: list[str] = []
    real = verifications.in_network_thread

    async def recording(fn: Any, *args: Any) -> Any:
        seen.append(fn.__name__)
        return await real(fn, *args)

    monkeypatch.setattr(verifications, "in_network_thread", recording)
    FETCHED_DOCUMENTS.clear()
    yield seen
    FETCHED_DOCUMENTS.clear()


@pytest.fixture
def did_web_host(monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], list[str]]:
    """A public did:web host answering with the issuer's DID document; returns the signer's
    credential maker inputs and the URLs requested from the host."""
    signer, did_doc = _issuer_keys()
    fake_dns(monkeypatch, ["93.184.216.34"])
    requested: list[str] = []

    def handle_request(self: Any, request: httpx.Request) -> httpx.Response:
        requested.append(f"https://{request.headers['host']}{request.url.raw_path.decode()}")
        return httpx.Response(200, json=did_doc, request=request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle_request)
    return {"signer": signer}, requested


def test_our_credentials_need_no_second_pass(
    client: TestClient,
    session: Session,
    settings: Settings,
    issued: Any,  # noqa: F811
    passes: list[str],
) -> None:
    for body in (
        {"credential": issued.json_ld},
        {"jwt": export_credential(session, issued.public_id, "jwt")[0].decode()},
    ):
        response = client.post("/api/v1/verifications", json=body)
        assert response.status_code == 200, response.text
        assert response.json()["verified"] is True
    assert passes == []


def test_another_issuers_credential_is_fetched_in_the_second_pass(
    client: TestClient,
    settings: Settings,
    passes: list[str],
    did_web_host: tuple[dict[str, Any], list[str]],
) -> None:
    inputs, requested = did_web_host
    credential = _credential(settings, inputs["signer"])
    response = client.post("/api/v1/verifications", json={"credential": credential})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True, body["checks"]
    assert passes == ["_verify_one_item"]
    assert requested == [DID_URL]
    # Fetched once: a second verification finds the document in the cache, first pass.
    again = client.post("/api/v1/verifications", json={"credential": credential})
    assert again.json()["verified"] is True
    assert passes == ["_verify_one_item"] and requested == [DID_URL]


def test_uploads_take_the_second_pass_too(
    client: TestClient,
    settings: Settings,
    passes: list[str],
    did_web_host: tuple[dict[str, Any], list[str]],
) -> None:
    import json

    inputs, requested = did_web_host
    credential = _credential(settings, inputs["signer"])
    response = client.post(
        "/api/v1/verifications",
        files={"file": ("badge.json", json.dumps(credential).encode(), "application/json")},
    )
    assert response.status_code == 200, response.text
    assert response.json()["verified"] is True, response.json()["checks"]
    assert passes == ["_verify_upload"] and requested == [DID_URL]


def test_no_network_fetcher_records_and_refuses() -> None:
    fetcher = NoNetwork()
    with pytest.raises(NetworkNeeded):
        fetcher.get("https://example.org/did.json")
    assert fetcher.asked


def test_verifying_writes_nothing_but_the_count(
    client: TestClient,
    connection: Any,
    session: Session,
    issued: Any,  # noqa: F811
) -> None:
    """The verification runs read-only (on PostgreSQL without a transaction, db.transaction);
    the only write of any request form is the rate-limit count."""
    from sqlalchemy import event

    issued.is_public = True
    session.add(issued)
    session.commit()
    written: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE") and "rate_limit_counter" not in statement:
            written.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    try:
        jwt = export_credential(session, issued.public_id, "jwt")[0].decode()
        png = export_credential(session, issued.public_id, "png")[0]
        url = issued.json_ld["id"]
        answers = [
            client.post("/api/v1/verifications", json={"credential": issued.json_ld}),
            client.post("/api/v1/verifications", json={"jwt": jwt}),
            client.post("/api/v1/verifications", json={"url": url}),
            client.post("/api/v1/verifications", files={"file": ("b.png", png, "image/png")}),
            client.post("/api/v1/verifications/batch", json={"items": [{"jwt": jwt}]}),
        ]
    finally:
        event.remove(connection, "before_cursor_execute", record)
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert '"verified":true' in answer.text.replace(" ", "")
    assert written == []
