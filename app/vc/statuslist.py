"""W3C Bitstring Status List: the compressed bitstring and the status list credential (pure)."""

from __future__ import annotations

import base64
import gzip
import io
import threading
from datetime import datetime
from typing import Any

from app.vc.dates import format_datetime
from app.vc.multibase import multibase_encode_base64url
from app.vc.openbadges import VC_V2_CONTEXT

MIN_LIST_SIZE = 131072  # 16 KiB of bits: the minimum the spec sets for herd privacy


def new_bitstring(size: int = MIN_LIST_SIZE) -> bytes:
    if size < MIN_LIST_SIZE or size % 8:
        raise ValueError(f"a status list has at least {MIN_LIST_SIZE} entries, a multiple of 8")
    return bytes(size // 8)


def get_bit(bits: bytes, index: int) -> bool:
    """Bit `index`, counting from the left-most bit of the first byte (as the spec says)."""
    if not 0 <= index < len(bits) * 8:
        raise IndexError(f"status index {index} is outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def set_bit(bits: bytes, index: int, value: bool) -> bytes:
    if not 0 <= index < len(bits) * 8:
        raise IndexError(f"status index {index} is outside the list")
    out = bytearray(bits)
    if value:
        out[index // 8] |= 0x80 >> (index % 8)
    else:
        out[index // 8] &= ~(0x80 >> (index % 8)) & 0xFF
    return bytes(out)


# Encoding and decoding are pure functions of their input, and a verifier meets the same
# few lists over and over: both remember their last results (lists up to CACHED_BYTES of
# bits only, so foreign lists cannot make the memory used large).
CACHED_BYTES = 256 * 1024
CACHED_LISTS = 16
DEFAULT_MAX_BYTES = 16 * 1024 * 1024


class _Recent:
    def __init__(self) -> None:
        self._items: dict[str | bytes, str | bytes] = {}
        self._lock = threading.Lock()

    def get(self, key: str | bytes) -> str | bytes | None:
        with self._lock:
            return self._items.get(key)

    def put(self, key: str | bytes, value: str | bytes) -> None:
        with self._lock:
            if len(self._items) >= CACHED_LISTS:
                self._items.pop(next(iter(self._items)))
            self._items[key] = value


_encoded = _Recent()
_decoded = _Recent()


def encode_list(bits: bytes) -> str:
    """GZIP-compress and multibase-encode (base64url, no padding, prefix 'u')."""
    bits = bytes(bits)
    known = _encoded.get(bits)
    if isinstance(known, str):
        return known
    compressed = gzip.compress(bits, mtime=0)
    encoded = multibase_encode_base64url(compressed)
    if len(bits) <= CACHED_BYTES:
        _encoded.put(bits, encoded)
    return encoded


def decode_list(encoded: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Decode an `encodedList`; bounded so a hostile list cannot exhaust memory.

    Raises:
        ValueError: If the value is not a multibase base64url GZIP bitstring.
    """
    known = _decoded.get(encoded)
    if isinstance(known, bytes) and len(known) <= max_bytes:
        return known
    data = _decode_list(encoded, max_bytes)
    if len(data) <= CACHED_BYTES:
        _decoded.put(encoded, data)
    return data


def _decode_list(encoded: str, max_bytes: int) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (prefix 'u')")
    body = encoded[1:]
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError as exc:
        raise ValueError(f"encodedList is not base64url: {exc}") from exc
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(compressed)) as fh:
            data = fh.read(max_bytes + 1)
    except (OSError, EOFError) as exc:
        raise ValueError(f"encodedList is not GZIP data: {exc}") from exc
    if len(data) > max_bytes:
        raise ValueError("encodedList is larger than allowed")
    return data


def build_status_list_credential(
    *,
    list_id: str,
    issuer: dict[str, Any] | str,
    purpose: str,
    bits: bytes,
    valid_from: datetime,
    valid_until: datetime | None = None,
) -> dict[str, Any]:
    """An unsigned BitstringStatusListCredential for the list.

    Args:
        list_id: The URL where the list credential is published.
        issuer: The issuer id or profile.
        purpose: ``revocation`` or ``suspension``.
        bits: The raw bitstring.
        valid_from: Issuance time of this version of the list.
        valid_until: Optional expiry, telling verifiers how long they may cache it.

    Returns:
        The unsigned credential.
    """
    credential: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT],
        "id": list_id,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": format_datetime(valid_from),
        "credentialSubject": {
            "id": f"{list_id}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_list(bits),
        },
    }
    if valid_until is not None:
        credential["validUntil"] = format_datetime(valid_until)
    return credential
