"""Issuer documents for the standards' vectors, built in the tests from the issuer and the key
each credential names.

The vectors' issuers (https://example.com/issuers/876543, ...) publish nothing that can be
fetched here, so a vector verifies only with its issuer's document supplied: a controller
document at the issuer's URL listing the key under assertionMethod, as the issuer would
publish it. Without it the honest outcome is "signature intact, issuer not confirmed".
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _issuer(credential: Mapping[str, Any]) -> str:
    issuer = credential["issuer"]
    return str(issuer if isinstance(issuer, str) else issuer["id"])


def _document(issuer: str, method: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": issuer,
        "verificationMethod": [method],
        "assertionMethod": [method["id"]],
    }


def _merge(documents: dict[str, dict[str, Any]], issuer: str, method: dict[str, Any]) -> None:
    if issuer not in documents:
        documents[issuer] = _document(issuer, method)
    elif method["id"] not in documents[issuer]["assertionMethod"]:
        documents[issuer]["verificationMethod"].append(method)
        documents[issuer]["assertionMethod"].append(method["id"])


def documents_for(data: Mapping[str, Any] | str) -> dict[str, dict[str, Any]]:
    """URL -> issuer document for a credential (JSON with `issuer#<multikey>` proofs, or a
    VC-JWT with its key in the header), its endorsements included."""
    documents: dict[str, dict[str, Any]] = {}
    if isinstance(data, str):
        header_b64, payload_b64, _ = data.split(".")
        pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
        header = json.loads(base64.urlsafe_b64decode(pad(header_b64)))
        payload = json.loads(base64.urlsafe_b64decode(pad(payload_b64)))
        issuer = str(payload["iss"])
        jwk = {k: v for k, v in header["jwk"].items() if k not in ("d", "p", "q")}
        method = {
            "id": f"{issuer}#key-jwt",
            "type": "JsonWebKey",
            "controller": issuer,
            "publicKeyJwk": jwk,
        }
        _merge(documents, issuer, method)
        return documents
    stack = [data]
    while stack:
        credential = stack.pop()
        issuer = _issuer(credential)
        for proof in _as_list(credential.get("proof")):
            method_id = proof.get("verificationMethod") if isinstance(proof, Mapping) else None
            if not isinstance(method_id, str) or not method_id.startswith(issuer + "#z"):
                continue
            _merge(
                documents,
                issuer,
                {
                    "id": method_id,
                    "type": "Multikey",
                    "controller": issuer,
                    "publicKeyMultibase": method_id.split("#", 1)[1],
                },
            )
        stack.extend(e for e in _as_list(credential.get("endorsement")) if isinstance(e, Mapping))
    return documents
