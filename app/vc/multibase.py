"""Multibase (base58btc ``z`` and base64url ``u``) and multicodec helpers.

Only what Multikey, did:key and Data Integrity proof values need.
"""

from __future__ import annotations

import base64
import binascii
from typing import NamedTuple

import base58

from app.vc.errors import MultibaseError

ED25519_PUB = 0xED
"""Multicodec code of an Ed25519 public key (varint ``ed 01``)."""
P256_PUB = 0x1200
"""Multicodec code of a P-256 public key, compressed point (varint ``80 24``)."""
ED25519_PRIV = 0x1300
"""Multicodec code of an Ed25519 private key (varint ``80 26``)."""
P256_PRIV = 0x1306
"""Multicodec code of a P-256 private key (varint ``86 26``)."""

_KEY_LENGTHS: dict[int, tuple[int, ...]] = {
    ED25519_PUB: (32,),
    P256_PUB: (33,),
    # W3C vectors use the 32-byte seed; the OB implementation guide prints seed || public key.
    ED25519_PRIV: (32, 64),
    P256_PRIV: (32,),
}


class Multikey(NamedTuple):
    """A decoded multicodec-prefixed key."""

    codec: int
    key: bytes


def base58btc_encode(data: bytes) -> str:
    """Encode bytes as base58btc (Bitcoin alphabet), without multibase prefix.

    Args:
        data: The bytes to encode.

    Returns:
        The base58btc string.
    """
    return base58.b58encode(data).decode("ascii")


def base58btc_decode(text: str) -> bytes:
    """Decode a base58btc string (no multibase prefix).

    Args:
        text: The base58btc text.

    Returns:
        The decoded bytes.

    Raises:
        MultibaseError: If the text contains characters outside the alphabet.
    """
    try:
        return base58.b58decode(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise MultibaseError(f"invalid base58btc text: {exc}") from exc


def multibase_encode(data: bytes) -> str:
    """Encode bytes as multibase base58btc (``z`` prefix).

    Args:
        data: The bytes to encode.

    Returns:
        ``"z" + base58btc(data)``.
    """
    return "z" + base58btc_encode(data)


def multibase_encode_base64url(data: bytes) -> str:
    """Encode bytes as multibase base64url without padding (``u`` prefix).

    Args:
        data: The bytes to encode.

    Returns:
        ``"u" + base64url(data)``, unpadded.
    """
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def multibase_decode(value: str) -> bytes:
    """Decode a multibase string. Supports ``z`` (base58btc) and ``u`` (base64url, no pad).

    Args:
        value: The multibase text.

    Returns:
        The decoded bytes.

    Raises:
        MultibaseError: If the prefix is unsupported or the payload is malformed.
    """
    if not isinstance(value, str) or not value:
        raise MultibaseError("multibase value must be a non-empty string")
    prefix, body = value[0], value[1:]
    if prefix == "z":
        return base58btc_decode(body)
    if prefix == "u":
        if "=" in body:
            raise MultibaseError("base64url multibase must not be padded")
        try:
            return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError) as exc:
            raise MultibaseError(f"invalid base64url multibase: {exc}") from exc
    raise MultibaseError(f"unsupported multibase prefix {prefix!r}")


def varint_encode(number: int) -> bytes:
    """Encode a non-negative integer as an unsigned LEB128 varint.

    Args:
        number: The integer.

    Returns:
        The varint bytes.

    Raises:
        ValueError: If the number is negative.
    """
    if number < 0:
        raise ValueError("varint must be non-negative")
    out = bytearray()
    while True:
        byte = number & 0x7F
        number >>= 7
        if number:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def varint_decode(data: bytes) -> tuple[int, int]:
    """Decode an unsigned varint at the start of ``data``.

    Args:
        data: Bytes starting with a varint.

    Returns:
        ``(value, number of bytes consumed)``.

    Raises:
        MultibaseError: If the varint is truncated or longer than 9 bytes.
    """
    value = 0
    for i, byte in enumerate(data[:9]):
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, i + 1
    raise MultibaseError("truncated or oversized varint")


def encode_multikey(codec: int, key: bytes) -> str:
    """Build a Multikey ``publicKeyMultibase`` / ``secretKeyMultibase`` value.

    Args:
        codec: Multicodec code, e.g. :data:`ED25519_PUB`.
        key: Raw key bytes.

    Returns:
        ``"z" + base58btc(varint(codec) + key)``.
    """
    return multibase_encode(varint_encode(codec) + key)


def decode_multikey(value: str) -> Multikey:
    """Decode a Multikey value and check its length for the known codecs.

    Args:
        value: The multibase text, e.g. ``z6Mk...``.

    Returns:
        The codec and the raw key bytes.

    Raises:
        MultibaseError: If the value is malformed, the codec unknown or the length wrong.
    """
    raw = multibase_decode(value)
    codec, used = varint_decode(raw)
    key = raw[used:]
    lengths = _KEY_LENGTHS.get(codec)
    if lengths is None:
        raise MultibaseError(f"unsupported multicodec key type 0x{codec:x}")
    if len(key) not in lengths:
        raise MultibaseError(
            f"multicodec 0x{codec:x} key must be {' or '.join(map(str, lengths))} bytes, "
            f"got {len(key)}"
        )
    return Multikey(codec, key)
