"""Wallets for the tests (issue #15). `Wallet` does what the Learner Credential Wallet does: an
Ed25519 did:key, a DIDAuthentication presentation signed with Ed25519Signature2020 (or
eddsa-rdfc-2022) over the issuer's challenge and domain, for the VC-API exchange.
`OpenIdWallet` makes the JWT proofs of possession of an OpenID4VCI wallet.

Written from the protocols (VC-API exchanges, the VP Request Spec's DIDAuthentication,
OpenID4VCI 1.0), not from any wallet's code. The signatures are made here with `cryptography`
and the project's canonicalization; tests/vc/test_ed25519_2020.py checks that
canonicalization against Digital Bazaar's implementation.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.keys.public import PublicKey
from app.models.base import utcnow
from app.vc.contexts import ED25519_2020_V1, VC_V1, VC_V2, DocumentLoader
from app.vc.dataintegrity import hash_data, proof_options
from app.vc.dates import format_datetime
from app.vc.multibase import encode_multikey, multibase_encode

ED25519_PUB = 0xED


class Wallet:
    """One wallet app with its own key."""

    def __init__(self) -> None:
        self._key = Ed25519PrivateKey.generate()
        raw = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        fingerprint = encode_multikey(ED25519_PUB, raw)
        self.did = f"did:key:{fingerprint}"
        self.method = f"{self.did}#{fingerprint}"

    def did_auth(
        self,
        loader: DocumentLoader,
        *,
        challenge: str,
        domain: str | None,
        suite: str = "Ed25519Signature2020",
        holder: str | None = None,
        purpose: str = "authentication",
        created: datetime | None = None,
    ) -> dict[str, Any]:
        """A signed DIDAuthentication presentation (no credentials in it)."""
        created = created or utcnow().replace(microsecond=0)
        if suite == "Ed25519Signature2020":
            presentation: dict[str, Any] = {"@context": [VC_V1, ED25519_2020_V1]}
            proof: dict[str, Any] = {
                "type": "Ed25519Signature2020",
                "created": format_datetime(created),
                "verificationMethod": self.method,
                "proofPurpose": purpose,
            }
        else:
            presentation = {"@context": [VC_V2]}
            proof = proof_options(
                verification_method=self.method, created=created, proof_purpose=purpose
            )
        presentation.update({"type": ["VerifiablePresentation"], "holder": holder or self.did})
        proof["challenge"] = challenge
        if domain is not None:
            proof["domain"] = domain
        data = hash_data(presentation, proof, document_loader=loader).data_to_sign
        proof["proofValue"] = multibase_encode(self._key.sign(data))
        return {**presentation, "proof": proof}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class OpenIdWallet:
    """A wallet that speaks OpenID4VCI 1.0 (pre-authorized code flow) with a JWT proof of
    possession of its key: Ed25519 (EdDSA, named by its did:key) or P-256 (ES256, named by
    its JWK)."""

    def __init__(self, algorithm: str = "EdDSA") -> None:
        self.algorithm = algorithm
        if algorithm == "EdDSA":
            self._ed = Ed25519PrivateKey.generate()
            raw = self._ed.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            self.public = PublicKey.from_raw("Ed25519", raw)
        else:
            self._ec = ec.generate_private_key(ec.SECP256R1())
            self.public = PublicKey.from_cryptography(self._ec.public_key())
        self.did = self.public.to_did_key()

    def sign(self, data: bytes) -> bytes:
        if self.algorithm == "EdDSA":
            return self._ed.sign(data)
        r, s = decode_dss_signature(self._ec.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def proof(
        self,
        *,
        audience: str,
        nonce: str | None,
        by: str = "kid",
        typ: str = "openid4vci-proof+jwt",
        alg: str | None = None,
        issued: float | None = None,
    ) -> str:
        """A JWT proof of possession of the wallet's key."""
        header: dict[str, Any] = {"typ": typ, "alg": alg or self.algorithm}
        if by == "kid":
            header["kid"] = f"{self.did}#{self.did.removeprefix('did:key:')}"
        else:
            header["jwk"] = self.public.to_jwk()
        claims: dict[str, Any] = {"aud": audience, "iat": int(issued or time.time())}
        if nonce is not None:
            claims["nonce"] = nonce
        signing_input = (
            f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        ).encode("ascii")
        signature = b"" if header["alg"] == "none" else self.sign(signing_input)
        return f"{signing_input.decode('ascii')}.{_b64(signature)}"
