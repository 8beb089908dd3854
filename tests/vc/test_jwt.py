"""OB 3.0 VC-JWT: the spec's examples, round trips, and attacks."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization

from app.keys import KeySigner, PrivateKey, PublicKey, StaticKeyResolver, generate_private_key
from app.vc.contexts import OB_V3P0_3_0_3, VC_V2
from app.vc.errors import JwtError, KeyResolutionError
from app.vc.jwt import decode_jws_unverified, encode_vc_jwt, verify_vc_jwt
from app.vc.types import Signer

from .conftest import require, vector_files

SPEC = "vectors/ob-v3p0-spec-rendered-examples"
SPEC_JWTS = vector_files(SPEC, "*.vc-jwt-rs256.jwt")
ISSUER = "https://osaamispassi.example/issuers/eduro"
KID = f"{ISSUER}#key-1"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: Any) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def trust_header_jwk(jwk: Any, issuer: str | None) -> PublicKey:
    """The spec examples carry their key only in the header: integrity, not identity."""
    return PublicKey.from_jwk(jwk)


def read_token(relative: str) -> str:
    return require(relative).read_text(encoding="utf-8").strip()


def credential() -> dict[str, Any]:
    return {
        "@context": [VC_V2, OB_V3P0_3_0_3],
        "id": "urn:uuid:8f0c1f52-7d15-4f61-9d1e-2f8a3c6b9e10",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": ISSUER, "type": ["Profile"], "name": "Eduro-säätiö"},
        "validFrom": "2025-01-02T03:04:05Z",
        "validUntil": "2030-01-01T00:00:00Z",
        "name": "Kiinteistönhoito",
        "credentialSubject": {
            "id": "did:example:learner-1",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://osaamispassi.example/achievements/kh-1",
                "type": ["Achievement"],
                "name": "Kiinteistönhoito",
                "criteria": {"narrative": "Näytetty työpajalla."},
            },
        },
    }


def sign_raw(header: dict[str, Any], payload: dict[str, Any], signer: Signer) -> str:
    """Craft any token (for attacks) with a real signature over it."""
    signing_input = f"{b64json(header)}.{b64json(payload)}"
    return f"{signing_input}.{b64(signer.sign(signing_input.encode()))}"


@pytest.fixture(scope="module")
def keys() -> dict[str, PrivateKey]:
    return {alg: generate_private_key(alg, rsa_bits=2048) for alg in ("RS256", "ES256", "Ed25519")}


# --------------------------------------------------------------------------- spec examples


def test_spec_examples_present() -> None:
    if not SPEC_JWTS:
        pytest.skip(f"standards vectors missing: {SPEC}/*.jwt")
    assert len(SPEC_JWTS) == 8


@pytest.mark.parametrize("relative", SPEC_JWTS)
def test_spec_example_verifies_with_its_header_jwk(relative: str) -> None:
    token = read_token(relative)
    result = verify_vc_jwt(token, embedded_jwk_resolver=trust_header_jwk)
    assert result.verified, result.errors
    assert result.key_source == "jwk"
    assert result.header is not None and result.header["alg"] == "RS256"
    # The examples use the flat form and omit nbf: tolerated, but reported.
    assert any("nbf claim is missing" in w for w in result.warnings)
    assert result.credential is not None
    assert "iss" not in result.credential and "jti" not in result.credential
    unsigned = json.loads(
        require(relative.replace(".vc-jwt-rs256.jwt", ".unsigned.json")).read_text()
    )
    assert result.credential == unsigned


@pytest.mark.parametrize("relative", SPEC_JWTS)
def test_spec_example_missing_nbf_fails_when_claims_are_required(relative: str) -> None:
    result = verify_vc_jwt(
        read_token(relative), embedded_jwk_resolver=trust_header_jwk, require_claims=True
    )
    assert not result.verified
    assert any("nbf" in e for e in result.errors)


@pytest.mark.parametrize("relative", SPEC_JWTS)
def test_spec_example_tampered_payload_fails(relative: str) -> None:
    header, payload, signature = read_token(relative).split(".")
    claims = json.loads(unb64(payload))
    claims["name"] = claims["name"] + "!"
    result = verify_vc_jwt(
        f"{header}.{b64json(claims)}.{signature}", embedded_jwk_resolver=trust_header_jwk
    )
    assert not result.verified
    assert result.errors == ("signature does not verify",)


@pytest.mark.parametrize("relative", SPEC_JWTS)
def test_spec_example_tampered_signature_fails(relative: str) -> None:
    header, payload, signature = read_token(relative).split(".")
    raw = bytearray(unb64(signature))
    raw[5] ^= 0x01
    result = verify_vc_jwt(
        f"{header}.{payload}.{b64(bytes(raw))}", embedded_jwk_resolver=trust_header_jwk
    )
    assert not result.verified
    assert "signature does not verify" in result.errors


def test_spec_example_header_jwk_is_not_trusted_by_default() -> None:
    if not SPEC_JWTS:
        pytest.skip(f"standards vectors missing: {SPEC}/*.jwt")
    result = verify_vc_jwt(read_token(SPEC_JWTS[0]), public_key_resolver=StaticKeyResolver({}))
    assert not result.verified
    assert "no usable key" in result.errors[0]


def test_spec_example_refused_key_is_reported() -> None:
    if not SPEC_JWTS:
        pytest.skip(f"standards vectors missing: {SPEC}/*.jwt")

    def refuse(jwk: Any, issuer: str | None) -> PublicKey:
        raise KeyResolutionError(f"key not in the profile of {issuer}")

    result = verify_vc_jwt(read_token(SPEC_JWTS[0]), embedded_jwk_resolver=refuse)
    assert not result.verified
    assert "key not in the profile of https://example.edu/issuers/565049" in result.errors[0]


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize(
    ("key_alg", "signer_alg", "jws_alg"),
    [
        ("RS256", None, "RS256"),
        ("ES256", None, "ES256"),
        ("Ed25519", None, "EdDSA"),
        ("Ed25519", "EdDSA", "EdDSA"),
    ],
)
def test_round_trip(
    keys: dict[str, PrivateKey], key_alg: str, signer_alg: str | None, jws_alg: str
) -> None:
    key = keys[key_alg]
    signer = KeySigner(key, KID, algorithm=signer_alg)
    cred = credential()
    token = encode_vc_jwt(cred, signer=signer)

    header = json.loads(unb64(token.split(".")[0]))
    assert header == {"alg": jws_alg, "kid": KID, "typ": "JWT"}
    assert list(header) == ["alg", "kid", "typ"]
    payload = json.loads(unb64(token.split(".")[1]))
    assert payload["iss"] == ISSUER
    assert payload["jti"] == cred["id"]
    assert payload["sub"] == "did:example:learner-1"
    assert payload["nbf"] == int(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp())
    assert payload["exp"] == int(datetime(2030, 1, 1, tzinfo=UTC).timestamp())

    result = verify_vc_jwt(token, public_key_resolver=StaticKeyResolver({KID: key.public_key}))
    assert result.verified, result.errors
    assert result.warnings == ()
    assert result.credential == cred

    # An independent implementation (PyJWT) accepts our token with the same public key.
    decoded = pyjwt.decode(
        token,
        key.public_key.to_cryptography(),  # type: ignore[arg-type]
        algorithms=[jws_alg],
        options={"verify_exp": False, "verify_nbf": False},
    )
    assert decoded["jti"] == cred["id"]


def test_es256_signature_is_raw_r_s(keys: dict[str, PrivateKey]) -> None:
    token = encode_vc_jwt(credential(), signer=KeySigner(keys["ES256"], KID))
    assert len(unb64(token.split(".")[2])) == 64


def test_minimal_credential_has_no_sub_or_exp(keys: dict[str, PrivateKey]) -> None:
    cred = credential()
    del cred["validUntil"]
    del cred["credentialSubject"]["id"]
    token = encode_vc_jwt(cred, signer=KeySigner(keys["ES256"], KID))
    payload = json.loads(unb64(token.split(".")[1]))
    assert "sub" not in payload and "exp" not in payload
    resolver = StaticKeyResolver({KID: keys["ES256"].public_key})
    assert verify_vc_jwt(token, public_key_resolver=resolver).verified


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.pop("validFrom"), "validFrom"),
        (lambda c: c.pop("issuer"), "issuer"),
        (lambda c: c.update(iss="https://other.example"), "JWT claim"),
        (lambda c: c.update(validFrom="2025-01-02"), "date"),
    ],
)
def test_encode_refuses_bad_credentials(
    keys: dict[str, PrivateKey], change: Any, message: str
) -> None:
    cred = credential()
    change(cred)
    with pytest.raises(JwtError, match=message):
        encode_vc_jwt(cred, signer=KeySigner(keys["ES256"], KID))


class _HmacSigner:
    algorithm = "HS256"
    key_id = KID

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def sign(self, data: bytes) -> bytes:
        return hmac.new(self.secret, data, hashlib.sha256).digest()


def test_encode_refuses_hmac_signer() -> None:
    with pytest.raises(JwtError, match="HS256"):
        encode_vc_jwt(credential(), signer=_HmacSigner(b"secret"))


# --------------------------------------------------------------------------- attacks


def claims_for(cred: dict[str, Any]) -> dict[str, Any]:
    return {
        **cred,
        "iss": ISSUER,
        "jti": cred["id"],
        "sub": "did:example:learner-1",
        "nbf": int(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()),
        "exp": int(datetime(2030, 1, 1, tzinfo=UTC).timestamp()),
    }


def test_alg_none_is_refused(keys: dict[str, PrivateKey]) -> None:
    resolver = StaticKeyResolver({KID: keys["RS256"].public_key})
    payload = b64json(claims_for(credential()))
    for header in ({"alg": "none", "typ": "JWT"}, {"alg": "none", "kid": KID, "typ": "JWT"}):
        for signature in ("", b64(b"x")):
            token = f"{b64json(header)}.{payload}.{signature}"
            result = verify_vc_jwt(token, public_key_resolver=resolver)
            assert not result.verified
            assert "not allowed" in result.errors[0] or "empty signature" in result.errors[0]
    result = verify_vc_jwt(
        f"{b64json({'alg': 'none', 'kid': KID, 'typ': 'JWT'})}.{payload}.{b64(b'x')}",
        public_key_resolver=resolver,
        allowed_algorithms=["none", "RS256"],
    )
    assert result.errors == ("algorithm 'none' is not allowed (allowed: RS256)",)


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_hmac_with_public_key_bytes_is_refused(keys: dict[str, PrivateKey], alg: str) -> None:
    """The classic key-confusion attack: HMAC keyed with the issuer's public key."""
    public = keys["RS256"].public_key
    secrets = [
        json.dumps(public.to_jwk()).encode(),
        public.to_cryptography().public_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PublicFormat.SubjectPublicKeyInfo,
        ),
    ]
    for secret in secrets:
        token = sign_raw(
            {"alg": alg, "kid": KID, "typ": "JWT"}, claims_for(credential()), _HmacSigner(secret)
        )
        result = verify_vc_jwt(
            token,
            public_key_resolver=StaticKeyResolver({KID: public}),
            allowed_algorithms=[alg, "RS256", "ES256", "EdDSA"],
        )
        assert not result.verified
        assert result.errors[0].startswith(f"algorithm '{alg}' is not allowed")


def test_es256_token_against_rsa_key_is_refused(keys: dict[str, PrivateKey]) -> None:
    token = encode_vc_jwt(credential(), signer=KeySigner(keys["ES256"], KID))
    result = verify_vc_jwt(
        token, public_key_resolver=StaticKeyResolver({KID: keys["RS256"].public_key})
    )
    assert not result.verified
    assert "key type mismatch" in result.errors[0]
    assert "ES256" in result.errors[0] and "RS256" in result.errors[0]


def test_rs256_token_against_ed25519_key_is_refused(keys: dict[str, PrivateKey]) -> None:
    token = encode_vc_jwt(credential(), signer=KeySigner(keys["RS256"], KID))
    resolver = StaticKeyResolver({KID: keys["Ed25519"].public_key})
    result = verify_vc_jwt(token, public_key_resolver=resolver)
    assert not result.verified
    assert "key type mismatch" in result.errors[0]


def test_token_signed_by_another_key_fails(keys: dict[str, PrivateKey]) -> None:
    other = generate_private_key("ES256")
    token = encode_vc_jwt(credential(), signer=KeySigner(other, KID))
    resolver = StaticKeyResolver({KID: keys["ES256"].public_key})
    assert verify_vc_jwt(token, public_key_resolver=resolver).errors == (
        "signature does not verify",
    )


@pytest.mark.parametrize(
    ("claim", "value", "message"),
    [
        ("iss", "https://evil.example/issuer", "iss 'https://evil.example/issuer' does not match"),
        ("jti", "urn:uuid:other", "jti 'urn:uuid:other' does not match credential id"),
        ("sub", "did:example:someone-else", "does not match credentialSubject.id"),
        ("nbf", 0, "nbf 0 does not match validFrom"),
        ("exp", 4102444800, "exp 4102444800 does not match validUntil"),
        ("nbf", "2025-01-02", "nbf is not a NumericDate"),
        ("exp", True, "exp is not a NumericDate"),
    ],
)
def test_claims_disagreeing_with_credential_fail(
    keys: dict[str, PrivateKey], claim: str, value: Any, message: str
) -> None:
    payload = claims_for(credential())
    payload[claim] = value
    signer = KeySigner(keys["ES256"], KID)
    token = sign_raw({"alg": "ES256", "kid": KID, "typ": "JWT"}, payload, signer)
    result = verify_vc_jwt(token, public_key_resolver=StaticKeyResolver({KID: signer.public_key}))
    assert not result.verified
    assert result.credential is None
    assert any(message in e for e in result.errors), result.errors


def test_exp_without_valid_until_fails(keys: dict[str, PrivateKey]) -> None:
    cred = credential()
    del cred["validUntil"]
    payload = claims_for(cred)
    signer = KeySigner(keys["ES256"], KID)
    token = sign_raw({"alg": "ES256", "kid": KID, "typ": "JWT"}, payload, signer)
    result = verify_vc_jwt(token, public_key_resolver=StaticKeyResolver({KID: signer.public_key}))
    assert "exp is present but the credential has no validUntil" in result.errors


def test_validity_window_when_now_is_given(keys: dict[str, PrivateKey]) -> None:
    signer = KeySigner(keys["ES256"], KID)
    token = encode_vc_jwt(credential(), signer=signer)
    resolver = StaticKeyResolver({KID: signer.public_key})
    early = verify_vc_jwt(token, public_key_resolver=resolver, now=datetime(2024, 1, 1, tzinfo=UTC))
    assert "not valid before 2025-01-02T03:04:05Z" in early.errors
    late = verify_vc_jwt(token, public_key_resolver=resolver, now=datetime(2031, 1, 1, tzinfo=UTC))
    assert "expired at 2030-01-01T00:00:00Z" in late.errors
    ok = verify_vc_jwt(token, public_key_resolver=resolver, now=datetime(2026, 1, 1, tzinfo=UTC))
    assert ok.verified


def test_vc_claim_form(keys: dict[str, PrivateKey]) -> None:
    """VC-JWT 1.1 form: credential under ``vc``; id/issuer/subject may come from claims."""
    cred = credential()
    vc = copy.deepcopy(cred)
    del vc["id"]
    del vc["issuer"]
    del vc["credentialSubject"]["id"]
    payload = {
        "iss": ISSUER,
        "jti": cred["id"],
        "sub": "did:example:learner-1",
        "nbf": claims_for(cred)["nbf"],
        "exp": claims_for(cred)["exp"],
        "vc": vc,
    }
    signer = KeySigner(keys["RS256"], KID)
    resolver = StaticKeyResolver({KID: signer.public_key})
    token = sign_raw({"alg": "RS256", "kid": KID, "typ": "JWT"}, payload, signer)
    result = verify_vc_jwt(token, public_key_resolver=resolver)
    assert result.verified, result.errors
    assert result.credential is not None
    assert result.credential["issuer"] == ISSUER
    assert result.credential["id"] == cred["id"]
    assert result.credential["credentialSubject"]["id"] == "did:example:learner-1"

    payload["vc"] = dict(vc, issuer="https://evil.example/issuer")
    token = sign_raw({"alg": "RS256", "kid": KID, "typ": "JWT"}, payload, signer)
    result = verify_vc_jwt(token, public_key_resolver=resolver)
    assert not result.verified
    assert any(e.startswith("iss ") for e in result.errors)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ({"alg": "ES256", "kid": KID, "typ": "at+jwt"}, "typ header is 'at+jwt'"),
        ({"alg": "ES256", "kid": KID, "typ": "JWT", "crit": ["exp"]}, "crit"),
        ({"alg": "ES256", "kid": KID, "typ": "JWT", "b64": False}, "b64"),
        ({"alg": "ES256", "typ": "JWT"}, "no usable key"),
        ({"alg": ["ES256"], "kid": KID, "typ": "JWT"}, "not allowed"),
    ],
)
def test_header_rules(keys: dict[str, PrivateKey], header: dict[str, Any], message: str) -> None:
    signer = KeySigner(keys["ES256"], KID)
    token = sign_raw(header, claims_for(credential()), signer)
    result = verify_vc_jwt(token, public_key_resolver=StaticKeyResolver({KID: signer.public_key}))
    assert not result.verified
    assert message in result.errors[0]


@pytest.mark.parametrize(
    ("jwk_change", "message"),
    [
        ({"alg": "RS256"}, "jwk alg 'RS256' does not match"),
        ({"use": "enc"}, "jwk use 'enc'"),
        ({"d": "AAAA"}, "private key material"),
    ],
)
def test_header_jwk_rules(
    keys: dict[str, PrivateKey], jwk_change: dict[str, str], message: str
) -> None:
    signer = KeySigner(keys["ES256"], KID)
    jwk = {**signer.public_key.to_jwk(), **jwk_change}
    token = sign_raw({"alg": "ES256", "typ": "JWT", "jwk": jwk}, claims_for(credential()), signer)
    result = verify_vc_jwt(token, embedded_jwk_resolver=trust_header_jwk)
    assert not result.verified
    assert message in result.errors[0]


def test_malformed_tokens_are_refused(keys: dict[str, PrivateKey]) -> None:
    signer = KeySigner(keys["ES256"], KID)
    good = encode_vc_jwt(credential(), signer=signer)
    h, p, s = good.split(".")
    resolver = StaticKeyResolver({KID: signer.public_key})
    assert verify_vc_jwt(good, public_key_resolver=resolver).verified
    nan_payload = b64(b'{"nbf": NaN}')
    dup_header = b64(b'{"alg":"ES256","kid":"%s","typ":"JWT","alg":"RS256"}' % KID.encode())
    bad_tokens = {
        "two parts": f"{h}.{p}",
        "four parts": f"{h}.{p}.{s}.{s}",
        "padding": f"{h}.{p}.{s}==",
        "whitespace": f"{h}.{p}.{s}\n",
        "non-base64": f"{h}.{p}.{s[:-1]}*",
        "duplicate header member": f"{dup_header}.{p}.{s}",
        "payload not an object": f"{h}.{b64(b'[1,2]')}.{s}",
        "payload not JSON": f"{h}.{b64(b'not json')}.{s}",
        "NaN": f"{h}.{nan_payload}.{s}",
    }
    for label, token in bad_tokens.items():
        result = verify_vc_jwt(token, public_key_resolver=resolver)
        assert not result.verified, label
        assert result.errors[0].startswith("malformed JWT"), (label, result.errors)


def test_non_canonical_base64_is_refused() -> None:
    # "QQ" and "QR" decode to the same byte; only "QQ" is canonical.
    with pytest.raises(JwtError, match="canonical"):
        decode_jws_unverified(f"{b64json({'alg': 'ES256'})}.{b64json({})}.QR")


def test_decoder_returns_parts(keys: dict[str, PrivateKey]) -> None:
    token = encode_vc_jwt(credential(), signer=KeySigner(keys["Ed25519"], KID))
    parts = decode_jws_unverified(token)
    assert parts.header["alg"] == "EdDSA"
    assert parts.signing_input == token.rsplit(".", 1)[0].encode()
    assert len(parts.signature) == 64


def test_standards_path_helper_points_to_shared_folder() -> None:
    path = require("SOURCES.md")
    assert path.name == "SOURCES.md" and isinstance(path, Path)
