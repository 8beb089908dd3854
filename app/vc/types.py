"""Protocols and type aliases shared by the VC core and its callers.

The core never holds private keys: it receives a :class:`Signer` and resolves public
keys through an injected :data:`PublicKeyResolver`. Concrete implementations live in
:mod:`app.keys`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

JsonObject = dict[str, Any]
"""A parsed JSON object."""

RemoteDocument = dict[str, Any]
"""What a PyLD document loader returns: ``{"contextUrl", "documentUrl", "document"}``."""

DocumentLoaderFn = Callable[..., RemoteDocument]
"""A PyLD-compatible document loader: ``loader(url, options) -> RemoteDocument``."""

SIGNER_ALGORITHMS = frozenset({"Ed25519", "EdDSA", "ES256", "RS256"})
"""Values a :class:`Signer` may report as its ``algorithm``."""


@runtime_checkable
class Signer(Protocol):
    """Something that signs bytes with one private key.

    ``algorithm`` is one of ``"Ed25519"`` / ``"EdDSA"`` (both Ed25519), ``"ES256"``
    (P-256 + SHA-256, signature as raw ``r || s``, 64 bytes) or ``"RS256"`` (RSASSA-PKCS1-v1_5
    + SHA-256). ``key_id`` is the verification method id or JWS ``kid`` to publish.
    """

    @property
    def algorithm(self) -> str: ...

    @property
    def key_id(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...


@runtime_checkable
class PublicKey(Protocol):
    """A public key that can check signatures.

    ``algorithm`` is ``"Ed25519"``, ``"ES256"`` or ``"RS256"``: the only algorithm the
    key may be used with (no key confusion). ``verify`` returns ``False`` on a bad
    signature and never raises for malformed signature bytes.
    """

    @property
    def algorithm(self) -> str: ...

    def verify(self, data: bytes, signature: bytes) -> bool: ...

    def to_jwk(self) -> dict[str, str]: ...


PublicKeyResolver = Callable[[str], PublicKey]
"""Maps a verification method id (or JWS ``kid``) to a public key.

Raises:
    KeyResolutionError: (by convention) when the id cannot be resolved.
"""
