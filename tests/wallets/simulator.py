"""A wallet that does what the Learner Credential Wallet does (issue #15): an Ed25519 did:key,
a DIDAuthentication presentation signed with Ed25519Signature2020 (or eddsa-rdfc-2022) over
the issuer's challenge and domain, and the VC-API exchange.

Written from the protocols (VC-API exchanges, the VP Request Spec's DIDAuthentication), not
from the wallet's code. The signature is made here with `cryptography` and the project's
canonicalization; tests/vc/test_ed25519_2020.py checks that canonicalization against Digital
Bazaar's implementation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

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
