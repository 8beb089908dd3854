"""Private keys encrypted at rest (AES-256-GCM, key id as associated data)."""

from __future__ import annotations

import os

import pytest

from app.keys import (
    KeyDecryptionError,
    PrivateKey,
    encrypt_private_key,
    generate_private_key,
    load_private_key,
)

KEK = bytes(range(32))


@pytest.fixture(scope="module", params=["Ed25519", "ES256", "RS256"])
def key(request: pytest.FixtureRequest) -> PrivateKey:
    return generate_private_key(request.param, rsa_bits=2048)


def test_round_trip(key: PrivateKey) -> None:
    blob = encrypt_private_key(key, kek=KEK, key_id="issuer-1/key-1")
    loaded = load_private_key(blob, kek=KEK, key_id="issuer-1/key-1")
    assert loaded.public_key == key.public_key
    assert key.public_key.verify(b"m", loaded.sign(b"m"))


def test_blob_does_not_contain_the_plaintext_key(key: PrivateKey) -> None:
    blob = encrypt_private_key(key, kek=KEK, key_id="k")
    der = key.to_pkcs8_der()
    assert der not in blob
    assert der[-32:] not in blob
    assert blob.startswith(b"OPK1")


def test_nonce_is_fresh(key: PrivateKey) -> None:
    assert encrypt_private_key(key, kek=KEK, key_id="k") != encrypt_private_key(
        key, kek=KEK, key_id="k"
    )


def test_wrong_kek_fails(key: PrivateKey) -> None:
    blob = encrypt_private_key(key, kek=KEK, key_id="k")
    with pytest.raises(KeyDecryptionError, match="wrong key-encryption key"):
        load_private_key(blob, kek=os.urandom(32), key_id="k")


def test_key_id_is_bound(key: PrivateKey) -> None:
    """A blob copied to another key's row does not decrypt."""
    blob = encrypt_private_key(key, kek=KEK, key_id="issuer-1/key-1")
    with pytest.raises(KeyDecryptionError):
        load_private_key(blob, kek=KEK, key_id="issuer-2/key-1")


@pytest.mark.parametrize("position", [0, 5, 20, -1])
def test_tampering_fails(key: PrivateKey, position: int) -> None:
    blob = bytearray(encrypt_private_key(key, kek=KEK, key_id="k"))
    blob[position] ^= 0x01
    with pytest.raises(KeyDecryptionError):
        load_private_key(bytes(blob), kek=KEK, key_id="k")


def test_truncated_blob_fails() -> None:
    with pytest.raises(KeyDecryptionError, match="not an encrypted"):
        load_private_key(b"OPK1short", kek=KEK, key_id="k")


@pytest.mark.parametrize("kek", [b"", b"x" * 16, b"x" * 31, b"x" * 33])
def test_kek_must_be_32_bytes(key: PrivateKey, kek: bytes) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        encrypt_private_key(key, kek=kek, key_id="k")
    with pytest.raises(ValueError, match="32 bytes"):
        load_private_key(b"OPK1" + b"\x00" * 40, kek=kek, key_id="k")


def test_empty_key_id_refused(key: PrivateKey) -> None:
    with pytest.raises(ValueError, match="key_id"):
        encrypt_private_key(key, kek=KEK, key_id="")
