"""Public keys: verification, and import/export as Multikey, JWK and did:key.

:class:`PublicKey` satisfies the :class:`app.vc.types.PublicKey` protocol. Each key is bound
to exactly one signature algorithm (``Ed25519``, ``ES256`` or ``RS256``), so a caller cannot
verify, say, an ES256 signature with an RSA key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from app.vc.did import parse_did_key
from app.vc.errors import DidError, MultibaseError
from app.vc.multibase import ED25519_PUB, P256_PUB, decode_multikey, encode_multikey

MIN_RSA_BITS = 2048

PublicKeyObject = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey

_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


class KeyFormatError(ValueError):
    """A key could not be imported (bad encoding, unsupported type, private material)."""


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (JOSE)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding (JOSE).

    Raises:
        KeyFormatError: On padding or characters outside the base64url alphabet.
    """
    if not isinstance(text, str) or "=" in text:
        raise KeyFormatError("base64url value must be an unpadded string")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise KeyFormatError(f"invalid base64url: {exc}") from exc


def _int_to_b64(value: int) -> str:
    return b64url_encode(value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


class PublicKey:
    """A public key bound to one signature algorithm.

    Build one with :meth:`from_multikey`, :meth:`from_jwk`, :meth:`from_did_key` or
    :meth:`from_cryptography`, or take ``private_key.public_key``.

    Attributes:
        algorithm: ``"Ed25519"``, ``"ES256"`` or ``"RS256"``.
        key_type: ``"Ed25519"``, ``"P-256"`` or ``"RSA"``.
    """

    __slots__ = ("_key", "algorithm", "key_type")

    def __init__(self, key: PublicKeyObject) -> None:
        self._key = key
        if isinstance(key, ed25519.Ed25519PublicKey):
            self.algorithm, self.key_type = "Ed25519", "Ed25519"
        elif isinstance(key, ec.EllipticCurvePublicKey):
            if not isinstance(key.curve, ec.SECP256R1):
                raise KeyFormatError(f"unsupported elliptic curve {key.curve.name}")
            self.algorithm, self.key_type = "ES256", "P-256"
        elif isinstance(key, rsa.RSAPublicKey):
            if key.key_size < MIN_RSA_BITS:
                raise KeyFormatError(f"RSA key of {key.key_size} bits is too small")
            self.algorithm, self.key_type = "RS256", "RSA"
        else:  # pragma: no cover - guarded by the type
            raise KeyFormatError(f"unsupported key type {type(key).__name__}")

    # ----------------------------------------------------------------- verification
    def verify(self, data: bytes, signature: bytes) -> bool:
        """Check a signature made with this key's algorithm.

        ES256 signatures are raw ``r || s`` (64 bytes), as in JWS; DER is refused.

        Args:
            data: The signed bytes.
            signature: The signature bytes.

        Returns:
            ``True`` if valid; ``False`` otherwise (never raises for bad input).
        """
        try:
            if isinstance(self._key, ed25519.Ed25519PublicKey):
                if len(signature) != 64:
                    return False
                self._key.verify(signature, data)
            elif isinstance(self._key, ec.EllipticCurvePublicKey):
                if len(signature) != 64:
                    return False
                r = int.from_bytes(signature[:32], "big")
                s = int.from_bytes(signature[32:], "big")
                self._key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
            else:
                self._key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return False
        return True

    # ----------------------------------------------------------------- export
    def raw_bytes(self) -> bytes:
        """Raw public key: 32 bytes (Ed25519), 33-byte compressed point (P-256).

        Raises:
            KeyFormatError: For RSA keys, which have no raw form.
        """
        if isinstance(self._key, ed25519.Ed25519PublicKey):
            return self._key.public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        if isinstance(self._key, ec.EllipticCurvePublicKey):
            return self._key.public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
            )
        raise KeyFormatError("RSA keys have no Multikey/raw form here; use JWK")

    def to_multikey(self) -> str:
        """Export as ``publicKeyMultibase`` (``z6Mk...`` for Ed25519, ``zDn...`` for P-256)."""
        codec = ED25519_PUB if self.key_type == "Ed25519" else P256_PUB
        return encode_multikey(codec, self.raw_bytes())

    def to_did_key(self) -> str:
        """Export as a did:key DID (Ed25519 or P-256)."""
        return f"did:key:{self.to_multikey()}"

    def to_jwk(self) -> dict[str, str]:
        """Export as a public JWK (OKP/Ed25519, EC/P-256 or RSA), members in RFC 7638 order."""
        key = self._key
        if isinstance(key, ed25519.Ed25519PublicKey):
            return {"crv": "Ed25519", "kty": "OKP", "x": b64url_encode(self.raw_bytes())}
        if isinstance(key, ec.EllipticCurvePublicKey):
            nums = key.public_numbers()
            return {
                "crv": "P-256",
                "kty": "EC",
                "x": b64url_encode(nums.x.to_bytes(32, "big")),
                "y": b64url_encode(nums.y.to_bytes(32, "big")),
            }
        rsa_nums = key.public_numbers()
        return {"e": _int_to_b64(rsa_nums.e), "kty": "RSA", "n": _int_to_b64(rsa_nums.n)}

    def jwk_thumbprint(self) -> str:
        """RFC 7638 JWK thumbprint (SHA-256, base64url), usable as a ``kid``."""
        canonical = json.dumps(self.to_jwk(), separators=(",", ":"), sort_keys=True)
        return b64url_encode(hashlib.sha256(canonical.encode()).digest())

    def to_verification_method(self, method_id: str, controller: str) -> dict[str, Any]:
        """Build a verification method object for a controller document / issuer profile.

        Ed25519 and P-256 keys become ``Multikey`` (context
        ``https://w3id.org/security/multikey/v1``); RSA keys ``JsonWebKey``.

        Args:
            method_id: Absolute id, e.g. ``https://issuer.example/issuers/1#key-1``.
            controller: The controller id (issuer profile or DID).

        Returns:
            The verification method object.
        """
        if self.key_type == "RSA":
            return {
                "id": method_id,
                "type": "JsonWebKey",
                "controller": controller,
                "publicKeyJwk": self.to_jwk(),
            }
        return {
            "id": method_id,
            "type": "Multikey",
            "controller": controller,
            "publicKeyMultibase": self.to_multikey(),
        }

    def to_cryptography(self) -> PublicKeyObject:
        """The underlying ``cryptography`` key (only for code inside :mod:`app.keys`)."""
        return self._key

    # ----------------------------------------------------------------- import
    @classmethod
    def from_cryptography(cls, key: PublicKeyObject) -> PublicKey:
        """Wrap a ``cryptography`` public key."""
        return cls(key)

    @classmethod
    def from_raw(cls, key_type: str, raw: bytes) -> PublicKey:
        """Build from raw bytes: ``"Ed25519"`` (32 bytes) or ``"P-256"`` (SEC1 point).

        Raises:
            KeyFormatError: If the bytes are not a valid key of that type.
        """
        try:
            if key_type == "Ed25519":
                return cls(ed25519.Ed25519PublicKey.from_public_bytes(raw))
            if key_type == "P-256":
                return cls(ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw))
        except ValueError as exc:
            raise KeyFormatError(f"invalid {key_type} public key: {exc}") from exc
        raise KeyFormatError(f"unsupported raw key type {key_type!r}")

    @classmethod
    def from_multikey(cls, value: str) -> PublicKey:
        """Import a ``publicKeyMultibase`` value (Ed25519 ``0xed01`` or P-256 ``0x1200``).

        Raises:
            KeyFormatError: If the value is malformed or not a supported public key.
        """
        try:
            decoded = decode_multikey(value)
        except MultibaseError as exc:
            raise KeyFormatError(str(exc)) from exc
        if decoded.codec == ED25519_PUB:
            return cls.from_raw("Ed25519", decoded.key)
        if decoded.codec == P256_PUB:
            return cls.from_raw("P-256", decoded.key)
        raise KeyFormatError(f"multicodec 0x{decoded.codec:x} is not a public key")

    @classmethod
    def from_did_key(cls, did_url: str) -> PublicKey:
        """Import the key of a did:key DID or DID URL.

        Raises:
            KeyFormatError: If the DID is malformed or its key type unsupported.
        """
        try:
            did_key = parse_did_key(did_url)
        except DidError as exc:
            raise KeyFormatError(str(exc)) from exc
        return cls.from_raw(did_key.key_type, did_key.public_key)

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> PublicKey:
        """Import a public JWK: OKP/Ed25519, EC/P-256 or RSA.

        A JWK carrying private members (``d`` ...) is refused: public keys travel alone.

        Raises:
            KeyFormatError: If the JWK is malformed, private, or of an unsupported type.
        """
        if not isinstance(jwk, Mapping):
            raise KeyFormatError("JWK must be a JSON object")
        if _PRIVATE_JWK_MEMBERS & set(jwk):
            raise KeyFormatError("JWK contains private key material")
        kty = jwk.get("kty")
        try:
            if kty == "OKP":
                if jwk.get("crv") != "Ed25519":
                    raise KeyFormatError(f"unsupported OKP curve {jwk.get('crv')!r}")
                return cls.from_raw("Ed25519", b64url_decode(jwk["x"]))
            if kty == "EC":
                if jwk.get("crv") != "P-256":
                    raise KeyFormatError(f"unsupported EC curve {jwk.get('crv')!r}")
                x, y = b64url_decode(jwk["x"]), b64url_decode(jwk["y"])
                if len(x) != 32 or len(y) != 32:
                    raise KeyFormatError("P-256 JWK coordinates must be 32 bytes")
                return cls.from_raw("P-256", b"\x04" + x + y)
            if kty == "RSA":
                n = int.from_bytes(b64url_decode(jwk["n"]), "big")
                e = int.from_bytes(b64url_decode(jwk["e"]), "big")
                return cls(rsa.RSAPublicNumbers(e, n).public_key())
        except KeyError as exc:
            raise KeyFormatError(f"JWK is missing member {exc.args[0]!r}") from exc
        except (TypeError, ValueError) as exc:
            if isinstance(exc, KeyFormatError):
                raise
            raise KeyFormatError(f"invalid {kty} JWK: {exc}") from exc
        raise KeyFormatError(f"unsupported JWK kty {kty!r}")

    @classmethod
    def from_verification_method(cls, method: Mapping[str, Any]) -> PublicKey:
        """Import the key of a verification method object (Multikey or JsonWebKey).

        Raises:
            KeyFormatError: If it carries neither ``publicKeyMultibase`` nor ``publicKeyJwk``.
        """
        if isinstance(method.get("publicKeyMultibase"), str):
            return cls.from_multikey(method["publicKeyMultibase"])
        if isinstance(method.get("publicKeyJwk"), Mapping):
            return cls.from_jwk(method["publicKeyJwk"])
        raise KeyFormatError("verification method has no publicKeyMultibase or publicKeyJwk")

    # ----------------------------------------------------------------- dunder
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PublicKey):
            return NotImplemented
        return self.to_jwk() == other.to_jwk()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_jwk(), sort_keys=True))

    def __repr__(self) -> str:
        return f"PublicKey({self.algorithm}, thumbprint={self.jwk_thumbprint()})"
