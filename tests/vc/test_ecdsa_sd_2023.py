"""ecdsa-sd-2023 selective disclosure proofs (issue #16; added to the OB 3.0 certification in
2025). The documents in ecdsa_sd_2023/documents.json were made for these tests with Digital
Bazaar's implementation (ecdsa_sd_2023/make.mjs), which verified them first: a base proof as
the issuer gives it to the holder, and two disclosures the holder derived from it (one
leaving the evidence out, one revealing everything). The verifier is
checked against another implementation than its own, and refuses what does not hold."""

from __future__ import annotations

import base64
import copy
import json
import re
from pathlib import Path
from typing import Any

import cbor2
import pytest
from fastapi.testclient import TestClient

from app.keys import PublicKey, resolve_did_key
from app.vc.contexts import DocumentLoader
from app.vc.dataintegrity import ProofResult, verify_proof

DOCUMENTS = json.loads((Path(__file__).parent / "ecdsa_sd_2023" / "documents.json").read_text())


def _verify(document: dict[str, Any], loader: DocumentLoader, **kw: Any) -> ProofResult:
    return verify_proof(
        document,
        public_key_resolver=resolve_did_key,
        document_loader=loader,
        multikey_loader=kw.get("multikey_loader", PublicKey.from_multikey),
    )


def _reason(result: ProofResult) -> str:
    return result.checks[0].reason or ""


@pytest.mark.parametrize("name", ["derived", "everything"])
def test_a_disclosure_made_by_another_implementation_verifies(
    loader: DocumentLoader, name: str
) -> None:
    result = _verify(copy.deepcopy(DOCUMENTS[name]), loader)
    assert result.verified, result.reasons
    assert result.checks[0].cryptosuite == "ecdsa-sd-2023"


def test_what_was_not_disclosed_is_not_there_and_cannot_be_added(loader: DocumentLoader) -> None:
    derived = copy.deepcopy(DOCUMENTS["derived"])
    assert "evidence" not in derived  # the holder kept what the teacher wrote to herself
    # Adding the hidden statements back (even with their true text) breaks the disclosure.
    derived["evidence"] = DOCUMENTS["everything"]["evidence"]
    result = _verify(derived, loader)
    # (Its blank node has no label of the issuer's: refused before any signature.)
    assert not result.verified and "no label" in _reason(result), _reason(result)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d["credentialSubject"]["achievement"].update(name="Puutyö"), "signature"),
        (lambda d: d.update(validFrom="2020-01-01T00:00:00Z"), "base signature"),
        (lambda d: d["proof"].update(created="2026-12-06T08:00:00Z"), "base signature"),
        (lambda d: d.pop("name"), "statements"),
    ],
)
def test_a_changed_disclosure_is_refused(loader: DocumentLoader, change: Any, reason: str) -> None:
    derived = copy.deepcopy(DOCUMENTS["derived"])
    change(derived)
    result = _verify(derived, loader)
    assert not result.verified
    assert reason in _reason(result), _reason(result)


def _rewrite(document: dict[str, Any], edit: Any) -> dict[str, Any]:
    """The document with its proof value's CBOR parts edited."""
    changed = copy.deepcopy(document)
    raw = base64.urlsafe_b64decode(changed["proof"]["proofValue"][1:] + "==")
    parts = cbor2.loads(raw[3:])
    edit(parts)
    value = base64.urlsafe_b64encode(raw[:3] + cbor2.dumps(parts)).rstrip(b"=").decode()
    changed["proof"]["proofValue"] = "u" + value
    return changed


def test_malformed_proof_values_are_refused_with_a_reason(loader: DocumentLoader) -> None:
    base = _verify(copy.deepcopy(DOCUMENTS["base"]), loader)
    assert not base.verified and "base proof" in _reason(base)

    derived = DOCUMENTS["derived"]
    for edit, reason in (
        (lambda p: p.pop(), "five components"),
        (lambda p: p.__setitem__(4, [0, 0]), "mandatory indexes"),
        (lambda p: p.__setitem__(4, [999]), "mandatory indexes"),
        (lambda p: p.__setitem__(3, {}), "no label"),
        (lambda p: p.__setitem__(2, p[2][:-1]), "signatures"),
        (lambda p: p.__setitem__(1, b"\x80\x24" + b"\x02" + b"\x00" * 10), "ephemeral"),
        (lambda p: p.__setitem__(1, b"\xed\x01" + b"\x01" * 32), "P-256"),
    ):
        result = _verify(_rewrite(derived, edit), loader)
        assert not result.verified and reason in _reason(result), _reason(result)
    z_value = copy.deepcopy(derived)
    z_value["proof"]["proofValue"] = "z" + derived["proof"]["proofValue"][1:]
    assert "base64url" in _reason(_verify(z_value, loader))


def test_without_a_key_loader_the_proof_is_unsupported(loader: DocumentLoader) -> None:
    result = _verify(copy.deepcopy(DOCUMENTS["derived"]), loader, multikey_loader=None)
    assert not result.verified and result.checks[0].status == "unsupported"


@pytest.mark.usefixtures("session")
def test_the_api_verifies_a_disclosure(client: TestClient) -> None:
    answer = client.post("/api/v1/verifications", json={"credential": DOCUMENTS["derived"]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    proof = next(c for c in body["checks"] if c["id"] == "proof")
    assert proof["status"] == "passed" and "ecdsa-sd-2023" in proof["message"], proof
    assert body["verified"] is True, body["checks"]


@pytest.mark.usefixtures("session")
def test_the_check_page_shows_a_disclosure_as_genuine(client: TestClient) -> None:
    page = client.get("/check")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    answer = client.post(
        "/check", data={"csrf_token": token.group(1), "text": json.dumps(DOCUMENTS["derived"])}
    )
    assert answer.status_code == 200
    assert "Allekirjoitus on kunnossa. Merkkiä ei ole muutettu." in answer.text
    assert "Esimerkkiopisto" in answer.text and "Hitsauksen perusteet" in answer.text
    # What the holder kept to herself is not on the page.
    assert "ensimmäinen liitos" not in answer.text
