"""Byte-exact reproduction of the eddsa-rdfc-2022 test vectors.

* W3C vc-di-eddsa ``TestVectors/eddsa-rdfc-2022`` (key pair in ``keyPair.json``);
* the OB 3.0 Implementation Guide "Linked Data Proof Test Vector".

Every intermediate value is compared: canonical N-Quads of document and proof config,
both hashes, the signed bytes, the signature and the proofValue.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.keys import (
    KeySigner,
    PrivateKey,
    ed25519_private_key_from_bytes,
    ed25519_private_key_from_seed,
    private_key_from_multibase,
)
from app.vc.canonical import canonicalize
from app.vc.contexts import DocumentLoader
from app.vc.dataintegrity import add_proof, hash_data, verify_proof
from app.vc.multibase import multibase_encode
from app.vc.types import PublicKeyResolver

from .conftest import load_json, require

W3C = "vectors/w3c-vc-di-eddsa"
OBG = "vectors/ob-v3p0-impl-guide-eddsa-rdfc-2022"


def read_text(relative: str) -> str:
    return require(relative).read_text(encoding="utf-8")


def parse_created(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


# --------------------------------------------------------------------------- W3C


def test_w3c_keypair_loads() -> None:
    pair = load_json(f"{W3C}/keyPair.json")
    key = private_key_from_multibase(pair["privateKeyMultibase"])
    assert key.algorithm == "Ed25519"
    assert key.public_key.to_multikey() == pair["publicKeyMultibase"]


def test_w3c_canonical_document(loader: DocumentLoader) -> None:
    unsigned = load_json(f"{W3C}/unsigned.json")
    expected = read_text(f"{W3C}/eddsa-rdfc-2022/canonDocDataInt.nq")
    assert canonicalize(unsigned, document_loader=loader) == expected


def test_w3c_intermediate_values(loader: DocumentLoader) -> None:
    unsigned = load_json(f"{W3C}/unsigned.json")
    config = load_json(f"{W3C}/eddsa-rdfc-2022/proofConfigDataInt.json")
    options = {k: v for k, v in config.items() if k != "@context"}
    assert config["@context"] == unsigned["@context"]

    data = hash_data(unsigned, options, document_loader=loader)

    assert data.document_nquads == read_text(f"{W3C}/eddsa-rdfc-2022/canonDocDataInt.nq")
    assert data.proof_nquads == read_text(f"{W3C}/eddsa-rdfc-2022/proofCanonDataInt.nq")
    assert (
        data.document_hash.hex() == read_text(f"{W3C}/eddsa-rdfc-2022/docHashDataInt.txt").strip()
    )
    assert data.proof_hash.hex() == read_text(f"{W3C}/eddsa-rdfc-2022/proofHashDataInt.txt").strip()
    combined = read_text(f"{W3C}/eddsa-rdfc-2022/combinedHashDataInt.txt").strip()
    assert data.data_to_sign.hex() == combined

    key = private_key_from_multibase(load_json(f"{W3C}/keyPair.json")["privateKeyMultibase"])
    signature = key.sign(data.data_to_sign)
    assert signature.hex() == read_text(f"{W3C}/eddsa-rdfc-2022/sigHexDataInt.txt").strip()
    assert (
        multibase_encode(signature)
        == read_text(f"{W3C}/eddsa-rdfc-2022/sigBTC58DataInt.txt").strip()
    )


def test_w3c_add_proof_reproduces_signed_document(loader: DocumentLoader) -> None:
    unsigned = load_json(f"{W3C}/unsigned.json")
    expected = load_json(f"{W3C}/eddsa-rdfc-2022/signedDataInt.json")
    pair = load_json(f"{W3C}/keyPair.json")
    vm = expected["proof"]["verificationMethod"]
    signer = KeySigner(private_key_from_multibase(pair["privateKeyMultibase"]), vm)

    signed = add_proof(
        unsigned,
        signer=signer,
        verification_method=vm,
        created=parse_created(expected["proof"]["created"]),
        document_loader=loader,
        proof_as_list=False,
    )

    assert signed == expected
    assert list(signed["proof"]) == list(expected["proof"])  # same member order too


def test_w3c_signed_document_verifies(
    loader: DocumentLoader, vector_resolver: PublicKeyResolver
) -> None:
    signed = load_json(f"{W3C}/eddsa-rdfc-2022/signedDataInt.json")
    result = verify_proof(signed, public_key_resolver=vector_resolver, document_loader=loader)
    assert result.verified, result.reasons


# --------------------------------------------------------------------------- OB guide


def ob_private_keys() -> dict[str, PrivateKey]:
    pair = load_json(f"{OBG}/keypair.json")
    return {
        "seedHex": ed25519_private_key_from_seed(bytes.fromhex(pair["seedHex"])),
        "privateKeyHex": ed25519_private_key_from_bytes(bytes.fromhex(pair["privateKeyHex"])),
        "secretKeyMultibase": private_key_from_multibase(pair["secretKeyMultibase"]),
    }


@pytest.mark.parametrize("form", ["seedHex", "privateKeyHex", "secretKeyMultibase"])
def test_ob_keypair_forms_agree(form: str) -> None:
    pair = load_json(f"{OBG}/keypair.json")
    key = ob_private_keys()[form]
    public = key.public_key
    assert public.raw_bytes().hex() == pair["publicKeyHex"]
    assert public.to_multikey() == pair["publicKeyMultibase"]
    assert pair["id"].endswith("#" + pair["publicKeyMultibase"])


def test_ob_guide_intermediate_values(loader: DocumentLoader) -> None:
    unsigned = load_json(f"{OBG}/unsigned-credential.json")
    options = load_json(f"{OBG}/proof-options.json")
    values = load_json(f"{OBG}/intermediate-values.json")

    data = hash_data(unsigned, options, document_loader=loader)

    assert data.document_nquads == read_text(f"{OBG}/document-canon.nq")
    assert data.proof_nquads == read_text(f"{OBG}/proof-canon.nq")
    assert data.document_hash.hex() == values["documentHashHex"]
    assert data.proof_hash.hex() == values["proofHashHex"]
    assert data.data_to_sign.hex() == values["dataToSignHex"]
    key = ob_private_keys()["privateKeyHex"]
    signature = key.sign(data.data_to_sign)
    assert signature.hex() == values["signatureHex"]
    assert multibase_encode(signature) == values["proofValue"]


def test_ob_guide_add_proof_reproduces_signed_credential(loader: DocumentLoader) -> None:
    unsigned = load_json(f"{OBG}/unsigned-credential.json")
    options = load_json(f"{OBG}/proof-options.json")
    expected = load_json(f"{OBG}/signed-credential.json")
    key = ob_private_keys()["secretKeyMultibase"]
    signer = KeySigner(key, options["verificationMethod"])

    signed = add_proof(
        unsigned,
        signer=signer,
        verification_method=options["verificationMethod"],
        created=parse_created(options["created"]),
        document_loader=loader,
        proof_as_list=False,
    )

    assert signed == expected
    assert (
        signed["proof"]["proofValue"] == load_json(f"{OBG}/intermediate-values.json")["proofValue"]
    )
