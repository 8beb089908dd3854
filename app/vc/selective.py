"""``ecdsa-sd-2023`` derived proofs: selective disclosure with ECDSA (W3C VC Data Integrity
ECDSA Cryptosuites v1.0, 3.6). Verified for P-256 issuer keys, never made.

The issuer signs a *base proof*: one signature over the mandatory statements, and one, with
a fresh (ephemeral) key, for each other statement; blank node labels are replaced with HMAC
values so that what is not disclosed cannot be guessed from them. The holder derives a
*disclosure*: the document with only some statements, and a proof value that carries the
base signature, the ephemeral public key, the signatures of the disclosed non-mandatory
statements, the map from the disclosed document's canonical blank node labels to the HMAC
labels, and the positions of the mandatory statements. The verifier:

1. parses the derived proof value (``u`` multibase, header ``0xd9 0x5d 0x01``, CBOR);
2. canonicalizes the disclosed document (without its proof), replaces each canonical blank
   node label with its HMAC label and sorts the statements;
3. hashes the proof configuration (as eddsa-rdfc-2022 does) and the mandatory statements;
4. checks the base signature over ``proofHash || publicKey || mandatoryHash`` with the
   issuer's key, and each remaining statement's signature with the ephemeral key.

A base proof (header ``0xd9 0x5d 0x00``) is meant for the holder only and is refused with
that reason: a verifier sees disclosures.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import cbor2

from app.vc.errors import MultibaseError, VCError
from app.vc.multibase import multibase_decode, multibase_encode, multibase_encode_base64url
from app.vc.types import PublicKey

SD_CRYPTOSUITE = "ecdsa-sd-2023"
BASE_HEADER = b"\xd9\x5d\x00"
DERIVED_HEADER = b"\xd9\x5d\x01"
# A disclosure larger than this is not a badge: refuse it before CBOR parsing.
MAX_PROOF_VALUE_CHARS = 1_000_000
MAX_STATEMENTS = 10_000

MultikeyLoader = Callable[[str], PublicKey]
"""Turns a ``publicKeyMultibase`` value into a key (injected: app/vc holds no crypto)."""

_LABEL = re.compile(r"_:(c14n[0-9]+)")
# The one literal an N-Quad may hold (its object): labels inside it are text, not nodes.
_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"')


class SelectiveDisclosureError(VCError):
    """An ecdsa-sd-2023 proof that cannot be verified, with the reason."""


@dataclass(frozen=True)
class DerivedProof:
    """The parts of a derived proof value."""

    base_signature: bytes
    public_key: bytes  # the ephemeral key, as multikey bytes (codec + compressed point)
    signatures: list[bytes]
    label_map: dict[str, str]  # canonical label (c14nN) -> HMAC label (u...)
    mandatory_indexes: list[int]


def parse_derived_proof_value(value: Any) -> DerivedProof:
    """Parse a derived proof value strictly.

    Raises:
        SelectiveDisclosureError: It is a base proof, or not a well-formed derived one.
    """
    if not isinstance(value, str) or not value.startswith("u"):
        raise SelectiveDisclosureError("proofValue must be base64url multibase ('u...')")
    if len(value) > MAX_PROOF_VALUE_CHARS:
        raise SelectiveDisclosureError("proofValue is too large")
    try:
        raw = multibase_decode(value)
    except MultibaseError as exc:
        raise SelectiveDisclosureError(f"proofValue: {exc}") from exc
    if raw[:3] == BASE_HEADER:
        raise SelectiveDisclosureError(
            "this is an ecdsa-sd-2023 base proof, which only the holder receives; "
            "a verifier needs a derived proof (a disclosure)"
        )
    if raw[:3] != DERIVED_HEADER:
        raise SelectiveDisclosureError("proofValue does not start with the derived proof header")
    try:
        parts = cbor2.loads(raw[3:])
    except (cbor2.CBORDecodeError, ValueError, RecursionError) as exc:
        raise SelectiveDisclosureError(f"proofValue is not valid CBOR: {exc}") from exc
    if not isinstance(parts, list) or len(parts) != 5:
        raise SelectiveDisclosureError("a derived proof value has five components")
    base_signature, public_key, signatures, labels, mandatory = parts
    if not isinstance(base_signature, bytes) or len(base_signature) != 64:
        raise SelectiveDisclosureError("the base signature must be 64 bytes (P-256)")
    if not isinstance(public_key, bytes):
        raise SelectiveDisclosureError("the ephemeral public key must be bytes")
    if not isinstance(signatures, list) or not all(
        isinstance(s, bytes) and len(s) == 64 for s in signatures
    ):
        raise SelectiveDisclosureError("the signatures must be 64-byte strings")
    if not isinstance(labels, Mapping) or not all(
        isinstance(k, int) and not isinstance(k, bool) and k >= 0 and isinstance(v, bytes)
        for k, v in labels.items()
    ):
        raise SelectiveDisclosureError("the label map must map integers to bytes")
    if not isinstance(mandatory, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in mandatory
    ):
        raise SelectiveDisclosureError("the mandatory indexes must be integers")
    label_map = {f"c14n{k}": multibase_encode_base64url(v) for k, v in labels.items()}
    return DerivedProof(base_signature, public_key, signatures, label_map, list(mandatory))


def _relabel(line: str, label_map: Mapping[str, str]) -> str:
    literal = _LITERAL.search(line)
    start, end = literal.span() if literal else (len(line), len(line))

    def replace(match: re.Match[str]) -> str:
        label = label_map.get(match.group(1))
        if label is None:
            raise SelectiveDisclosureError(f"the label map has no label for _:{match.group(1)}")
        return f"_:{label}"

    return _LABEL.sub(replace, line[:start]) + line[start:end] + _LABEL.sub(replace, line[end:])


def relabeled_statements(nquads: str, label_map: Mapping[str, str]) -> list[str]:
    """The canonical N-Quads with their blank node labels replaced by the issuer's HMAC
    labels, sorted (each ending in a newline)."""
    lines = nquads.splitlines(keepends=True)
    if len(lines) > MAX_STATEMENTS:
        raise SelectiveDisclosureError("the document has too many statements")
    return sorted(_relabel(line, label_map) for line in lines)


def check_derived_signatures(
    derived: DerivedProof,
    *,
    proof_hash: bytes,
    statements: list[str],
    issuer_key: PublicKey,
    multikey_loader: MultikeyLoader,
) -> None:
    """Check the base signature and each disclosed statement's signature.

    Args:
        derived: The parsed proof value.
        proof_hash: SHA-256 of the canonical proof configuration.
        statements: :func:`relabeled_statements` of the disclosed document.
        issuer_key: The key of the proof's verification method (P-256).
        multikey_loader: Imports the ephemeral key.

    Raises:
        SelectiveDisclosureError: When anything does not hold.
    """
    if issuer_key.algorithm != "ES256":
        raise SelectiveDisclosureError(
            f"ecdsa-sd-2023 is verified for P-256 keys; this is a {issuer_key.algorithm} key"
        )
    indexes = set(derived.mandatory_indexes)
    if len(indexes) != len(derived.mandatory_indexes) or any(i >= len(statements) for i in indexes):
        raise SelectiveDisclosureError("the mandatory indexes do not fit the document")
    mandatory = [s for i, s in enumerate(statements) if i in indexes]
    others = [s for i, s in enumerate(statements) if i not in indexes]
    if len(others) != len(derived.signatures):
        raise SelectiveDisclosureError(
            f"{len(others)} disclosed statements but {len(derived.signatures)} signatures"
        )
    try:
        ephemeral = multikey_loader(multibase_encode(derived.public_key))
    except (VCError, ValueError) as exc:
        raise SelectiveDisclosureError(f"the ephemeral public key: {exc}") from exc
    if ephemeral.algorithm != "ES256":
        raise SelectiveDisclosureError("the ephemeral key must be a P-256 key")
    mandatory_hash = hashlib.sha256("".join(mandatory).encode("utf-8")).digest()
    if not issuer_key.verify(
        proof_hash + derived.public_key + mandatory_hash, derived.base_signature
    ):
        raise SelectiveDisclosureError(
            "the base signature does not match (document or proof changed, or wrong key)"
        )
    for statement, signature in zip(others, derived.signatures, strict=True):
        if not ephemeral.verify(statement.encode("utf-8"), signature):
            raise SelectiveDisclosureError("a disclosed statement's signature does not match")
