"""Multibase / multicodec helpers, did:key parsing, did:web mapping, VM lookup."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.vc.did import did_web_to_url, find_verification_method, parse_did_key, split_did_url
from app.vc.errors import DidError, MultibaseError
from app.vc.multibase import (
    ED25519_PUB,
    P256_PUB,
    base58btc_decode,
    base58btc_encode,
    decode_multikey,
    encode_multikey,
    multibase_decode,
    multibase_encode,
    varint_decode,
    varint_encode,
)

W3C_KEY = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


def test_base58btc_known_values() -> None:
    assert base58btc_encode(b"hello world") == "StV1DL6CwTryKyV"
    assert base58btc_decode("StV1DL6CwTryKyV") == b"hello world"
    assert base58btc_encode(b"\x00\x00\x01") == "112"  # leading zero bytes become '1'
    with pytest.raises(MultibaseError):
        base58btc_decode("0OIl")  # not in the alphabet


def test_multibase_round_trip_and_prefixes() -> None:
    data = bytes(range(40))
    assert multibase_encode(data).startswith("z")
    assert multibase_decode(multibase_encode(data)) == data
    assert multibase_decode("uAAEC") == b"\x00\x01\x02"
    for bad in ("", "mAAEC", "uAAEC=", "z0"):
        with pytest.raises(MultibaseError):
            multibase_decode(bad)


@pytest.mark.parametrize(
    ("number", "encoded"),
    [
        (0, b"\x00"),
        (0x7F, b"\x7f"),
        (0xED, b"\xed\x01"),
        (0x1200, b"\x80\x24"),
        (0x1300, b"\x80\x26"),
    ],
)
def test_varint(number: int, encoded: bytes) -> None:
    assert varint_encode(number) == encoded
    assert varint_decode(encoded + b"rest") == (number, len(encoded))


def test_varint_errors() -> None:
    with pytest.raises(ValueError):
        varint_encode(-1)
    with pytest.raises(MultibaseError):
        varint_decode(b"\x80\x80")


def test_multikey_prefixes() -> None:
    ed = encode_multikey(ED25519_PUB, b"\x01" * 32)
    assert ed.startswith("z6Mk")
    p256 = encode_multikey(P256_PUB, b"\x02" + b"\x01" * 32)
    assert p256.startswith("zDn")
    assert decode_multikey(ed) == (ED25519_PUB, b"\x01" * 32)


@pytest.mark.parametrize(
    "value",
    [
        encode_multikey(ED25519_PUB, b"\x01" * 31),  # wrong length
        encode_multikey(0x1205, b"\x01" * 32),  # RSA codec: not supported here
        "z" + base58btc_encode(b"\xed"),  # truncated varint
    ],
)
def test_multikey_errors(value: str) -> None:
    with pytest.raises(MultibaseError):
        decode_multikey(value)


def test_parse_did_key_ed25519() -> None:
    parsed = parse_did_key(f"did:key:{W3C_KEY}#{W3C_KEY}")
    assert parsed.did == f"did:key:{W3C_KEY}"
    assert parsed.key_type == "Ed25519"
    assert len(parsed.public_key) == 32
    assert parsed.verification_method_id == f"did:key:{W3C_KEY}#{W3C_KEY}"
    assert parse_did_key(f"did:key:{W3C_KEY}") == parsed


def test_parse_did_key_p256() -> None:
    point = b"\x03" + bytes(range(32))
    parsed = parse_did_key("did:key:" + encode_multikey(P256_PUB, point))
    assert parsed.key_type == "P-256"
    assert parsed.public_key == point


@pytest.mark.parametrize(
    "value",
    [
        "did:web:example.com",
        f"did:key:{W3C_KEY}#z6MkOther",
        "did:key:" + W3C_KEY[1:],  # no multibase prefix
        "did:key:" + encode_multikey(0x1300, b"\x01" * 32),  # a private key codec
        "did:key:zzzz",
    ],
)
def test_parse_did_key_errors(value: str) -> None:
    with pytest.raises(DidError):
        parse_did_key(value)


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
        (
            "did:web:w3c-ccg.github.io:user:alice",
            "https://w3c-ccg.github.io/user/alice/did.json",
        ),
        ("did:web:example.com%3A3000", "https://example.com:3000/.well-known/did.json"),
        ("did:web:example.com#key-1", "https://example.com/.well-known/did.json"),
        (
            "did:web:dc.1edtech.org:wellspring2022:wellspring-portal:learner:e42a",
            "https://dc.1edtech.org/wellspring2022/wellspring-portal/learner/e42a/did.json",
        ),
    ],
)
def test_did_web_to_url(did: str, url: str) -> None:
    assert did_web_to_url(did) == url


@pytest.mark.parametrize(
    "did",
    [
        "did:key:z6Mk",
        "did:web:",
        "did:web:exa_mple.com",
        "did:web:example.com:..:secret",
        "did:web:example.com:a%2Fb",
        "did:web:user@example.com",
    ],
)
def test_did_web_errors(did: str) -> None:
    with pytest.raises(DidError):
        did_web_to_url(did)


def test_split_did_url() -> None:
    assert split_did_url("did:web:x#k") == ("did:web:x", "k")
    assert split_did_url("did:web:x") == ("did:web:x", None)


def controller_doc() -> dict[str, Any]:
    return {
        "id": "did:web:example.com",
        "verificationMethod": [
            {
                "id": "#key-1",
                "type": "Multikey",
                "controller": "did:web:example.com",
                "publicKeyMultibase": W3C_KEY,
            },
            {
                "id": "did:web:example.com#key-2",
                "type": "Multikey",
                "controller": "did:web:example.com",
                "publicKeyMultibase": W3C_KEY,
            },
        ],
        "assertionMethod": ["#key-1"],
    }


def test_find_verification_method() -> None:
    method = find_verification_method(controller_doc(), "did:web:example.com#key-1")
    assert method["id"] == "did:web:example.com#key-1"
    assert method["publicKeyMultibase"] == W3C_KEY


def test_find_verification_method_requires_relationship() -> None:
    with pytest.raises(KeyError, match="not listed under assertionMethod"):
        find_verification_method(controller_doc(), "did:web:example.com#key-2")
    method = find_verification_method(
        controller_doc(), "did:web:example.com#key-2", relationship=None
    )
    assert method["id"].endswith("#key-2")


def test_find_verification_method_other_controller_refused() -> None:
    doc = controller_doc()
    doc["verificationMethod"][0]["controller"] = "did:web:evil.example"
    with pytest.raises(KeyError, match=re.escape("controlled by did:web:evil.example")):
        find_verification_method(doc, "did:web:example.com#key-1")


def test_find_verification_method_missing() -> None:
    with pytest.raises(KeyError, match="not found"):
        find_verification_method(controller_doc(), "did:web:example.com#key-9")
