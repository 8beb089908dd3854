"""Other issuers' credentials: did:web through (offline) DID documents, key substitution,
1EdTech revocation lists, embedded endorsements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.config import Settings
from app.credentials.documents import document_loader
from app.keys import KeySigner, generate_private_key
from app.vc.dataintegrity import add_proof
from app.vc.openbadges import (
    AchievementData,
    CredentialData,
    IssuerProfile,
    SubjectData,
    build_credential,
)
from app.verification.service import verify
from tests.verification.test_service import NoNetwork, codes, statuses

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
DID = "did:web:badges.school.example:issuers:7"
DID_URL = "https://badges.school.example/issuers/7/did.json"


def _issuer_keys() -> tuple[KeySigner, dict[str, Any]]:
    key = generate_private_key("Ed25519")
    signer = KeySigner(key, f"{DID}#key-1")
    document = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": DID,
        "verificationMethod": [key.public_key.to_verification_method(f"{DID}#key-1", DID)],
        "assertionMethod": [f"{DID}#key-1"],
    }
    return signer, document


def _credential(
    settings: Settings, signer: KeySigner, *, issuer: str = DID, **extra: Any
) -> dict[str, Any]:
    unsigned = build_credential(
        CredentialData(
            id="https://badges.school.example/c/1",
            issuer=IssuerProfile(
                id=issuer, name="Koulu", url="https://school.example", email="info@school.example"
            ),
            achievement=AchievementData(
                id="https://badges.school.example/a/1",
                name="Hitsaus",
                description="Osaa hitsata.",
                criteria_narrative="Hitsasi.",
                achievement_type="Competency",
            ),
            subject=SubjectData(id="did:example:learner"),
            valid_from=NOW - timedelta(days=1),
        )
    )
    unsigned.update(extra)
    return add_proof(
        unsigned,
        signer=signer,
        verification_method=signer.key_id,
        created=NOW - timedelta(days=1),
        document_loader=document_loader(settings),
    )


def test_did_web_issuer_with_offline_document(session: Session, settings: Settings) -> None:
    signer, did_doc = _issuer_keys()
    credential = _credential(settings, signer)
    result = verify(
        session, settings, credential, now=NOW, offline={DID_URL: did_doc}, fetcher=NoNetwork()
    )  # type: ignore[arg-type]
    assert result.verified, result.checks
    assert statuses(result)["issuer"] == "passed"


def test_did_web_unreachable_document_fails_the_proof(session: Session, settings: Settings) -> None:
    signer, _ = _issuer_keys()
    fetcher = NoNetwork()
    result = verify(session, settings, _credential(settings, signer), now=NOW, fetcher=fetcher)  # type: ignore[arg-type]
    assert not result.verified and statuses(result)["proof"] == "failed"
    assert fetcher.urls == [DID_URL]


def test_key_of_another_did_cannot_sign_for_the_issuer(
    session: Session, settings: Settings
) -> None:
    """An attacker signs with their own did:key but names the school as issuer."""
    attacker = generate_private_key("Ed25519")
    did_key = attacker.public_key.to_did_key()
    signer = KeySigner(attacker, f"{did_key}#{did_key.removeprefix('did:key:')}")
    result = verify(session, settings, _credential(settings, signer), now=NOW, fetcher=NoNetwork())  # type: ignore[arg-type]
    assert statuses(result)["proof"] == "passed"
    assert "key_not_issuers" in codes(result) and not result.verified


def test_1edtech_revocation_list(session: Session, settings: Settings) -> None:
    signer, did_doc = _issuer_keys()
    list_url = "https://badges.school.example/revocations"
    credential = _credential(
        settings, signer, credentialStatus={"id": list_url, "type": "1EdTechRevocationList"}
    )
    offline = {
        DID_URL: did_doc,
        list_url: {"id": list_url, "issuer": DID, "revokedCredentials": []},
    }
    ok = verify(session, settings, credential, now=NOW, offline=offline, fetcher=NoNetwork())  # type: ignore[arg-type]
    assert statuses(ok)["status"] == "passed", ok.checks
    offline[list_url] = {
        "id": list_url,
        "issuer": DID,
        "revokedCredentials": [{"id": credential["id"]}],
    }
    revoked = verify(session, settings, credential, now=NOW, offline=offline, fetcher=NoNetwork())  # type: ignore[arg-type]
    assert "revoked" in codes(revoked) and not revoked.verified


def test_embedded_endorsement_is_checked(session: Session, settings: Settings) -> None:
    signer, did_doc = _issuer_keys()
    endorser_key = generate_private_key("Ed25519")
    endorser_did = endorser_key.public_key.to_did_key()
    endorsement = build_credential(
        CredentialData(
            id="https://endorser.example/e/1",
            issuer=IssuerProfile(
                id=endorser_did,
                name="Liitto",
                url="https://endorser.example",
                email="info@endorser.example",
            ),
            achievement=AchievementData(
                id="https://x.example/a",
                name="x",
                description="x",
                criteria_narrative="x",
                achievement_type="Badge",
            ),
            subject=SubjectData(id="https://badges.school.example/a/1"),
            valid_from=NOW - timedelta(days=2),
            extra_types=(),
        )
    )
    endorsement["type"] = ["VerifiableCredential", "EndorsementCredential"]
    endorsement["credentialSubject"] = {
        "id": "https://badges.school.example/a/1",
        "type": ["EndorsementSubject"],
        "endorsementComment": "Hyvä merkki.",
    }
    endorsement.pop("credentialSchema", None)
    endorser = KeySigner(endorser_key, f"{endorser_did}#{endorser_did.removeprefix('did:key:')}")
    signed_endorsement = add_proof(
        endorsement,
        signer=endorser,
        verification_method=endorser.key_id,
        created=NOW - timedelta(days=2),
        document_loader=document_loader(settings),
    )
    credential = _credential(settings, signer, endorsement=[signed_endorsement])
    result = verify(
        session, settings, credential, now=NOW, offline={DID_URL: did_doc}, fetcher=NoNetwork()
    )  # type: ignore[arg-type]
    assert statuses(result)["endorsements"] == "passed", result.checks
    assert result.verified
    broken = dict(signed_endorsement, name="muutettu")
    credential = _credential(settings, signer, endorsement=[broken])
    result = verify(
        session, settings, credential, now=NOW, offline={DID_URL: did_doc}, fetcher=NoNetwork()
    )  # type: ignore[arg-type]
    assert statuses(result)["endorsements"] == "warning"
