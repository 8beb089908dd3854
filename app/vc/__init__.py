"""Pure Open Badges 3.0 / Verifiable Credentials core.

Never reads settings, the clock, the database or the network: time, ids, the signer, the
key resolver and the JSON-LD document loader are keyword arguments. Never imports
``cryptography`` (keys live in :mod:`app.keys`), FastAPI or SQLModel/SQLAlchemy.

Modules:

* :mod:`app.vc.contexts`: pinned JSON-LD contexts, :class:`~app.vc.contexts.DocumentLoader`
* :mod:`app.vc.canonical`: strict RDFC-1.0 canonicalization
* :mod:`app.vc.dataintegrity`: ``DataIntegrityProof`` / ``eddsa-rdfc-2022``
* :mod:`app.vc.jwt`: OB 3.0 VC-JWT (RS256, ES256, EdDSA)
* :mod:`app.vc.did`: did:key parsing, did:web URL mapping, verification-method lookup
* :mod:`app.vc.multibase`: multibase / multicodec helpers
* :mod:`app.vc.types`: the ``Signer`` and ``PublicKey`` protocols
* :mod:`app.vc.errors`: exceptions
"""

from app.vc.canonical import canonicalize
from app.vc.contexts import PINNED_CONTEXTS, DocumentLoader
from app.vc.dataintegrity import (
    CRYPTOSUITE,
    HashData,
    ProofCheck,
    ProofResult,
    VerifiedProofs,
    add_proof,
    hash_data,
    verify_proof,
)
from app.vc.errors import (
    CanonicalizationError,
    ContextError,
    JwtError,
    KeyResolutionError,
    RelativeIriError,
    SigningError,
    UndefinedTermError,
    VCError,
)
from app.vc.jwt import JWT_ALGORITHMS, JwtVerificationResult, encode_vc_jwt, verify_vc_jwt
from app.vc.types import PublicKey, PublicKeyResolver, Signer

__all__ = [
    "CRYPTOSUITE",
    "JWT_ALGORITHMS",
    "PINNED_CONTEXTS",
    "CanonicalizationError",
    "ContextError",
    "DocumentLoader",
    "HashData",
    "JwtError",
    "JwtVerificationResult",
    "KeyResolutionError",
    "ProofCheck",
    "ProofResult",
    "PublicKey",
    "PublicKeyResolver",
    "RelativeIriError",
    "Signer",
    "SigningError",
    "UndefinedTermError",
    "VCError",
    "VerifiedProofs",
    "add_proof",
    "canonicalize",
    "encode_vc_jwt",
    "hash_data",
    "verify_proof",
    "verify_vc_jwt",
]
