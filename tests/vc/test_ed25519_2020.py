"""Ed25519Signature2020 proofs (issue #16): what the Learner Credential Wallet signs its
presentations with, and many Digital Credentials Consortium issuers their credentials.

The documents in ed25519_2020/documents.json were made for these tests with Digital Bazaar's
implementation (ed25519_2020/make.mjs, keys from fixed seeds): the verifier is checked
against another implementation than its own. What is refused stays refused for a reason a
person can read.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.keys import resolve_did_key
from app.vc.contexts import ED25519_2020_V1, DocumentLoader
from app.vc.dataintegrity import ProofResult, verify_proof

DOCUMENTS = json.loads((Path(__file__).parent / "ed25519_2020" / "documents.json").read_text())


def _verify(document: dict[str, Any], loader: DocumentLoader, purpose: str) -> ProofResult:
    return verify_proof(
        document,
        public_key_resolver=resolve_did_key,
        document_loader=loader,
        expected_proof_purpose=purpose,
    )


def test_a_credential_signed_by_another_implementation_verifies(loader: DocumentLoader) -> None:
    credential = copy.deepcopy(DOCUMENTS["credential"])
    result = _verify(credential, loader, "assertionMethod")
    assert result.verified, result.reasons
    (check,) = result.checks
    assert check.proof_type == "Ed25519Signature2020" and check.cryptosuite is None

    credential["credentialSubject"]["achievement"]["name"] = "Hitsauksen perusteet"
    tampered = _verify(credential, loader, "assertionMethod")
    assert not tampered.verified
    assert "signature does not match" in tampered.checks[0].reason  # type: ignore[operator]


def test_the_wallets_presentation_verifies_for_its_challenge_only(loader: DocumentLoader) -> None:
    presentation = copy.deepcopy(DOCUMENTS["presentation"])
    assert _verify(presentation, loader, "authentication").verified
    # Signed for authentication: not an assertion.
    assert not _verify(presentation, loader, "assertionMethod").verified
    # The challenge and the domain are signed with it: another one breaks the signature.
    for name, value in (("challenge", "another-challenge"), ("domain", "elsewhere.example")):
        changed = copy.deepcopy(presentation)
        changed["proof"][name] = value
        assert not _verify(changed, loader, "authentication").verified, name


def test_without_the_suites_context_the_proof_is_refused_with_a_reason(
    loader: DocumentLoader,
) -> None:
    credential = copy.deepcopy(DOCUMENTS["credential"])
    credential["@context"].remove(ED25519_2020_V1)
    result = _verify(credential, loader, "assertionMethod")
    assert not result.verified
    assert result.checks[0].status == "failed"
    assert ED25519_2020_V1 in result.checks[0].reason  # type: ignore[operator]


def test_another_key_type_is_refused(loader: DocumentLoader) -> None:
    """A did:key of a P-256 key does not make an Ed25519 signature."""
    credential = copy.deepcopy(DOCUMENTS["credential"])
    p256 = "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169"
    credential["proof"]["verificationMethod"] = f"{p256}#{p256.removeprefix('did:key:')}"
    result = _verify(credential, loader, "assertionMethod")
    assert not result.verified
    assert "needs an Ed25519 key" in result.checks[0].reason  # type: ignore[operator]


@pytest.mark.usefixtures("session")
def test_the_api_verifies_such_a_credential(client: TestClient) -> None:
    answer = client.post("/api/v1/verifications", json={"credential": DOCUMENTS["credential"]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    proof = next(c for c in body["checks"] if c["id"] == "proof")
    assert proof["status"] == "passed", proof
    assert "Ed25519Signature2020" in proof["message"]
    # Signed by the issuer's own did:key, and nothing else fails: verified, from an issuer
    # this service does not know.
    assert body["verified"] is True, body["checks"]
    assert body["credential"]["issuer"]["known"] is False
