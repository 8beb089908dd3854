"""Forgeries as an attacker makes them, for the tests of key binding (issue #11).

Each takes a credential the service issued (or any credential), changes what it asserts and
re-signs it with a key the attacker holds, naming that key in a way the credential itself
carries: a JOSE ``jwk`` header, or an ``issuer#z6Mk…`` verification method.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.keys import KeySigner, PrivateKey, generate_private_key
from app.vc.dataintegrity import add_proof
from app.vc.types import DocumentLoaderFn

FORGED_NAME = "Puusepän mestari (väärennös)"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _payload(token: str) -> dict[str, Any]:
    segment = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))))


def sign_jws(header: Mapping[str, Any], payload: Mapping[str, Any], key: PrivateKey) -> str:
    """A compact JWS over exactly this header and payload."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    return f"{signing_input}.{_b64(key.sign(signing_input.encode('ascii')))}"


def forged_jwt(token: str, key: PrivateKey | None = None) -> str:
    """Change the achievement's name and re-sign with `key` (a fresh P-256 key by default),
    carrying that key in the header as `jwk`."""
    key = key or generate_private_key("ES256")
    payload = _payload(token)
    subject = payload["credentialSubject"]
    subject["achievement"]["name"] = FORGED_NAME
    alg = "ES256" if key.algorithm == "ES256" else "EdDSA"
    header = {"alg": alg, "typ": "JWT", "jwk": key.public_key.to_jwk()}
    return sign_jws(header, payload, key)


def resigned_with_jwk_header(token: str, key: PrivateKey) -> str:
    """The same payload, signed by `key` and naming it by `jwk` instead of `kid`."""
    alg = "ES256" if key.algorithm == "ES256" else "EdDSA"
    return sign_jws(
        {"alg": alg, "typ": "JWT", "jwk": key.public_key.to_jwk()}, _payload(token), key
    )


def forged_data_integrity(
    credential: Mapping[str, Any],
    loader: DocumentLoaderFn,
    *,
    created: datetime,
    issuer: str | None = None,
    method_id: str | None = None,
    key: PrivateKey | None = None,
) -> tuple[dict[str, Any], PrivateKey]:
    """Change the name, set the issuer (default: keep it) and sign with a fresh Ed25519 key
    named `issuer#<its multikey>` (or `method_id`)."""
    key = key or generate_private_key("Ed25519")
    document = json.loads(json.dumps(dict(credential)))
    document.pop("proof", None)
    document["credentialSubject"]["achievement"]["name"] = FORGED_NAME
    if issuer is not None:
        document.pop("credentialStatus", None)  # our status list would not be theirs
        if isinstance(document["issuer"], dict):
            document["issuer"]["id"] = issuer
        else:
            document["issuer"] = issuer
    issuer_id = document["issuer"]["id"] if isinstance(document["issuer"], dict) else issuer
    vm = method_id or f"{issuer_id}#{key.public_key.to_multikey()}"
    signed = add_proof(
        document,
        signer=KeySigner(key, vm),
        verification_method=vm,
        created=created,
        document_loader=loader,
    )
    return signed, key
