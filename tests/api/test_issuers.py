"""Issuers API: known (ours or registered) or unknown; the read-only trust registry; the
verification answer says whether the issuer is known."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.trust.service import add_trusted_issuer
from tests.factories import make_org
from tests.verification.test_foreign_issuers import DID, DID_URL, _credential, _issuer_keys


def test_our_organizations_are_known(
    client: TestClient, session: Session, settings: Settings
) -> None:
    make_org(session, settings, slug="eduro")
    session.commit()
    by_slug = client.get("/api/v1/issuers/eduro").json()
    assert by_slug["id"] == "did:web:passi.test:orgs:eduro"
    assert by_slug["known"] is True and by_slug["trust"] == "own"
    assert by_slug["profile"]["id"] == by_slug["id"]
    assert client.get("/api/v1/issuers/did:web:passi.test:orgs:eduro").json() == by_slug


def test_registered_and_unknown_issuers(
    client: TestClient, session: Session, settings: Settings
) -> None:
    _, did_doc = _issuer_keys()
    unknown = client.get(f"/api/v1/issuers/{DID}")
    assert unknown.status_code == 200
    assert unknown.json()["known"] is False and unknown.json()["trust"] is None
    assert client.get("/api/v1/trusted-issuers").json() == []

    add_trusted_issuer(
        session, settings=settings, issuer_id=DID, name="Koulu", documents={"": did_doc}
    )
    session.commit()
    known = client.get(f"/api/v1/issuers/{DID}").json()
    assert known["known"] is True and known["trust"] == "registry"
    assert known["name"] == "Koulu" and known["documents"] == [DID_URL]
    (entry,) = client.get("/api/v1/trusted-issuers").json()
    assert entry["id"] == DID and entry["documents"] == [DID_URL]

    missing = client.get("/api/v1/issuers/no-such-org")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_verification_says_the_issuer_is_registered(
    client: TestClient, session: Session, settings: Settings
) -> None:
    signer, did_doc = _issuer_keys()
    credential = _credential(settings, signer)
    # Without the registry the DID document would be fetched; the test forbids the network
    # by registering the document, so the answer is fully offline.
    add_trusted_issuer(
        session, settings=settings, issuer_id=DID, name="Koulu", documents={"": did_doc}
    )
    session.commit()
    body = client.post("/api/v1/verifications", json={"credential": credential}).json()
    proof = next(c for c in body["checks"] if c["id"] == "proof")
    assert proof["status"] == "passed", body["checks"]
    assert body["credential"]["issuer"] == {
        "id": DID,
        "name": "Koulu",
        "url": "https://school.example",
        "known": True,
        "trust": "registry",
    }
