"""Data Integrity (eddsa-rdfc-2022) proofs: every signed vector verifies, tampering fails,
sign -> verify round trips, proof sets, and failure reporting."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from app.keys import (
    ControllerDocumentResolver,
    KeySigner,
    PrivateKey,
    StaticKeyResolver,
    generate_private_key,
    private_key_from_multibase,
)
from app.vc.contexts import OB_V3P0_3_0_3, VC_V2, DocumentLoader
from app.vc.dataintegrity import add_proof, verify_proof
from app.vc.errors import KeyResolutionError, SigningError, UndefinedTermError
from app.vc.multibase import multibase_decode, multibase_encode
from app.vc.types import PublicKey, PublicKeyResolver

from .conftest import fragment_controller_document, load_json, vector_files

SPEC = "vectors/ob-v3p0-spec-rendered-examples"
VALIDATOR = "vectors/1edtech-validator"

SIGNED_VECTORS = (
    vector_files(SPEC, "*.signed-eddsa-rdfc-2022.json")
    + vector_files(f"{VALIDATOR}/positive", "*.json")
    + ["vectors/ob-v3p0-impl-guide-eddsa-rdfc-2022/signed-credential.json"]
    + ["vectors/w3c-vc-di-eddsa/eddsa-rdfc-2022/signedDataInt.json"]
)
OPTIONAL_FOLDERS = {
    # Listed in SOURCES.md but absent from some copies of the standards folder.
    "legacy (VCDM 1.1 + eddsa-2022)": f"{VALIDATOR}/legacy",
    "CLR 2.0": f"{VALIDATOR}/clr20",
    "bitstring status list": f"{VALIDATOR}/positive/bitstring-status-list",
}
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def proofs_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    proof = document["proof"]
    return proof if isinstance(proof, list) else [proof]


def di_proof(document: dict[str, Any]) -> dict[str, Any]:
    return next(p for p in proofs_of(document) if p.get("type") == "DataIntegrityProof")


def minimal_badge(issuer: str = "https://osaamispassi.example/issuers/eduro") -> dict[str, Any]:
    return {
        "@context": [VC_V2, OB_V3P0_3_0_3],
        "id": "urn:uuid:2a7c3f0e-8d0e-4c8c-9a55-0c8f1f6a8e01",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Eduro-säätiö"},
        "validFrom": "2025-01-02T00:00:00Z",
        "name": "Puutuotteiden valmistus",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": "sha256$" + "0" * 64,
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": "suola",
                }
            ],
            "achievement": {
                "id": "https://osaamispassi.example/achievements/puu-1",
                "type": ["Achievement"],
                "name": "Työvaiheiden suunnittelu",
                "description": "Osaa suunnitella työvaiheiden järjestyksen.",
                "criteria": {"narrative": "Näytetty työpajalla."},
            },
        },
    }


# --------------------------------------------------------------------------- vectors


def test_vector_list_is_not_empty() -> None:
    if not vector_files(SPEC, "*.json"):
        pytest.skip(f"standards vectors missing: {SPEC}")
    assert len(SIGNED_VECTORS) >= 18


@pytest.mark.parametrize("relative", SIGNED_VECTORS)
def test_signed_vector_verifies(
    relative: str, loader: DocumentLoader, vector_resolver: PublicKeyResolver
) -> None:
    document = load_json(relative)
    result = verify_proof(document, public_key_resolver=vector_resolver, document_loader=loader)
    assert result.verified, result.reasons
    assert any(check.verified for check in result.checks)


@pytest.mark.parametrize("label", sorted(OPTIONAL_FOLDERS))
def test_optional_vector_folders(
    label: str, loader: DocumentLoader, vector_resolver: PublicKeyResolver
) -> None:
    files = vector_files(OPTIONAL_FOLDERS[label], "*.json")
    if not files:
        pytest.skip(f"{label} vectors missing: {OPTIONAL_FOLDERS[label]} not in the standards")
    for relative in files:
        result = verify_proof(
            load_json(relative), public_key_resolver=vector_resolver, document_loader=loader
        )
        assert result.verified, (relative, result.reasons)


def tamper_name(document: dict[str, Any]) -> None:
    document["name"] = document["name"][:-1] + ("X" if document["name"][-1] != "X" else "Y")


def tamper_signature(document: dict[str, Any]) -> None:
    proof = di_proof(document)
    signature = bytearray(multibase_decode(proof["proofValue"]))
    signature[10] ^= 0x01
    proof["proofValue"] = multibase_encode(bytes(signature))


def tamper_valid_from(document: dict[str, Any]) -> None:
    key = "validFrom" if "validFrom" in document else "issuanceDate"
    document[key] = document[key].replace("0", "1", 1)


def tamper_created(document: dict[str, Any]) -> None:
    proof = di_proof(document)
    proof["created"] = proof["created"].replace("0", "1", 1)


def tamper_subject(document: dict[str, Any]) -> None:
    subject = document["credentialSubject"]
    subject["id"] = str(subject.get("id", "did:example:x")) + "x"


TAMPERINGS: dict[str, Callable[[dict[str, Any]], None]] = {
    "name": tamper_name,
    "signature-bit": tamper_signature,
    "validFrom": tamper_valid_from,
    "proof-created": tamper_created,
    "subject-id": tamper_subject,
}


@pytest.mark.parametrize("how", sorted(TAMPERINGS))
@pytest.mark.parametrize("relative", SIGNED_VECTORS)
def test_tampered_vector_fails(
    relative: str, how: str, loader: DocumentLoader, vector_resolver: PublicKeyResolver
) -> None:
    document = copy.deepcopy(load_json(relative))
    TAMPERINGS[how](document)
    result = verify_proof(document, public_key_resolver=vector_resolver, document_loader=loader)
    assert not result.verified
    failed = [c for c in result.checks if c.status == "failed"]
    assert failed and failed[0].reason


def test_multiple_proofs_vector_reports_unsupported_proof(
    loader: DocumentLoader, vector_resolver: PublicKeyResolver
) -> None:
    document = load_json(f"{VALIDATOR}/positive/simple-multiple-proofs.json")
    result = verify_proof(document, public_key_resolver=vector_resolver, document_loader=loader)
    assert result.verified
    assert [c.status for c in result.checks] == ["unsupported", "verified"]
    assert "SomeProofType" in (result.checks[0].reason or "")


def test_vector_with_wrong_key_fails(loader: DocumentLoader) -> None:
    document = load_json("vectors/ob-v3p0-impl-guide-eddsa-rdfc-2022/signed-credential.json")
    other = generate_private_key("Ed25519").public_key
    result = verify_proof(document, public_key_resolver=lambda _vm: other, document_loader=loader)
    assert not result.verified
    assert "signature does not match" in (result.checks[0].reason or "")


def test_vector_resolved_from_impl_guide_controller_document(loader: DocumentLoader) -> None:
    """The OB guide publishes the key's id and controller: a real controller document."""
    pair = load_json("vectors/ob-v3p0-impl-guide-eddsa-rdfc-2022/keypair.json")
    controller = {
        "id": pair["controller"],
        "verificationMethod": [
            {
                "id": pair["id"],
                "type": "Multikey",
                "controller": pair["controller"],
                "publicKeyMultibase": pair["publicKeyMultibase"],
            }
        ],
        "assertionMethod": [pair["id"]],
    }
    document = load_json("vectors/ob-v3p0-impl-guide-eddsa-rdfc-2022/signed-credential.json")
    resolver = ControllerDocumentResolver([controller])
    result = verify_proof(document, public_key_resolver=resolver, document_loader=loader)
    assert result.verified, result.reasons

    controller["assertionMethod"] = []  # key present but not authorized to assert
    result = verify_proof(
        document,
        public_key_resolver=ControllerDocumentResolver([controller]),
        document_loader=loader,
    )
    assert not result.verified
    assert "not listed under assertionMethod" in (result.checks[0].reason or "")


def test_fragment_controller_document_shape() -> None:
    vm = "https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
    doc = fragment_controller_document(vm)
    assert doc["id"] == "https://example.edu/issuers/565049"
    assert doc["assertionMethod"] == [vm]


def test_undefined_term_added_after_signing_is_a_failure_not_a_crash(
    loader: DocumentLoader, vector_resolver: PublicKeyResolver
) -> None:
    document = copy.deepcopy(
        load_json("vectors/ob-v3p0-impl-guide-eddsa-rdfc-2022/signed-credential.json")
    )
    document["credentialSubject"]["favouriteColour"] = "green"
    result = verify_proof(document, public_key_resolver=vector_resolver, document_loader=loader)
    assert not result.verified
    assert "favouriteColour" in (result.checks[0].reason or "")
    assert "credentialSubject.favouriteColour" in (result.checks[0].reason or "")


def test_unpinned_context_is_a_failure_not_a_crash(
    loader: DocumentLoader, vector_resolver: PublicKeyResolver
) -> None:
    document = copy.deepcopy(
        load_json("vectors/ob-v3p0-impl-guide-eddsa-rdfc-2022/signed-credential.json")
    )
    document["@context"].append("https://evil.example/context.json")
    result = verify_proof(document, public_key_resolver=vector_resolver, document_loader=loader)
    assert not result.verified
    assert "https://evil.example/context.json" in (result.checks[0].reason or "")


# --------------------------------------------------------------------------- round trip


@pytest.fixture(scope="module")
def ed_key() -> PrivateKey:
    return generate_private_key("Ed25519")


def signer_for(
    key: PrivateKey, issuer: str = "https://osaamispassi.example/issuers/eduro"
) -> KeySigner:
    return KeySigner(key, f"{issuer}#{key.public_key.to_multikey()}")


def test_round_trip(loader: DocumentLoader, ed_key: PrivateKey) -> None:
    badge = minimal_badge()
    original = copy.deepcopy(badge)
    signer = signer_for(ed_key)

    signed = add_proof(
        badge,
        signer=signer,
        verification_method=signer.key_id,
        created=NOW,
        document_loader=loader,
    )

    assert badge == original, "add_proof must not mutate its input"
    assert isinstance(signed["proof"], list) and len(signed["proof"]) == 1
    proof = signed["proof"][0]
    assert proof["created"] == "2025-01-02T03:04:05Z"
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["proofValue"].startswith("z")
    resolver = StaticKeyResolver({signer.key_id: ed_key.public_key})
    result = verify_proof(signed, public_key_resolver=resolver, document_loader=loader)
    assert result.verified, result.reasons

    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["name"] += "!"
    assert not verify_proof(tampered, public_key_resolver=resolver, document_loader=loader).verified


def test_created_is_written_in_utc_whole_seconds(
    loader: DocumentLoader, ed_key: PrivateKey
) -> None:
    helsinki = timezone(timedelta(hours=2))
    signer = signer_for(ed_key)
    signed = add_proof(
        minimal_badge(),
        signer=signer,
        verification_method=signer.key_id,
        created=datetime(2025, 1, 2, 5, 4, 5, 999_999, tzinfo=helsinki),
        document_loader=loader,
    )
    assert signed["proof"][0]["created"] == "2025-01-02T03:04:05Z"


def test_naive_created_is_refused(loader: DocumentLoader, ed_key: PrivateKey) -> None:
    signer = signer_for(ed_key)
    with pytest.raises(SigningError, match="timezone"):
        add_proof(
            minimal_badge(),
            signer=signer,
            verification_method=signer.key_id,
            created=datetime(2025, 1, 2),
            document_loader=loader,
        )


@pytest.mark.parametrize("algorithm", ["ES256", "RS256"])
def test_non_ed25519_signer_is_refused(loader: DocumentLoader, algorithm: str) -> None:
    signer = KeySigner(generate_private_key(algorithm, rsa_bits=2048), "https://x.example/k#1")
    with pytest.raises(SigningError, match="Ed25519"):
        add_proof(
            minimal_badge(),
            signer=signer,
            verification_method=signer.key_id,
            created=NOW,
            document_loader=loader,
        )


def test_signing_refuses_undefined_terms(loader: DocumentLoader, ed_key: PrivateKey) -> None:
    badge = minimal_badge()
    badge["credentialSubject"]["diagnosis"] = "never record this"
    signer = signer_for(ed_key)
    with pytest.raises(UndefinedTermError, match="diagnosis"):
        add_proof(
            badge,
            signer=signer,
            verification_method=signer.key_id,
            created=NOW,
            document_loader=loader,
        )


def test_proof_set_of_two_issuers(loader: DocumentLoader, ed_key: PrivateKey) -> None:
    second = generate_private_key("Ed25519")
    s1 = signer_for(ed_key)
    s2 = signer_for(second, "https://osaamispassi.example/issuers/meriva")
    once = add_proof(
        minimal_badge(),
        signer=s1,
        verification_method=s1.key_id,
        created=NOW,
        document_loader=loader,
    )
    twice = add_proof(
        once, signer=s2, verification_method=s2.key_id, created=NOW, document_loader=loader
    )
    assert len(twice["proof"]) == 2
    both = StaticKeyResolver({s1.key_id: ed_key.public_key, s2.key_id: second.public_key})
    result = verify_proof(twice, public_key_resolver=both, document_loader=loader)
    assert result.verified, result.reasons
    assert [c.status for c in result.checks] == ["verified", "verified"]

    only_first = StaticKeyResolver({s1.key_id: ed_key.public_key})
    result = verify_proof(twice, public_key_resolver=only_first, document_loader=loader)
    assert not result.verified
    assert "cannot resolve verification method" in (result.checks[1].reason or "")


def test_proof_purpose_must_match(loader: DocumentLoader, ed_key: PrivateKey) -> None:
    signer = signer_for(ed_key)
    signed = add_proof(
        minimal_badge(),
        signer=signer,
        verification_method=signer.key_id,
        created=NOW,
        document_loader=loader,
        proof_purpose="authentication",
    )
    resolver = StaticKeyResolver({signer.key_id: ed_key.public_key})
    result = verify_proof(signed, public_key_resolver=resolver, document_loader=loader)
    assert not result.verified
    assert "proofPurpose" in (result.checks[0].reason or "")
    result = verify_proof(
        signed,
        public_key_resolver=resolver,
        document_loader=loader,
        expected_proof_purpose="authentication",
    )
    assert result.verified


def test_expired_proof_fails_when_now_is_given(loader: DocumentLoader, ed_key: PrivateKey) -> None:
    signer = signer_for(ed_key)
    signed = add_proof(
        minimal_badge(),
        signer=signer,
        verification_method=signer.key_id,
        created=NOW,
        expires=NOW + timedelta(days=1),
        document_loader=loader,
    )
    resolver = StaticKeyResolver({signer.key_id: ed_key.public_key})
    assert verify_proof(signed, public_key_resolver=resolver, document_loader=loader).verified
    later = verify_proof(
        signed,
        public_key_resolver=resolver,
        document_loader=loader,
        now=NOW + timedelta(days=2),
    )
    assert not later.verified
    assert "expired" in (later.checks[0].reason or "")


class _FakeKey:
    algorithm = "ES256"

    def verify(self, data: bytes, signature: bytes) -> bool:
        return True  # would accept anything: the key-type check must stop it first

    def to_jwk(self) -> dict[str, str]:
        return {}


def test_key_of_wrong_type_is_refused(loader: DocumentLoader, ed_key: PrivateKey) -> None:
    signer = signer_for(ed_key)
    signed = add_proof(
        minimal_badge(),
        signer=signer,
        verification_method=signer.key_id,
        created=NOW,
        document_loader=loader,
    )
    fake: PublicKey = _FakeKey()
    result = verify_proof(signed, public_key_resolver=lambda _: fake, document_loader=loader)
    assert not result.verified
    assert "needs an Ed25519 key" in (result.checks[0].reason or "")


def test_crashing_resolver_is_reported(loader: DocumentLoader, ed_key: PrivateKey) -> None:
    signer = signer_for(ed_key)
    signed = add_proof(
        minimal_badge(),
        signer=signer,
        verification_method=signer.key_id,
        created=NOW,
        document_loader=loader,
    )

    def boom(_vm: str) -> PublicKey:
        raise RuntimeError("database down")

    def unknown(vm: str) -> PublicKey:
        raise KeyResolutionError(f"unknown {vm}")

    for resolver in (boom, unknown):
        result = verify_proof(signed, public_key_resolver=resolver, document_loader=loader)
        assert not result.verified
        assert signer.key_id in (result.checks[0].reason or "")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"@context": [VC_V2]}, "no proof"),
        ({"@context": [VC_V2], "proof": []}, "empty proof set"),
        # Ed25519Signature2020 is verified since issue #16 (tests/vc/test_ed25519_2020.py).
        ({"@context": [VC_V2], "proof": [{"type": "BbsBlsSignature2020"}]}, "no supported"),
    ],
)
def test_documents_without_usable_proof(
    document: dict[str, Any], message: str, loader: DocumentLoader
) -> None:
    result = verify_proof(
        document, public_key_resolver=StaticKeyResolver({}), document_loader=loader
    )
    assert not result.verified
    assert message in (result.error or "")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"proofValue": "not-multibase"}, "proofValue"),
        ({"proofValue": "z111"}, "64-byte"),
        ({"created": "2025-01-02 03:04:05"}, "created"),
        ({"verificationMethod": None}, "verificationMethod"),
    ],
)
def test_malformed_proof_fields(
    change: dict[str, Any], reason: str, loader: DocumentLoader, ed_key: PrivateKey
) -> None:
    signer = signer_for(ed_key)
    signed = add_proof(
        minimal_badge(),
        signer=signer,
        verification_method=signer.key_id,
        created=NOW,
        document_loader=loader,
    )
    signed["proof"][0].update(change)
    resolver = StaticKeyResolver({signer.key_id: ed_key.public_key})
    result = verify_proof(signed, public_key_resolver=resolver, document_loader=loader)
    assert not result.verified
    assert reason in (result.checks[0].reason or "")


def test_relabelled_cryptosuite_fails(
    loader: DocumentLoader, vector_resolver: PublicKeyResolver
) -> None:
    """The cryptosuite name is part of the signed proof configuration: relabelling an
    eddsa-rdfc-2022 proof as eddsa-2022 is recognised, checked, and fails."""
    document = copy.deepcopy(
        load_json("vectors/ob-v3p0-impl-guide-eddsa-rdfc-2022/signed-credential.json")
    )
    document["proof"]["cryptosuite"] = "eddsa-2022"
    result = verify_proof(document, public_key_resolver=vector_resolver, document_loader=loader)
    assert result.checks[0].status == "failed"  # recognised, checked, and fails


def test_w3c_private_key_signs_new_document(loader: DocumentLoader) -> None:
    pair = load_json("vectors/w3c-vc-di-eddsa/keyPair.json")
    key = private_key_from_multibase(pair["privateKeyMultibase"])
    vm = f"did:key:{pair['publicKeyMultibase']}#{pair['publicKeyMultibase']}"
    signed = add_proof(
        minimal_badge(),
        signer=KeySigner(key, vm),
        verification_method=vm,
        created=NOW,
        document_loader=loader,
    )
    from app.keys import resolve_did_key

    result = verify_proof(signed, public_key_resolver=resolve_did_key, document_loader=loader)
    assert result.verified, result.reasons


def test_legacy_vcdm11_eddsa_2022_proof_verifies(
    loader: DocumentLoader, ed_key: PrivateKey
) -> None:
    """A VCDM 1.1 badge (issuanceDate, OB context 3.0.1, data-integrity v1) with a legacy
    ``eddsa-2022`` proof, built step by step as the 1EdTech legacy vector is."""
    from app.vc.dataintegrity import hash_data

    document: dict[str, Any] = {
        "@context": [
            "https://www.w3.org/2018/credentials/v1",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
            "https://w3id.org/security/data-integrity/v1",
        ],
        "type": ["VerifiableCredential", "AchievementCredential"],
        "id": "urn:uuid:1b1c7d0e-0000-4000-8000-000000000001",
        "issuanceDate": "2022-11-27T00:00:00Z",
        "name": "Vanha merkki",
        "issuer": {"id": "https://osaamispassi.example/issuers/eduro", "type": ["Profile"]},
        "credentialSubject": {
            "type": "AchievementSubject",
            "id": "did:example:learner",
            "achievement": {
                "id": "urn:uuid:1b1c7d0e-0000-4000-8000-000000000002",
                "type": ["Achievement"],
                "criteria": {"narrative": "kuvaus"},
                "description": "kuvaus",
                "name": "nimi",
            },
        },
    }
    vm = f"https://osaamispassi.example/issuers/eduro#{ed_key.public_key.to_multikey()}"
    proof = {
        "type": "DataIntegrityProof",
        "created": "2023-05-29T08:42:26Z",
        "proofPurpose": "assertionMethod",
        "verificationMethod": vm,
        "cryptosuite": "eddsa-2022",
    }
    data = hash_data(document, proof, document_loader=loader)
    proof["proofValue"] = multibase_encode(ed_key.sign(data.data_to_sign))
    document["proof"] = proof
    resolver = StaticKeyResolver({vm: ed_key.public_key})

    result = verify_proof(document, public_key_resolver=resolver, document_loader=loader)
    assert result.verified, result.reasons
    assert result.checks[0].cryptosuite == "eddsa-2022"
    document["issuanceDate"] = "2022-11-28T00:00:00Z"
    assert not verify_proof(document, public_key_resolver=resolver, document_loader=loader).verified
