"""ecdsa-rdfc-2019 proofs with P-256 keys (issue #16; part of the OB 3.0 certification's
proof formats). The credential in ecdsa_rdfc_2019/credential.json was made for these tests
with Digital Bazaar's implementation (ecdsa_rdfc_2019/make.mjs): the verifier is checked
against another implementation than its own."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.keys import resolve_did_key
from app.vc.contexts import DocumentLoader
from app.vc.dataintegrity import ProofResult, verify_proof

CREDENTIAL = json.loads((Path(__file__).parent / "ecdsa_rdfc_2019" / "credential.json").read_text())


def _verify(document: dict[str, Any], loader: DocumentLoader) -> ProofResult:
    return verify_proof(document, public_key_resolver=resolve_did_key, document_loader=loader)


def test_a_credential_signed_by_another_implementation_verifies(loader: DocumentLoader) -> None:
    credential = copy.deepcopy(CREDENTIAL)
    result = _verify(credential, loader)
    assert result.verified, result.reasons
    assert result.checks[0].cryptosuite == "ecdsa-rdfc-2019"

    credential["credentialSubject"]["achievement"]["name"] = "Puutyön perusteet"
    tampered = _verify(credential, loader)
    assert not tampered.verified
    assert "signature does not match" in (tampered.checks[0].reason or "")


def test_the_suite_and_the_key_must_agree(loader: DocumentLoader) -> None:
    """An ECDSA proof named eddsa-rdfc-2022 (or the other way round) is refused by its key's
    type, before any signature is checked."""
    relabelled = copy.deepcopy(CREDENTIAL)
    relabelled["proof"]["cryptosuite"] = "eddsa-rdfc-2022"
    result = _verify(relabelled, loader)
    assert not result.verified
    assert "needs an Ed25519 key" in (result.checks[0].reason or "")

    ed_key = "did:key:z6MkvDqGT54cXesYGvABpF1UapVNwjCqRcafi4Px6Thv5T3Z"
    other = copy.deepcopy(CREDENTIAL)
    other["proof"]["verificationMethod"] = f"{ed_key}#{ed_key.removeprefix('did:key:')}"
    result = _verify(other, loader)
    assert not result.verified
    assert "needs a P-256 key" in (result.checks[0].reason or "")


@pytest.mark.usefixtures("session")
def test_the_api_verifies_such_a_credential(client: TestClient) -> None:
    answer = client.post("/api/v1/verifications", json={"credential": CREDENTIAL})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    proof = next(c for c in body["checks"] if c["id"] == "proof")
    assert proof["status"] == "passed" and "ecdsa-rdfc-2019" in proof["message"], proof
    assert body["verified"] is True, body["checks"]
