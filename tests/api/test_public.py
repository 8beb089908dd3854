"""Public documents: DID document, JWKS, profile, status lists (revocation), badge images;
key rotation keeps old credentials valid and withdraws compromised keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.credentials.documents import document_loader
from app.credentials.keyresolver import local_key_resolver
from app.credentials.service import revoke_credential
from app.keys import PublicKey
from app.models import Credential
from app.organizations.service import rotate_keys
from app.vc.canonical import canonicalize
from app.vc.contexts import PINNED_CONTEXTS
from app.vc.dataintegrity import verify_proof
from app.vc.statuslist import decode_list, get_bit
from tests.factories import issue_badge, make_org, make_participant, make_user

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def issued(session: Session, settings: Settings, real_catalog: None) -> dict[str, Any]:
    org = make_org(session, settings, slug="eduro")
    coach = make_user(session, org)
    participant = make_participant(session, org)
    credential = issue_badge(session, settings, coach=coach, participant=participant, now=NOW)
    session.commit()
    return {
        "org": org,
        "coach": coach,
        "participant": participant,
        "credential": credential,
    }


def _verify(session: Session, settings: Settings, credential: Credential) -> Any:
    return verify_proof(
        credential.json_ld,
        public_key_resolver=local_key_resolver(session, settings),
        document_loader=document_loader(settings),
    )


def test_did_document_lists_multikey_and_jwk(
    client: TestClient, settings: Settings, issued: dict[str, Any]
) -> None:
    response = client.get("/orgs/eduro/did.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["id"] == "did:web:passi.test:orgs:eduro"
    types = sorted(m["type"] for m in doc["verificationMethod"])
    assert types == ["JsonWebKey", "Multikey"]
    assert set(doc["assertionMethod"]) == {m["id"] for m in doc["verificationMethod"]}
    assert all(m["controller"] == doc["id"] for m in doc["verificationMethod"])
    proof_method = issued["credential"].json_ld["proof"][0]["verificationMethod"]
    method = next(m for m in doc["verificationMethod"] if m["id"] == proof_method)
    assert PublicKey.from_multikey(method["publicKeyMultibase"]).algorithm == "Ed25519"
    assert "private" not in response.text.lower() and '"d"' not in response.text
    # Its contexts are pinned, and it expands in safe mode (every term defined): issue #16.
    assert all(c in PINNED_CONTEXTS for c in doc["@context"])
    nquads = canonicalize(doc, document_loader=document_loader(settings))
    assert "https://w3id.org/security#JsonWebKey" in nquads
    assert "https://w3id.org/security#Multikey" in nquads


def test_jwks_and_profile(client: TestClient, issued: dict[str, Any]) -> None:
    keys = client.get("/orgs/eduro/jwks.json").json()["keys"]
    assert {k["alg"] for k in keys} == {"EdDSA", "ES256"}
    assert all("d" not in k for k in keys)
    profile = client.get("/orgs/eduro", headers={"accept": "application/ld+json"})
    assert profile.headers["content-type"].startswith("application/ld+json")
    assert profile.json()["id"] == "did:web:passi.test:orgs:eduro"
    page = client.get("/orgs/eduro", headers={"accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    assert "Säätiö eduro" in page.text
    assert client.get("/orgs/nobody/did.json").status_code == 404


def test_revocation_flips_the_bit_in_the_signed_list(
    client: TestClient, session: Session, settings: Settings, issued: dict[str, Any]
) -> None:
    credential: Credential = issued["credential"]
    url = credential.json_ld["credentialStatus"]["statusListCredential"]
    path = url.removeprefix("https://passi.test")
    before = client.get(path)
    assert before.status_code == 200
    etag = before.headers["etag"]
    bits = decode_list(before.json()["credentialSubject"]["encodedList"])
    assert not get_bit(bits, credential.status_index)
    assert client.get(path, headers={"if-none-match": etag}).status_code == 304
    revoke_credential(
        session, settings, credential=credential, reason="virhe", actor_user_id=None, now=NOW
    )
    session.commit()
    after = client.get(path, headers={"if-none-match": etag})
    assert after.status_code == 200
    body = after.json()
    assert get_bit(decode_list(body["credentialSubject"]["encodedList"]), credential.status_index)
    assert "virhe" not in after.text
    list_check = verify_proof(
        body,
        public_key_resolver=local_key_resolver(session, settings),
        document_loader=document_loader(settings),
    )
    assert list_check.verified, list_check.reasons


def test_rotation_keeps_old_credentials_and_compromise_withdraws(
    session: Session, settings: Settings, issued: dict[str, Any]
) -> None:
    credential = issued["credential"]
    old_key = credential.json_ld["proof"][0]["verificationMethod"].split("#")[1]
    rotate_keys(session, settings=settings, organization=issued["org"])
    assert _verify(session, settings, credential).verified
    rotate_keys(session, settings=settings, organization=issued["org"], compromised=[old_key])
    result = _verify(session, settings, credential)
    assert not result.verified
    assert "withdrawn" in " ".join(result.reasons)


def test_badge_image_and_definition(client: TestClient, issued: dict[str, Any]) -> None:
    image = client.get("/badges/puutyo-1/v1/image.svg")
    assert image.status_code == 200
    assert image.headers["content-type"].startswith("image/svg+xml")
    assert "<title" in image.text
    assert client.get("/badges/puutyo-1/v99/image.svg").status_code == 404
    page = client.get("/badges/puutyo-1/v1", headers={"accept": "text/html"})
    assert "Puutyön perusteet" in page.text
