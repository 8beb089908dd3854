"""Encryption of private keys at rest.

Format (version 1): ``b"OPK1" || nonce (12 bytes) || AES-256-GCM(PKCS#8 DER)``, with the
key id as associated data, so a blob moved to another key's row fails to decrypt. The
key-encryption key (KEK) is 32 bytes from configuration, never stored beside the blobs.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.keys.private import PrivateKey

_MAGIC = b"OPK1"
_NONCE_BYTES = 12


class KeyDecryptionError(Exception):
    """The blob cannot be decrypted: wrong KEK, wrong key id, or tampered data."""


def _check_kek(kek: bytes) -> AESGCM:
    if not isinstance(kek, bytes | bytearray) or len(kek) != 32:
        raise ValueError("key-encryption key must be exactly 32 bytes")
    return AESGCM(bytes(kek))


def _aad(key_id: str) -> bytes:
    return _MAGIC + key_id.encode("utf-8")


def encrypt_private_key(private_key: PrivateKey, *, kek: bytes, key_id: str) -> bytes:
    """Encrypt a private key for storage.

    Args:
        private_key: The key to protect.
        kek: 32-byte key-encryption key.
        key_id: The key's identifier (bound as associated data).

    Returns:
        The encrypted blob.

    Raises:
        ValueError: If the KEK is not 32 bytes or ``key_id`` is empty.
    """
    if not key_id:
        raise ValueError("key_id must not be empty")
    aes = _check_kek(kek)
    nonce = os.urandom(_NONCE_BYTES)
    return _MAGIC + nonce + aes.encrypt(nonce, private_key.to_pkcs8_der(), _aad(key_id))


def load_private_key(blob: bytes, *, kek: bytes, key_id: str) -> PrivateKey:
    """Decrypt a blob made by :func:`encrypt_private_key`.

    Args:
        blob: The encrypted blob.
        kek: The 32-byte key-encryption key.
        key_id: The key id used when encrypting.

    Returns:
        The private key.

    Raises:
        ValueError: If the KEK is not 32 bytes.
        KeyDecryptionError: If the blob is malformed, tampered, or KEK/key id are wrong.
    """
    aes = _check_kek(kek)
    if len(blob) < len(_MAGIC) + _NONCE_BYTES + 16 or not blob.startswith(_MAGIC):
        raise KeyDecryptionError("not an encrypted private key blob (version OPK1)")
    nonce = blob[len(_MAGIC) : len(_MAGIC) + _NONCE_BYTES]
    try:
        der = aes.decrypt(nonce, blob[len(_MAGIC) + _NONCE_BYTES :], _aad(key_id))
    except InvalidTag as exc:
        raise KeyDecryptionError(
            "cannot decrypt private key: wrong key-encryption key, wrong key id, or tampered"
        ) from exc
    return PrivateKey.from_pkcs8_der(der)
