"""VC-JWT for Open Badges 3.0: compact JWS over the credential.

Why JWS is implemented here instead of with PyJWT: the core must not import
``cryptography`` (PyJWT needs ``cryptography`` key objects), and the security decisions
that matter are ours to make explicitly, in one place, before any key is touched:

* strict compact parsing (three canonical base64url segments, JSON objects without
  duplicate keys, no ``crit``/``b64``);
* an algorithm allow-list of ``RS256``, ``ES256`` and ``EdDSA``: ``none`` and every
  ``HS*`` are refused whatever the caller passes;
* the key must be of the algorithm's type (``PublicKey.algorithm``), so an RSA public key
  can never be used as an HMAC secret or an ES256 key (no key confusion);
* the registered claims must agree with the credential.

Signing uses the injected :class:`~app.vc.types.Signer`; ES256 signatures are raw
``r || s`` as JWS requires.

Header: exactly ``{"alg", "kid", "typ": "JWT"}``. Payload: the credential plus ``iss``
(issuer id), ``jti`` (credential id), ``nbf`` (``validFrom``), ``sub``
(``credentialSubject.id``) and ``exp`` (``validUntil``). For verification, both this
"flat" form (used by the examples rendered in the OB 3.0 specification, which also carry
the key as a ``jwk`` header and omit ``nbf``) and the VC-JWT 1.1 form with the credential
under a ``vc`` claim (used by the 1EdTech validator's ``simple.jwt``) are accepted.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.vc import strictjson
from app.vc.dates import to_numeric_date
from app.vc.errors import JwtError, KeyResolutionError
from app.vc.strictjson import StrictJsonError
from app.vc.types import JsonObject, PublicKey, PublicKeyResolver, Signer

JWT_ALGORITHMS = frozenset({"RS256", "ES256", "EdDSA"})
"""The only JWS algorithms ever accepted."""

KEY_ALGORITHM_FOR_JWS = {"RS256": "RS256", "ES256": "ES256", "EdDSA": "Ed25519"}
"""JWS ``alg`` -> the ``PublicKey.algorithm`` a key must have."""

JWT_CLAIMS = ("iss", "jti", "nbf", "sub", "exp", "iat", "aud")
"""Registered claims removed from a flat payload to recover the credential."""

EmbeddedJwkResolver = Callable[[Mapping[str, Any], str | None], PublicKey]
"""``(header jwk, claimed issuer id) -> PublicKey``; raise :class:`KeyResolutionError`
if the key is not trusted for that issuer."""

_SEGMENT_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_MAX_TOKEN_CHARS = 1_000_000


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(segment: str, what: str) -> bytes:
    if not _SEGMENT_RE.match(segment):
        raise JwtError(f"{what} is not base64url")
    try:
        data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise JwtError(f"{what} is not base64url: {exc}") from exc
    if _b64url_encode(data) != segment:
        raise JwtError(f"{what} is not canonical base64url")
    return data


def _json_object(data: bytes, what: str) -> JsonObject:
    try:
        value = strictjson.loads(data.decode("utf-8"))
    except StrictJsonError as exc:
        raise JwtError(f"{what}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise JwtError(f"{what} is not UTF-8") from exc
    except ValueError as exc:
        raise JwtError(f"{what} is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise JwtError(f"{what} is not a JSON object")
    return value


def _json_bytes(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def issuer_id(credential: Mapping[str, Any]) -> str | None:
    """Return the credential's issuer id (``issuer`` as a string or ``issuer.id``).

    Args:
        credential: The credential.

    Returns:
        The id, or ``None`` if absent.
    """
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, Mapping) and isinstance(issuer.get("id"), str):
        return str(issuer["id"])
    return None


def subject_id(credential: Mapping[str, Any]) -> str | None:
    """Return ``credentialSubject.id`` when there is exactly one subject with an id.

    Args:
        credential: The credential.

    Returns:
        The id, or ``None``.
    """
    subject = credential.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    if isinstance(subject, Mapping) and isinstance(subject.get("id"), str):
        return str(subject["id"])
    return None


def _valid_from(credential: Mapping[str, Any]) -> tuple[str, Any]:
    if "validFrom" not in credential and "issuanceDate" in credential:  # VCDM 1.1
        return "issuanceDate", credential["issuanceDate"]
    return "validFrom", credential.get("validFrom")


def _valid_until(credential: Mapping[str, Any]) -> tuple[str, Any]:
    if "validUntil" not in credential and "expirationDate" in credential:  # VCDM 1.1
        return "expirationDate", credential["expirationDate"]
    return "validUntil", credential.get("validUntil")


def jwt_claims_for(credential: Mapping[str, Any]) -> JsonObject:
    """Compute the registered claims OB 3.0 requires for a credential.

    Args:
        credential: The credential (VCDM 2.0: ``validFrom``; 1.1 ``issuanceDate`` accepted).

    Returns:
        ``iss``, ``nbf`` and, when present in the credential, ``jti``, ``sub``, ``exp``.

    Raises:
        JwtError: If the issuer id or ``validFrom`` is missing or a date is malformed.
    """
    claims: JsonObject = {}
    iss = issuer_id(credential)
    if iss is None:
        raise JwtError("credential has no issuer id")
    claims["iss"] = iss
    if isinstance(credential.get("id"), str):
        claims["jti"] = credential["id"]
    _, start = _valid_from(credential)
    if start is None:
        raise JwtError("credential has no validFrom")
    try:
        claims["nbf"] = to_numeric_date(start)
        sub = subject_id(credential)
        if sub is not None:
            claims["sub"] = sub
        _, end = _valid_until(credential)
        if end is not None:
            claims["exp"] = to_numeric_date(end)
    except ValueError as exc:
        raise JwtError(f"credential date: {exc}") from exc
    return claims


def encode_vc_jwt(credential: Mapping[str, Any], *, signer: Signer) -> str:
    """Sign a credential as an OB 3.0 VC-JWT (compact JWS).

    Args:
        credential: The unsigned credential (must have ``issuer`` and ``validFrom``).
        signer: An RS256, ES256 or Ed25519/EdDSA signer; its ``key_id`` becomes ``kid``.

    Returns:
        The compact JWS ``header.payload.signature``.

    Raises:
        JwtError: If the signer's algorithm is not allowed, the credential lacks required
            fields, already carries a JWT claim name, or the signature has a wrong size.
    """
    alg = "EdDSA" if signer.algorithm in ("Ed25519", "EdDSA") else signer.algorithm
    if alg not in JWT_ALGORITHMS:
        raise JwtError(f"signer algorithm {signer.algorithm!r} is not allowed for VC-JWT")
    if not signer.key_id:
        raise JwtError("signer has no key id for the JWT kid header")
    clash = [name for name in JWT_CLAIMS if name in credential]
    if clash:
        raise JwtError(f"credential already has JWT claim member(s): {', '.join(clash)}")
    payload = dict(credential)
    payload.update(jwt_claims_for(credential))
    header = {"alg": alg, "kid": signer.key_id, "typ": "JWT"}
    signing_input = f"{_b64url_encode(_json_bytes(header))}.{_b64url_encode(_json_bytes(payload))}"
    signature = signer.sign(signing_input.encode("ascii"))
    if alg in ("ES256", "EdDSA") and len(signature) != 64:
        raise JwtError(f"{alg} signature must be 64 bytes (raw r||s for ES256)")
    return f"{signing_input}.{_b64url_encode(signature)}"


@dataclass(frozen=True)
class DecodedJws:
    """A strictly parsed, *unverified* compact JWS.

    Attributes:
        header: The protected header.
        payload: The payload object.
        signing_input: ASCII bytes ``header.payload`` that were signed.
        signature: The signature bytes.
    """

    header: JsonObject
    payload: JsonObject
    signing_input: bytes
    signature: bytes


def decode_jws_unverified(token: str) -> DecodedJws:
    """Parse a compact JWS strictly, without verifying it.

    Args:
        token: ``header.payload.signature``.

    Returns:
        The parts.

    Raises:
        JwtError: If the token is malformed in any way.
    """
    if not isinstance(token, str):
        raise JwtError("token must be a string")
    if len(token) > _MAX_TOKEN_CHARS:
        raise JwtError("token is too large")
    parts = token.split(".")
    if len(parts) != 3:
        raise JwtError(f"compact JWS must have 3 parts, got {len(parts)}")
    header_b64, payload_b64, signature_b64 = parts
    if not signature_b64:
        raise JwtError("JWS has an empty signature (unsecured JWS is not accepted)")
    header = _json_object(_b64url_decode(header_b64, "header"), "header")
    payload = _json_object(_b64url_decode(payload_b64, "payload"), "payload")
    signature = _b64url_decode(signature_b64, "signature")
    return DecodedJws(header, payload, f"{header_b64}.{payload_b64}".encode("ascii"), signature)


@dataclass(frozen=True)
class JwtVerificationResult:
    """The outcome of :func:`verify_vc_jwt`.

    Attributes:
        verified: ``True`` when the signature, algorithm, key and claims all check out.
        credential: The credential (only when the signature verified).
        header: The JWS header (when parsable).
        payload: The JWT payload (when parsable).
        errors: Reasons for failure.
        warnings: Deviations tolerated (e.g. missing ``nbf``).
        key_source: ``"kid"`` or ``"jwk"``: where the key came from.
    """

    verified: bool
    credential: JsonObject | None = None
    header: JsonObject | None = None
    payload: JsonObject | None = None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)
    key_source: str | None = None


def _credential_from_payload(payload: Mapping[str, Any]) -> tuple[JsonObject, list[str]]:
    notes: list[str] = []
    vc = payload.get("vc")
    if vc is not None:
        if not isinstance(vc, Mapping):
            raise JwtError("'vc' claim is not an object")
        credential = json.loads(json.dumps(vc))
        # VC-JWT 1.1: members may be carried only by the registered claims.
        if "issuer" not in credential and isinstance(payload.get("iss"), str):
            credential["issuer"] = payload["iss"]
            notes.append("issuer taken from iss")
        if "id" not in credential and isinstance(payload.get("jti"), str):
            credential["id"] = payload["jti"]
            notes.append("id taken from jti")
        subject = credential.get("credentialSubject")
        if (
            isinstance(subject, dict)
            and "id" not in subject
            and isinstance(payload.get("sub"), str)
        ):
            subject["id"] = payload["sub"]
            notes.append("credentialSubject.id taken from sub")
        return credential, notes
    if "@context" not in payload:
        raise JwtError("payload is neither a credential nor has a 'vc' claim")
    return {k: v for k, v in payload.items() if k not in JWT_CLAIMS}, notes


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_claims(
    payload: Mapping[str, Any],
    credential: Mapping[str, Any],
    *,
    require_claims: bool,
    now: datetime | None,
    leeway_seconds: int,
) -> tuple[list[str], list[str]]:
    errors: list[str] = []
    warnings: list[str] = []
    missing = errors if require_claims else warnings

    def compare(claim: str, expected: Any, label: str) -> None:
        if claim in payload:
            if expected is None:
                errors.append(f"{claim} is present but the credential has no {label}")
            elif payload[claim] != expected:
                errors.append(f"{claim} {payload[claim]!r} does not match {label} {expected!r}")
        elif expected is not None:
            missing.append(f"{claim} claim is missing ({label} is {expected!r})")

    compare("iss", issuer_id(credential), "issuer id")
    compare("jti", credential.get("id"), "credential id")
    compare("sub", subject_id(credential), "credentialSubject.id")

    for claim, (label, text) in (
        ("nbf", _valid_from(credential)),
        ("exp", _valid_until(credential)),
    ):
        expected: int | None = None
        if text is not None:
            try:
                expected = to_numeric_date(text)
            except ValueError as exc:
                errors.append(f"{label}: {exc}")
                continue
        if claim in payload:
            value = payload[claim]
            if not _is_number(value):
                errors.append(f"{claim} is not a NumericDate")
                continue
            if expected is None:
                errors.append(f"{claim} is present but the credential has no {label}")
            elif math.floor(value) != expected:
                errors.append(f"{claim} {value} does not match {label} {text} ({expected})")
        elif expected is not None:
            missing.append(f"{claim} claim is missing ({label} is {text})")
        if now is not None and expected is not None:
            moment = now.timestamp()
            if claim == "nbf" and expected > moment + leeway_seconds:
                errors.append(f"not valid before {text}")
            if claim == "exp" and expected <= moment - leeway_seconds:
                errors.append(f"expired at {text}")
    return errors, warnings


def verify_vc_jwt(
    token: str,
    *,
    public_key_resolver: PublicKeyResolver | None = None,
    embedded_jwk_resolver: EmbeddedJwkResolver | None = None,
    allowed_algorithms: Iterable[str] = JWT_ALGORITHMS,
    require_claims: bool = False,
    now: datetime | None = None,
    leeway_seconds: int = 0,
) -> JwtVerificationResult:
    """Verify an OB 3.0 VC-JWT. Never raises for a bad token.

    The key comes from ``public_key_resolver(kid)`` when the header has a ``kid``, else
    from ``embedded_jwk_resolver(jwk, claimed_issuer)`` when it has a ``jwk``. A header
    key proves only integrity: the embedded-jwk resolver must decide whether that key
    belongs to the claimed issuer.

    Args:
        token: The compact JWS.
        public_key_resolver: Resolves ``kid`` to a key.
        embedded_jwk_resolver: Accepts (or refuses) a key given in the ``jwk`` header.
        allowed_algorithms: Subset of :data:`JWT_ALGORITHMS` to accept; anything outside
            :data:`JWT_ALGORITHMS` is ignored.
        require_claims: Treat a missing ``iss``/``jti``/``sub``/``nbf``/``exp`` as an
            error rather than a warning.
        now: If given, check ``nbf``/``exp`` (from the credential dates) against it.
        leeway_seconds: Clock skew allowed for ``now``.

    Returns:
        The verification result.
    """
    allowed = JWT_ALGORITHMS & frozenset(allowed_algorithms)
    try:
        jws = decode_jws_unverified(token)
    except JwtError as exc:
        return JwtVerificationResult(False, errors=(f"malformed JWT: {exc}",))
    header, payload = jws.header, jws.payload

    def fail(*reasons: str, key_source: str | None = None) -> JwtVerificationResult:
        return JwtVerificationResult(
            False, None, header, payload, tuple(reasons), key_source=key_source
        )

    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in allowed:
        return fail(f"algorithm {alg!r} is not allowed (allowed: {', '.join(sorted(allowed))})")
    if "crit" in header or "b64" in header:
        return fail("JWS 'crit'/'b64' header parameters are not supported")
    warnings: list[str] = []
    typ = header.get("typ")
    if typ is None:
        warnings.append("typ header is missing")
    elif typ != "JWT":
        return fail(f"typ header is {typ!r}, expected 'JWT'")

    claimed_issuer = payload.get("iss") if isinstance(payload.get("iss"), str) else None
    kid, jwk = header.get("kid"), header.get("jwk")
    key: PublicKey
    try:
        if isinstance(kid, str) and public_key_resolver is not None:
            key_source = "kid"
            key = public_key_resolver(kid)
        elif isinstance(jwk, Mapping) and embedded_jwk_resolver is not None:
            key_source = "jwk"
            if "alg" in jwk and jwk["alg"] != alg:
                return fail(f"jwk alg {jwk['alg']!r} does not match header alg {alg!r}")
            if "use" in jwk and jwk["use"] != "sig":
                return fail(f"jwk use {jwk['use']!r} is not 'sig'")
            key = embedded_jwk_resolver(jwk, claimed_issuer)
        else:
            return fail("no usable key: need a 'kid' with a key resolver or a trusted 'jwk'")
    except KeyResolutionError as exc:
        return fail(f"cannot resolve key: {exc}")
    except ValueError as exc:  # e.g. a malformed or private JWK
        return fail(f"invalid key: {exc}")

    if key.algorithm != KEY_ALGORITHM_FOR_JWS[alg]:
        return fail(
            f"key type mismatch: header alg {alg} needs a {KEY_ALGORITHM_FOR_JWS[alg]} key, "
            f"the resolved key is {key.algorithm}",
            key_source=key_source,
        )
    if not key.verify(jws.signing_input, jws.signature):
        return fail("signature does not verify", key_source=key_source)

    try:
        credential, notes = _credential_from_payload(payload)
    except JwtError as exc:
        return fail(str(exc), key_source=key_source)
    errors, claim_warnings = _check_claims(
        payload, credential, require_claims=require_claims, now=now, leeway_seconds=leeway_seconds
    )
    warnings += claim_warnings + notes
    return JwtVerificationResult(
        not errors,
        credential if not errors else None,
        header,
        payload,
        tuple(errors),
        tuple(warnings),
        key_source,
    )
