"""The public documents of an organization: issuer Profile, did:web DID document and JWKS."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.config import Settings
from app.models import Organization, SigningKey
from app.organizations.service import issuer_did, profile_url, public_key_of

# Controlled Identifiers 1.0 (W3C) defines both key types used here, Multikey and
# JsonWebKey, with the security vocabulary's terms: with DID v1 it expands in safe mode from
# pinned contexts alone (https://w3id.org/security/jwk/v1, used before, is not pinned).
DID_CONTEXTS = [
    "https://www.w3.org/ns/did/v1",
    "https://www.w3.org/ns/cid/v1",
]


def verification_method(settings: Settings, org: Organization, key: SigningKey) -> dict[str, Any]:
    did = issuer_did(settings, org)
    method_id = f"{did}#{key.key_id}"
    if key.algorithm == "Ed25519":
        return {
            "id": method_id,
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.public_key_multibase,
        }
    return {
        "id": method_id,
        "type": "JsonWebKey",
        "controller": did,
        "publicKeyJwk": public_key_of(key).to_jwk(),
    }


def did_document(
    settings: Settings, org: Organization, keys: Sequence[SigningKey]
) -> dict[str, Any]:
    """The DID document: every published key (active and retired) is an assertion method."""
    did = issuer_did(settings, org)
    methods = [verification_method(settings, org, k) for k in keys]
    return {
        "@context": DID_CONTEXTS,
        "id": did,
        "alsoKnownAs": [profile_url(settings, org)],
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


def jwks(settings: Settings, org: Organization, keys: Sequence[SigningKey]) -> dict[str, Any]:
    out = []
    for key in keys:
        jwk = dict(public_key_of(key).to_jwk())
        jwk["kid"] = f"{issuer_did(settings, org)}#{key.key_id}"
        jwk["alg"] = "EdDSA" if key.algorithm == "Ed25519" else key.algorithm
        jwk["use"] = "sig"
        out.append(jwk)
    return {"keys": out}


def issuer_profile_json(settings: Settings, org: Organization) -> dict[str, Any]:
    """The OB 3.0 Profile of the issuer, as JSON-LD."""
    profile: dict[str, Any] = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": issuer_did(settings, org),
        "type": ["Profile"],
        "name": org.name,
        "url": org.url,
        "email": org.email,
        "otherIdentifier": [
            {
                "type": "IdentifierEntry",
                "identifier": profile_url(settings, org),
                "identifierType": "identifier",
            }
        ],
    }
    if org.logo_url:
        profile["image"] = {"id": org.logo_url, "type": "Image"}
    return profile
