"""did:key parsing, did:web URL mapping and verification-method lookup (pure; no I/O).

did:key is decoded to a :class:`DidKey` (codec + raw public key). Turning that into a
:class:`~app.vc.types.PublicKey` needs ``cryptography`` and therefore lives in
:func:`app.keys.public_key_from_did_key`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from app.vc.errors import DidError, MultibaseError
from app.vc.multibase import ED25519_PUB, P256_PUB, decode_multikey

_KEY_TYPES = {ED25519_PUB: "Ed25519", P256_PUB: "P-256"}
_HOST_RE = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::[0-9]{1,5})?$"
)
_PATH_SEGMENT_RE = re.compile(r"^[A-Za-z0-9._~%!$&'()*+,;=@-]+$")


@dataclass(frozen=True)
class DidKey:
    """A decoded did:key.

    Attributes:
        did: The DID without fragment, ``did:key:z...``.
        multibase: The Multikey value (the method-specific id).
        codec: Multicodec code of the key.
        key_type: ``"Ed25519"`` or ``"P-256"``.
        public_key: Raw public key bytes (32 bytes, or a 33-byte compressed P-256 point).
    """

    did: str
    multibase: str
    codec: int
    key_type: str
    public_key: bytes

    @property
    def verification_method_id(self) -> str:
        """The id of the key's verification method: ``did:key:z...#z...``."""
        return f"{self.did}#{self.multibase}"


def split_did_url(did_url: str) -> tuple[str, str | None]:
    """Split a DID URL into the DID and its fragment.

    Args:
        did_url: e.g. ``did:key:z6Mk...#z6Mk...``.

    Returns:
        ``(did, fragment or None)``.
    """
    did, sep, fragment = did_url.partition("#")
    return did, fragment if sep else None


def parse_did_key(did_url: str) -> DidKey:
    """Decode a did:key DID or DID URL (Ed25519 or P-256).

    Args:
        did_url: ``did:key:<multibase>`` optionally followed by ``#<multibase>``.

    Returns:
        The decoded key.

    Raises:
        DidError: If it is not a did:key, the fragment does not match the key, or the
            key type is unsupported.
    """
    did, fragment = split_did_url(did_url)
    if not did.startswith("did:key:"):
        raise DidError(f"not a did:key: {did_url!r}")
    multibase = did[len("did:key:") :]
    if not multibase.startswith("z"):
        raise DidError(f"did:key must use base58btc multibase: {did_url!r}")
    if fragment is not None and fragment != multibase:
        raise DidError(f"did:key fragment does not match the key: {did_url!r}")
    try:
        decoded = decode_multikey(multibase)
    except MultibaseError as exc:
        raise DidError(f"invalid did:key {did_url!r}: {exc}") from exc
    key_type = _KEY_TYPES.get(decoded.codec)
    if key_type is None:
        raise DidError(f"did:key codec 0x{decoded.codec:x} is not a supported public key type")
    return DidKey(did, multibase, decoded.codec, key_type, decoded.key)


def did_web_to_url(did: str) -> str:
    """Map a did:web DID to the HTTPS URL of its DID document (no fetching).

    ``did:web:example.com`` -> ``https://example.com/.well-known/did.json``;
    ``did:web:example.com:user:alice`` -> ``https://example.com/user/alice/did.json``;
    a port is written percent-encoded: ``did:web:localhost%3A8443``.

    Args:
        did: The DID (a fragment, if any, is ignored).

    Returns:
        The https URL.

    Raises:
        DidError: If the DID is not a well-formed did:web.
    """
    did, _ = split_did_url(did)
    if not did.startswith("did:web:"):
        raise DidError(f"not a did:web: {did!r}")
    parts = did[len("did:web:") :].split(":")
    host = unquote(parts[0])
    if not _HOST_RE.match(host):
        raise DidError(f"did:web has an invalid host: {did!r}")
    path = parts[1:]
    for segment in path:
        if not _PATH_SEGMENT_RE.match(segment) or unquote(segment) in {".", ".."}:
            raise DidError(f"did:web has an invalid path segment {segment!r}: {did!r}")
        if "/" in unquote(segment):
            raise DidError(f"did:web path segment must not contain '/': {did!r}")
    if not path:
        return f"https://{host}/.well-known/did.json"
    return f"https://{host}/{'/'.join(path)}/did.json"


def _absolute_id(value: str, base: str | None) -> str:
    if value.startswith("#") and base:
        return base.split("#", 1)[0] + value
    return value


def find_verification_method(
    document: Mapping[str, Any],
    method_id: str,
    *,
    relationship: str | None = "assertionMethod",
) -> dict[str, Any]:
    """Find a verification method in a controller document (DID document, issuer profile).

    The method must be listed under ``relationship`` (by reference or embedded) unless
    ``relationship`` is ``None``. Relative ids (``#key-1``) are resolved against the
    document ``id``.

    Args:
        document: The controller document.
        method_id: The absolute verification method id.
        relationship: The verification relationship required, e.g. ``"assertionMethod"``.

    Returns:
        The verification method object (a copy with an absolute ``id``).

    Raises:
        KeyError: If the method is absent or not authorized for ``relationship``.
    """
    base = document.get("id") if isinstance(document.get("id"), str) else None
    candidates: dict[str, dict[str, Any]] = {}
    for key in ("verificationMethod", "assertionMethod", "authentication"):
        entries = document.get(key)
        for entry in entries if isinstance(entries, list) else [entries]:
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                candidates[_absolute_id(entry["id"], base)] = dict(entry)
    method = candidates.get(method_id)
    if method is None:
        raise KeyError(f"verification method {method_id} not found in controller document")
    if relationship is not None:
        entries = document.get(relationship)
        listed = False
        for entry in entries if isinstance(entries, list) else [entries]:
            ref = entry.get("id") if isinstance(entry, dict) else entry
            if isinstance(ref, str) and _absolute_id(ref, base) == method_id:
                listed = True
        if not listed:
            raise KeyError(f"verification method {method_id} is not listed under {relationship}")
    method["id"] = method_id
    controller = method.get("controller")
    if base is not None and controller is not None and controller != base:
        raise KeyError(
            f"verification method {method_id} is controlled by {controller}, not by {base}"
        )
    return method
