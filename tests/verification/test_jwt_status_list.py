"""Bitstring status lists secured as a VC-JWT (application/vc+jwt), as some issuers publish
them (issue #16): fetched or supplied, their signature and key are checked like a Data
Integrity list's, and the bit is read."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.config import Settings
from app.credentials.documents import document_loader
from app.keys import KeySigner, PrivateKey, generate_private_key
from app.vc.dataintegrity import add_proof
from app.vc.jwt import encode_vc_jwt
from app.vc.openbadges import (
    AchievementData,
    CredentialData,
    IssuerProfile,
    SubjectData,
    build_credential,
)
from app.vc.statuslist import build_status_list_credential, new_bitstring, set_bit
from app.vc.verify import VerificationResult
from app.verification.resolvers import json_or_jwt
from app.verification.service import verify
from tests.verification.test_service import NoNetwork, codes, statuses

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
SCHOOL = "https://school.example/issuers/7"
OTHER = "https://other.example/issuers/1"
LIST_URL = "https://school.example/status/1.jwt"
INDEX = 5


def _document(issuer: str, *keys: tuple[PrivateKey, str]) -> dict[str, Any]:
    return {
        "id": issuer,
        "verificationMethod": [k.public_key.to_verification_method(m, issuer) for k, m in keys],
        "assertionMethod": [m for _, m in keys],
    }


def _credential(settings: Settings, key: PrivateKey, method_id: str) -> dict[str, Any]:
    unsigned = build_credential(
        CredentialData(
            id="https://school.example/c/2",
            issuer=IssuerProfile(id=SCHOOL, name="Koulu", url=SCHOOL, email="info@school.example"),
            achievement=AchievementData(
                id="https://school.example/a/1",
                name="Hitsaus",
                description="Osaa hitsata.",
                criteria_narrative="Hitsasi.",
                achievement_type="Competency",
            ),
            subject=SubjectData(id="did:example:learner"),
            valid_from=NOW - timedelta(days=1),
        )
    )
    unsigned["credentialStatus"] = {
        "id": f"{LIST_URL}#{INDEX}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(INDEX),
        "statusListCredential": LIST_URL,
    }
    return add_proof(
        unsigned,
        signer=KeySigner(key, method_id),
        verification_method=method_id,
        created=NOW,
        document_loader=document_loader(settings),
    )


def _jwt_list(signer: KeySigner, *, revoked: bool, issuer: str = SCHOOL) -> str:
    bits = set_bit(new_bitstring(), INDEX, revoked)
    return encode_vc_jwt(
        build_status_list_credential(
            list_id=LIST_URL, issuer=issuer, purpose="revocation", bits=bits, valid_from=NOW
        ),
        signer=signer,
    )


def _verify(
    session: Session, settings: Settings, data: Any, offline: dict[str, Any]
) -> VerificationResult:
    return verify(session, settings, data, now=NOW, offline=offline, fetcher=NoNetwork())


def test_a_jwt_status_list_of_the_issuer_is_read(session: Session, settings: Settings) -> None:
    di_key, jwt_key = generate_private_key("Ed25519"), generate_private_key("ES256")
    di_method, jwt_method = f"{SCHOOL}#key-1", f"{SCHOOL}#key-2"
    credential = _credential(settings, di_key, di_method)
    school = _document(SCHOOL, (di_key, di_method), (jwt_key, jwt_method))
    signer = KeySigner(jwt_key, jwt_method)

    valid = _verify(
        session, settings, credential, {SCHOOL: school, LIST_URL: _jwt_list(signer, revoked=False)}
    )
    assert valid.verified, valid.checks
    assert statuses(valid)["status"] == "passed"

    revoked = _verify(
        session, settings, credential, {SCHOOL: school, LIST_URL: _jwt_list(signer, revoked=True)}
    )
    assert not revoked.verified
    assert "revoked" in codes(revoked)


def test_a_jwt_status_list_signed_by_another_party_or_changed_is_not_used(
    session: Session, settings: Settings
) -> None:
    di_key, other_key = generate_private_key("Ed25519"), generate_private_key("ES256")
    di_method, other_method = f"{SCHOOL}#key-1", f"{OTHER}#key-1"
    credential = _credential(settings, di_key, di_method)
    documents = {
        SCHOOL: _document(SCHOOL, (di_key, di_method)),
        OTHER: _document(OTHER, (other_key, other_method)),
    }
    # Says it is the school's list, signed with another issuer's key.
    foreign = _jwt_list(KeySigner(other_key, other_method), revoked=False)
    result = _verify(session, settings, credential, {**documents, LIST_URL: foreign})
    assert not result.verified
    assert "status_unavailable" in codes(result)
    assert any("another party" in c.message for c in result.checks if c.id == "status")

    # The school's own list with its payload changed (the bit cleared by someone else).
    school_key = generate_private_key("ES256")
    school_method = f"{SCHOOL}#key-2"
    documents[SCHOOL] = _document(SCHOOL, (di_key, di_method), (school_key, school_method))
    header, payload, signature = _jwt_list(
        KeySigner(school_key, school_method), revoked=True
    ).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["credentialSubject"]["encodedList"] = build_status_list_credential(
        list_id=LIST_URL, issuer=SCHOOL, purpose="revocation", bits=new_bitstring(), valid_from=NOW
    )["credentialSubject"]["encodedList"]
    changed_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    changed = f"{header}.{changed_payload}.{signature}"
    result = _verify(session, settings, credential, {**documents, LIST_URL: changed})
    assert not result.verified
    assert any("does not verify" in c.message for c in result.checks if c.id == "status")


def test_a_document_is_json_or_a_jwt_and_nothing_else() -> None:
    assert json_or_jwt(b' {"id": "x"}\n', "f") == {"id": "x"}
    assert json_or_jwt(b"eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln\n", "f") == (
        "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"
    )
    for bad in (b"[1, 2]", b"hello", b"a.b"):
        try:
            json_or_jwt(bad, "list.jwt")
        except ValueError as exc:
            assert "list.jwt" in str(exc)
        else:
            raise AssertionError(bad)
