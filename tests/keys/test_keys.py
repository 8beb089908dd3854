"""Key generation, signing, Multikey/JWK/did:key import and export, vector key formats."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import pickle

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.keys import (
    KeyFormatError,
    KeySigner,
    PrivateKey,
    PublicKey,
    ed25519_private_key_from_bytes,
    ed25519_private_key_from_seed,
    generate_private_key,
    private_key_from_multibase,
)
from app.vc.multibase import multibase_decode
from app.vc.types import PublicKey as PublicKeyProtocol
from app.vc.types import Signer

from .conftest import load_vector_json

ALGORITHMS = ["Ed25519", "ES256", "RS256"]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module", params=ALGORITHMS)
def key(request: pytest.FixtureRequest) -> PrivateKey:
    return generate_private_key(request.param, rsa_bits=2048)


def test_sign_and_verify(key: PrivateKey) -> None:
    signature = key.sign(b"osaamismerkki")
    assert key.public_key.verify(b"osaamismerkki", signature)
    assert not key.public_key.verify(b"osaamismerkkI", signature)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not key.public_key.verify(b"osaamismerkki", flipped)
    assert not key.public_key.verify(b"osaamismerkki", b"")
    assert not key.public_key.verify(b"osaamismerkki", b"\x00" * 300)


def test_protocols(key: PrivateKey) -> None:
    assert isinstance(key.public_key, PublicKeyProtocol)
    assert isinstance(KeySigner(key, "urn:k"), Signer)


def test_algorithms() -> None:
    assert generate_private_key("Ed25519").algorithm == "Ed25519"
    assert generate_private_key("EdDSA").algorithm == "Ed25519"
    assert generate_private_key("ES256").public_key.key_type == "P-256"
    for bits in (2048, 3072):
        rsa_key = generate_private_key("RS256", rsa_bits=bits)
        assert rsa_key.algorithm == "RS256"
        n = int.from_bytes(base64.urlsafe_b64decode(rsa_key.public_key.to_jwk()["n"] + "=="), "big")
        assert n.bit_length() == bits
    assert generate_private_key("RS256").to_pkcs8_der()  # default 3072
    with pytest.raises(ValueError, match="RSA key size"):
        generate_private_key("RS256", rsa_bits=1024)
    with pytest.raises(ValueError, match="unsupported"):
        generate_private_key("HS256")


def test_es256_signature_is_raw_r_s_not_der() -> None:
    key = generate_private_key("ES256")
    signature = key.sign(b"data")
    assert len(signature) == 64
    # A DER signature of the same data is refused: JWS wants r||s.
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    assert not key.public_key.verify(b"data", encode_dss_signature(r, s))


def test_small_rsa_public_key_is_refused() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()  # noqa: S505 - must be refused
    with pytest.raises(KeyFormatError, match="too small"):
        PublicKey.from_cryptography(small)
    nums = small.public_numbers()
    jwk = {
        "kty": "RSA",
        "n": b64url(nums.n.to_bytes(128, "big")),
        "e": b64url(nums.e.to_bytes(3, "big")),
    }
    with pytest.raises(KeyFormatError, match="too small"):
        PublicKey.from_jwk(jwk)


# --------------------------------------------------------------------------- export/import


def test_jwk_round_trip(key: PrivateKey) -> None:
    jwk = key.public_key.to_jwk()
    assert "d" not in jwk
    assert PublicKey.from_jwk(jwk) == key.public_key
    signature = key.sign(b"x")
    assert PublicKey.from_jwk(json.loads(json.dumps(jwk))).verify(b"x", signature)


def test_jwk_thumbprint_is_rfc7638(key: PrivateKey) -> None:
    jwk = key.public_key.to_jwk()
    required = {
        "OKP": ("crv", "kty", "x"),
        "EC": ("crv", "kty", "x", "y"),
        "RSA": ("e", "kty", "n"),
    }
    members = {name: jwk[name] for name in required[jwk["kty"]]}
    expected = b64url(
        hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest()
    )
    assert key.public_key.jwk_thumbprint() == expected


def test_rfc7638_example_thumbprint() -> None:
    """RFC 7638 section 3.1 example key and thumbprint."""
    jwk = {
        "kty": "RSA",
        "n": (
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tS"
            "oc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65"
            "YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyr"
            "dkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzK"
            "nqDKgw"
        ),
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert PublicKey.from_jwk(jwk).jwk_thumbprint() == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_rfc8037_ed25519_example() -> None:
    """RFC 8037 appendix A: Ed25519 public JWK and the signed example JWS."""
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    public = PublicKey.from_jwk(jwk)
    signing_input = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
    signature = base64.urlsafe_b64decode(
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg=="
    )
    assert public.verify(signing_input, signature)
    seed = base64.urlsafe_b64decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
    private = ed25519_private_key_from_seed(seed)
    assert private.public_key == public
    assert private.sign(signing_input) == signature  # Ed25519 is deterministic


@pytest.mark.parametrize(
    ("jwk", "message"),
    [
        ({"kty": "OKP", "crv": "X25519", "x": "AAAA"}, "unsupported OKP curve"),
        ({"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"}, "unsupported EC curve"),
        ({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}, "32 bytes"),
        (
            {"kty": "EC", "crv": "P-256", "x": b64url(b"\x01" * 32), "y": b64url(b"\x01" * 32)},
            "invalid P-256",
        ),
        ({"kty": "RSA", "n": "AQAB"}, "missing member 'e'"),
        ({"kty": "oct", "k": "c2VjcmV0"}, "private key material"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "d": "AAAA"}, "private key material"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "A+/="}, "base64url"),
        ({"kty": "XYZ"}, "unsupported JWK kty"),
    ],
)
def test_bad_jwks(jwk: dict[str, str], message: str) -> None:
    with pytest.raises(KeyFormatError, match=message):
        PublicKey.from_jwk(jwk)


@pytest.mark.parametrize("algorithm", ["Ed25519", "ES256"])
def test_multikey_and_did_key_round_trip(algorithm: str) -> None:
    key = generate_private_key(algorithm)
    multikey = key.public_key.to_multikey()
    raw = multibase_decode(multikey)
    if algorithm == "Ed25519":
        assert multikey.startswith("z6Mk") and raw[:2] == b"\xed\x01" and len(raw) == 34
    else:
        assert multikey.startswith("zDn") and raw[:2] == b"\x80\x24" and len(raw) == 35
    assert PublicKey.from_multikey(multikey) == key.public_key
    did = key.public_key.to_did_key()
    assert PublicKey.from_did_key(did) == key.public_key
    assert PublicKey.from_did_key(f"{did}#{multikey}") == key.public_key


def test_rsa_has_no_multikey() -> None:
    with pytest.raises(KeyFormatError):
        generate_private_key("RS256", rsa_bits=2048).public_key.to_multikey()


def test_verification_method_objects() -> None:
    ed = generate_private_key("Ed25519").public_key
    vm = ed.to_verification_method("https://x.example/i#k1", "https://x.example/i")
    assert vm == {
        "id": "https://x.example/i#k1",
        "type": "Multikey",
        "controller": "https://x.example/i",
        "publicKeyMultibase": ed.to_multikey(),
    }
    assert PublicKey.from_verification_method(vm) == ed
    rsa_key = generate_private_key("RS256", rsa_bits=2048).public_key
    vm = rsa_key.to_verification_method("https://x.example/i#k2", "https://x.example/i")
    assert vm["type"] == "JsonWebKey"
    assert PublicKey.from_verification_method(vm) == rsa_key
    with pytest.raises(KeyFormatError):
        PublicKey.from_verification_method({"id": "x"})


def test_did_key_vector_key() -> None:
    pair = load_vector_json("vectors/w3c-vc-di-eddsa/keyPair.json")
    public = PublicKey.from_did_key(f"did:key:{pair['publicKeyMultibase']}")
    assert public.to_multikey() == pair["publicKeyMultibase"]
    assert public.algorithm == "Ed25519"


# --------------------------------------------------------------------------- vector formats


def test_w3c_private_key_multibase() -> None:
    pair = load_vector_json("vectors/w3c-vc-di-eddsa/keyPair.json")
    assert multibase_decode(pair["privateKeyMultibase"])[:2] == b"\x80\x26"
    key = private_key_from_multibase(pair["privateKeyMultibase"])
    assert key.public_key.to_multikey() == pair["publicKeyMultibase"]


def test_ob_guide_key_forms() -> None:
    pair = load_vector_json("vectors/ob-v3p0-impl-guide-eddsa-rdfc-2022/keypair.json")
    from_multibase = private_key_from_multibase(pair["secretKeyMultibase"])
    from_bytes = ed25519_private_key_from_bytes(bytes.fromhex(pair["privateKeyHex"]))
    from_seed = ed25519_private_key_from_seed(bytes.fromhex(pair["seedHex"]))
    for key in (from_multibase, from_bytes, from_seed):
        assert key.public_key.raw_bytes().hex() == pair["publicKeyHex"]
        assert key.public_key.to_multikey() == pair["publicKeyMultibase"]


def test_64_byte_secret_with_wrong_public_half_is_refused() -> None:
    seed = b"\x07" * 32
    wrong = seed + b"\x00" * 32
    with pytest.raises(KeyFormatError, match="does not match"):
        ed25519_private_key_from_bytes(wrong)
    with pytest.raises(KeyFormatError, match="32 bytes"):
        ed25519_private_key_from_seed(b"\x01" * 31)


def test_p256_private_multibase() -> None:
    key = generate_private_key("ES256")
    der = key.to_pkcs8_der()
    loaded = serialization.load_der_private_key(der, password=None)
    scalar = loaded.private_numbers().private_value.to_bytes(32, "big")  # type: ignore[union-attr]
    from app.vc.multibase import P256_PRIV, encode_multikey

    again = private_key_from_multibase(encode_multikey(P256_PRIV, scalar))
    assert again.public_key == key.public_key


def test_public_key_multibase_is_not_a_private_key() -> None:
    pair = load_vector_json("vectors/w3c-vc-di-eddsa/keyPair.json")
    with pytest.raises(KeyFormatError, match="not a supported private key"):
        private_key_from_multibase(pair["publicKeyMultibase"])


# --------------------------------------------------------------------------- hygiene


def test_private_key_repr_has_no_key_material(key: PrivateKey) -> None:
    der = key.to_pkcs8_der()
    text = repr(key) + str(key) + repr(KeySigner(key, "urn:k")) + f"{key}"
    assert "hidden" in repr(key)
    secrets = {der.hex(), base64.b64encode(der).decode(), b64url(der)}
    loaded = serialization.load_der_private_key(der, password=None)
    if hasattr(loaded, "private_bytes") and key.algorithm == "Ed25519":
        raw = loaded.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        secrets |= {raw.hex(), b64url(raw), base64.b64encode(raw).decode()}
    for secret in secrets:
        assert secret not in text
        assert secret[:16] not in text
    assert not hasattr(key, "__dict__"), "no attribute dict to dump"


def test_private_key_cannot_be_pickled_or_copied(key: PrivateKey) -> None:
    with pytest.raises(TypeError):
        pickle.dumps(key)
    with pytest.raises(TypeError):
        copy.copy(key)
    with pytest.raises(TypeError):
        copy.deepcopy(key)


def test_key_signer() -> None:
    ed = generate_private_key("Ed25519")
    assert KeySigner(ed, "urn:k").algorithm == "Ed25519"
    assert KeySigner(ed, "urn:k", algorithm="EdDSA").algorithm == "EdDSA"
    with pytest.raises(ValueError, match="does not fit"):
        KeySigner(ed, "urn:k", algorithm="ES256")
    signer = KeySigner(ed, "urn:k")
    assert ed.public_key.verify(b"m", signer.sign(b"m"))
    assert signer.public_key == ed.public_key


def test_pkcs8_round_trip_and_errors(key: PrivateKey) -> None:
    again = PrivateKey.from_pkcs8_der(key.to_pkcs8_der())
    assert again.public_key == key.public_key
    with pytest.raises(KeyFormatError):
        PrivateKey.from_pkcs8_der(b"not der")
