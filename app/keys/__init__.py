"""Key management: the only package that touches private keys and ``cryptography``.

Public API:

* :class:`PrivateKey`, :func:`generate_private_key`, :func:`ed25519_private_key_from_seed`,
  :func:`ed25519_private_key_from_bytes`, :func:`private_key_from_multibase`
* :class:`KeySigner` (implements :class:`app.vc.types.Signer`)
* :class:`PublicKey` (implements :class:`app.vc.types.PublicKey`; Multikey/JWK/did:key)
* :func:`encrypt_private_key`, :func:`load_private_key`, :class:`KeyDecryptionError`
* resolvers: :func:`resolve_did_key`, :class:`StaticKeyResolver`,
  :class:`ControllerDocumentResolver`, :func:`chain_resolvers`
"""

from app.keys.private import (
    KEY_ALGORITHMS,
    KeySigner,
    PrivateKey,
    ed25519_private_key_from_bytes,
    ed25519_private_key_from_seed,
    generate_private_key,
    private_key_from_multibase,
)
from app.keys.public import KeyFormatError, PublicKey
from app.keys.resolvers import (
    ControllerDocumentResolver,
    StaticKeyResolver,
    chain_resolvers,
    resolve_did_key,
)
from app.keys.storage import KeyDecryptionError, encrypt_private_key, load_private_key

__all__ = [
    "KEY_ALGORITHMS",
    "ControllerDocumentResolver",
    "KeyDecryptionError",
    "KeyFormatError",
    "KeySigner",
    "PrivateKey",
    "PublicKey",
    "StaticKeyResolver",
    "chain_resolvers",
    "ed25519_private_key_from_bytes",
    "ed25519_private_key_from_seed",
    "encrypt_private_key",
    "generate_private_key",
    "load_private_key",
    "private_key_from_multibase",
    "resolve_did_key",
]
