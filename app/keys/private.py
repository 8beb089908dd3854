"""Private keys: generation, import from test-vector formats, and a :class:`KeySigner`.

Private key objects never show key material in ``repr``/``str`` and refuse to be pickled
or copied, so they cannot end up in logs, sessions or templates by accident.
"""

from __future__ import annotations

from typing import Any, NoReturn

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from app.keys.public import KeyFormatError, PublicKey
from app.vc.errors import MultibaseError
from app.vc.multibase import ED25519_PRIV, P256_PRIV, decode_multikey

PrivateKeyObject = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

KEY_ALGORITHMS = ("Ed25519", "ES256", "RS256")
RSA_KEY_SIZES = (2048, 3072, 4096)


class PrivateKey:
    """A private key bound to one algorithm (``Ed25519``, ``ES256`` or ``RS256``).

    Attributes:
        algorithm: The signature algorithm.
        public_key: The matching :class:`~app.keys.public.PublicKey`.
    """

    __slots__ = ("__key", "algorithm", "public_key")

    def __init__(self, key: PrivateKeyObject) -> None:
        self.__key = key
        self.public_key = PublicKey(key.public_key())
        self.algorithm = self.public_key.algorithm

    def sign(self, data: bytes) -> bytes:
        """Sign ``data``; ES256 gives raw ``r || s`` (64 bytes), RS256 PKCS#1 v1.5 SHA-256.

        Args:
            data: Bytes to sign.

        Returns:
            The signature.
        """
        key = self.__key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(data)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def to_pkcs8_der(self) -> bytes:
        """Unencrypted PKCS#8 DER. Only :mod:`app.keys.storage` should call this."""
        return self.__key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @classmethod
    def from_pkcs8_der(cls, der: bytes) -> PrivateKey:
        """Load an unencrypted PKCS#8 DER private key.

        Raises:
            KeyFormatError: If the bytes are not a supported private key.
        """
        try:
            key = serialization.load_der_private_key(der, password=None)
        except (ValueError, TypeError) as exc:
            raise KeyFormatError("not a valid PKCS#8 private key") from exc
        if not isinstance(
            key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
        ):
            raise KeyFormatError(f"unsupported private key type {type(key).__name__}")
        return cls(key)

    def __repr__(self) -> str:
        return f"<PrivateKey {self.algorithm} (key material hidden)>"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("private keys cannot be pickled; use app.keys.encrypt_private_key")

    def __copy__(self) -> NoReturn:
        raise TypeError("private keys cannot be copied")

    def __deepcopy__(self, memo: Any) -> NoReturn:
        raise TypeError("private keys cannot be copied")


def generate_private_key(algorithm: str, *, rsa_bits: int = 3072) -> PrivateKey:
    """Generate a new private key.

    Args:
        algorithm: ``"Ed25519"`` (also ``"EdDSA"``), ``"ES256"`` (P-256) or ``"RS256"``.
        rsa_bits: RSA modulus size for RS256: 2048, 3072 (default) or 4096.

    Returns:
        The new key.

    Raises:
        ValueError: If the algorithm or RSA size is unsupported.
    """
    if algorithm in ("Ed25519", "EdDSA"):
        return PrivateKey(ed25519.Ed25519PrivateKey.generate())
    if algorithm == "ES256":
        return PrivateKey(ec.generate_private_key(ec.SECP256R1()))
    if algorithm == "RS256":
        if rsa_bits not in RSA_KEY_SIZES:
            raise ValueError(f"RSA key size must be one of {RSA_KEY_SIZES}")
        return PrivateKey(rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits))
    raise ValueError(f"unsupported key algorithm {algorithm!r}; use one of {KEY_ALGORITHMS}")


def ed25519_private_key_from_seed(seed: bytes) -> PrivateKey:
    """Build an Ed25519 key from its 32-byte seed (RFC 8032 private key).

    Raises:
        KeyFormatError: If the seed is not 32 bytes.
    """
    if len(seed) != 32:
        raise KeyFormatError("Ed25519 seed must be 32 bytes")
    return PrivateKey(ed25519.Ed25519PrivateKey.from_private_bytes(seed))


def ed25519_private_key_from_bytes(secret: bytes) -> PrivateKey:
    """Build an Ed25519 key from a 32-byte seed or a 64-byte ``seed || public key``.

    The 64-byte form (NaCl / the OB implementation guide) is checked: its public half must
    match the key derived from the seed.

    Raises:
        KeyFormatError: On a wrong length or a public half that does not match.
    """
    if len(secret) == 64:
        key = ed25519_private_key_from_seed(secret[:32])
        if key.public_key.raw_bytes() != secret[32:]:
            raise KeyFormatError("64-byte Ed25519 secret: public half does not match the seed")
        return key
    return ed25519_private_key_from_seed(secret)


def private_key_from_multibase(value: str) -> PrivateKey:
    """Import a ``secretKeyMultibase``/``privateKeyMultibase`` value.

    Supports Ed25519 (``0x1300``; 32-byte seed as in the W3C vectors, or 64-byte
    ``seed || public`` as in the OB implementation guide) and P-256 (``0x1306``).

    Raises:
        KeyFormatError: If the value is malformed or of an unsupported type.
    """
    try:
        decoded = decode_multikey(value)
    except MultibaseError as exc:
        raise KeyFormatError(str(exc)) from exc
    if decoded.codec == ED25519_PRIV:
        return ed25519_private_key_from_bytes(decoded.key)
    if decoded.codec == P256_PRIV:
        scalar = int.from_bytes(decoded.key, "big")
        try:
            return PrivateKey(ec.derive_private_key(scalar, ec.SECP256R1()))
        except ValueError as exc:
            raise KeyFormatError(f"invalid P-256 private key: {exc}") from exc
    raise KeyFormatError(f"multicodec 0x{decoded.codec:x} is not a supported private key")


class KeySigner:
    """A :class:`app.vc.types.Signer` backed by a :class:`PrivateKey`.

    Args:
        private_key: The key.
        key_id: Verification method id / JWS ``kid`` to publish with signatures.
        algorithm: Override the reported algorithm; only ``"EdDSA"`` for an Ed25519 key
            (the JOSE name) is allowed.

    Raises:
        ValueError: If ``algorithm`` does not fit the key.
    """

    __slots__ = ("_private_key", "algorithm", "key_id")

    def __init__(self, private_key: PrivateKey, key_id: str, *, algorithm: str | None = None):
        if (
            algorithm is not None
            and algorithm != private_key.algorithm
            and not (algorithm == "EdDSA" and private_key.algorithm == "Ed25519")
        ):
            raise ValueError(f"algorithm {algorithm} does not fit a {private_key.algorithm} key")
        self._private_key = private_key
        self.algorithm = algorithm or private_key.algorithm
        self.key_id = key_id

    @property
    def public_key(self) -> PublicKey:
        """The public key matching the signer."""
        return self._private_key.public_key

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` with the private key (see :meth:`PrivateKey.sign`)."""
        return self._private_key.sign(data)

    def __repr__(self) -> str:
        return f"<KeySigner {self.algorithm} {self.key_id}>"
