"""OpenID for Verifiable Credential Issuance 1.0 for a wallet offer: the pre-authorized code
flow (issue #15, docs/decisions/0019-wallets.md).

The wallet reads the credential offer (`credential_offer_uri`, holding the offer's token),
exchanges its pre-authorized code (and the participant's passport PIN as the transaction
code, where she has one) for an access token, gets a nonce, and asks for the credential with
a JWT proof of possession of its key over that nonce and our identifier. It receives the copy
of the badge bound to that key's did:key, as a Data Integrity credential (`ldp_vc`) or a
VC-JWT (`jwt_vc_json`). The offer is used then, once, as by the VC-API exchange.

Errors are OAuth's (`{"error": ..., "error_description": ...}`) with the specification's
codes: `invalid_grant`, `invalid_token`, `invalid_proof`, `invalid_nonce`, and so on.
Wallets written to draft 13 are answered too: a `c_nonce` in the token answer, a credential
request with `format` and a single `proof`, answered with a single `credential`.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.config import Settings
from app.credentials.service import HolderCopyFormat
from app.errors import AppError, NotFound, RateLimited
from app.keys import resolve_did_key
from app.keys.public import KeyFormatError, PublicKey
from app.models import Participant, WalletOffer
from app.passport.service import check_pin
from app.tokens import hash_token, new_token
from app.vc.contexts import VC_V2
from app.vc.errors import KeyResolutionError, VCError
from app.vc.jwt import decode_jws_unverified
from app.wallets import service as wallets

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
CONFIGURATIONS: dict[str, HolderCopyFormat] = {
    "OpenBadgeCredential_ldp_vc": "ldp_vc",
    "OpenBadgeCredential_jwt_vc_json": "jwt_vc_json",
}
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CREDENTIAL_TYPE = ["VerifiableCredential", "OpenBadgeCredential"]
ACCESS_TTL = timedelta(minutes=5)
NONCE_TTL = timedelta(minutes=5)
PROOF_TYPE = "openid4vci-proof+jwt"
# The proof's algorithm and the key type it needs (`alg: none`, HMAC and RSA are refused).
PROOF_ALGORITHMS = {"EdDSA": "Ed25519", "ES256": "ES256"}
# How far a proof's `iat` may be from our clock.
IAT_LEEWAY = timedelta(minutes=5)
MAX_FORM_VALUE = 200
TX_CODE_DESCRIPTION = "Osaamispassin PIN-koodi / PIN-koden till kompetenspasset / passport PIN"


class OAuthError(Exception):
    """An error answer in OAuth's form."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}

    def headers(self) -> dict[str, str]:
        headers = {"Cache-Control": "no-store"}
        if self.status == 401:
            headers["WWW-Authenticate"] = f'Bearer error="{self.error}"'
        return headers


def credential_endpoint(settings: Settings) -> str:
    return f"{settings.public_origin}/api/v1/openid4vci/credential"


def metadata(settings: Settings) -> dict[str, Any]:
    """The credential issuer metadata (`/.well-known/openid-credential-issuer`)."""
    display = [
        {"name": "Osaamispassi", "locale": "fi"},
        {"name": "Kompetenspass", "locale": "sv"},
        {"name": "Competence passport", "locale": "en"},
    ]
    badge_display = [
        {"name": "Osaamismerkki", "locale": "fi"},
        {"name": "Kompetensmärke", "locale": "sv"},
        {"name": "Open Badge", "locale": "en"},
    ]
    proof_types = {"jwt": {"proof_signing_alg_values_supported": sorted(PROOF_ALGORITHMS)}}
    common = {
        "cryptographic_binding_methods_supported": ["did:key", "jwk"],
        "proof_types_supported": proof_types,
        # 1.0 keeps the display under credential_metadata; draft 13 beside the format.
        "credential_metadata": {"display": badge_display},
        "display": badge_display,
    }
    return {
        "credential_issuer": settings.public_origin,
        "credential_endpoint": credential_endpoint(settings),
        "nonce_endpoint": f"{settings.public_origin}/api/v1/openid4vci/nonce",
        "display": display,
        "credential_configurations_supported": {
            "OpenBadgeCredential_ldp_vc": {
                "format": "ldp_vc",
                "credential_definition": {
                    "@context": [VC_V2, OB_CONTEXT],
                    "type": CREDENTIAL_TYPE,
                },
                "credential_signing_alg_values_supported": ["eddsa-rdfc-2022"],
                **common,
            },
            "OpenBadgeCredential_jwt_vc_json": {
                "format": "jwt_vc_json",
                "credential_definition": {"type": CREDENTIAL_TYPE},
                "credential_signing_alg_values_supported": ["ES256"],
                **common,
            },
        },
    }


def authorization_server_metadata(settings: Settings) -> dict[str, Any]:
    """The OAuth authorization server metadata (`/.well-known/oauth-authorization-server`):
    the credential issuer is its own authorization server, for the pre-authorized code."""
    return {
        "issuer": settings.public_origin,
        "token_endpoint": f"{settings.public_origin}/api/v1/openid4vci/token",
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "pre-authorized_grant_anonymous_access_supported": True,
        "token_endpoint_auth_methods_supported": ["none"],
        "response_types_supported": [],
    }


def _participant(session: Session, offer: WalletOffer) -> Participant:
    participant = session.get(Participant, offer.participant_id)
    if participant is None or participant.erased_at is not None:
        raise OAuthError("invalid_grant", "The offer is no longer valid.")
    return participant


def credential_offer(
    session: Session, settings: Settings, token: str, *, now: datetime
) -> dict[str, Any]:
    """The credential offer a `credential_offer_uri` names."""
    offer = wallets.find_offer(session, token, now=now)
    participant = session.get(Participant, offer.participant_id)
    if participant is None or participant.erased_at is not None:
        raise NotFound("No such wallet offer. Ask for a new code.")
    grant: dict[str, Any] = {"pre-authorized_code": wallets.pre_authorized_code(settings, token)}
    if participant.pin_hash is not None:
        grant["tx_code"] = {"input_mode": "numeric", "description": TX_CODE_DESCRIPTION}
    return {
        "credential_issuer": settings.public_origin,
        "credential_configuration_ids": list(CONFIGURATIONS),
        "grants": {PRE_AUTHORIZED_GRANT: grant},
    }


# --- nonces: stateless, signed with the service's secret; each used once (proof_nonce) -------


def _nonce_mac(settings: Settings, body: str) -> str:
    return wallets.keyed_digest(settings, "openid4vci-nonce", body)


def new_nonce(settings: Settings, *, now: datetime) -> str:
    """A fresh `c_nonce`: its expiry and randomness, signed, so that every instance can check
    it without storing it."""
    body = f"{int((now + NONCE_TTL).timestamp())}.{secrets.token_urlsafe(16)}"
    return f"{body}.{_nonce_mac(settings, body)}"


def nonce_answer(settings: Settings, *, now: datetime) -> dict[str, Any]:
    return {"c_nonce": new_nonce(settings, now=now)}


def _check_nonce(settings: Settings, nonce: Any, *, now: datetime) -> str:
    if not isinstance(nonce, str) or nonce.count(".") != 2 or len(nonce) > 200:
        raise OAuthError("invalid_nonce", "The proof has no nonce of this issuer; get a new one.")
    body, mac = nonce.rsplit(".", 1)
    expiry = body.split(".", 1)[0]
    if not hmac.compare_digest(mac, _nonce_mac(settings, body)) or not expiry.isdigit():
        raise OAuthError("invalid_nonce", "The proof's nonce was not given by this issuer.")
    if int(expiry) <= now.timestamp():
        raise OAuthError("invalid_nonce", "The proof's nonce has expired; get a new one.")
    return nonce


# --- the token endpoint ----------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def token(
    session: Session,
    settings: Settings,
    *,
    grant_type: str | None,
    code: str | None,
    tx_code: str | None,
    now: datetime,
) -> Answer:
    """Exchange a pre-authorized code (and the transaction code, where one is needed) for an
    access token. Errors are answers, not exceptions: a wrong transaction code's count is
    written with it (the passport's PIN lock, app.passport.service.check_pin)."""
    try:
        return Answer(200, _access_token(session, settings, grant_type, code, tx_code, now))
    except OAuthError as exc:
        return Answer(exc.status, exc.body())


def _access_token(
    session: Session,
    settings: Settings,
    grant_type: str | None,
    code: str | None,
    tx_code: str | None,
    now: datetime,
) -> dict[str, Any]:
    if any(len(value or "") > MAX_FORM_VALUE for value in (grant_type, code, tx_code)):
        raise OAuthError("invalid_request", f"A value is longer than {MAX_FORM_VALUE} characters.")
    if grant_type != PRE_AUTHORIZED_GRANT:
        raise OAuthError("unsupported_grant_type", f"Only {PRE_AUTHORIZED_GRANT} is supported.")
    if not code:
        raise OAuthError("invalid_request", "pre-authorized_code is missing.")
    offer = session.exec(
        select(WalletOffer).where(WalletOffer.pre_auth_code_hash == hash_token(code))
    ).first()
    if offer is None or offer.used_at is not None or offer.expires_at <= now:
        raise OAuthError("invalid_grant", "The code is unknown, used or expired.")
    if offer.access_token_hash is not None:
        raise OAuthError("invalid_grant", "The code has been used already.")
    participant = _participant(session, offer)
    if participant.pin_hash is not None:
        if not tx_code:
            raise OAuthError("invalid_request", "tx_code (the passport PIN) is missing.")
        try:
            checked = check_pin(session, participant=participant, pin=tx_code, now=now)
        except RateLimited as exc:
            raise OAuthError("invalid_grant", "Too many wrong codes. Wait and try again.") from exc
        if not checked.ok:
            raise OAuthError("invalid_grant", "The transaction code is wrong.")
    access = new_token()
    expires = min(now + ACCESS_TTL, offer.expires_at)
    # Once: a second exchange of the same code at the same moment (another instance) finds
    # the token set and gets nothing.
    exchanged = session.execute(
        update(WalletOffer)
        .where(col(WalletOffer.id) == offer.id)
        .where(col(WalletOffer.access_token_hash).is_(None))
        .values(access_token_hash=hash_token(access), access_expires_at=expires)
        .execution_options(synchronize_session=False)
    )
    if getattr(exchanged, "rowcount", 0) != 1:
        raise OAuthError("invalid_grant", "The code has been used already.")
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": int((expires - now).total_seconds()),
        # Draft 13 wallets take their first nonce from here.
        "c_nonce": new_nonce(settings, now=now),
        "c_nonce_expires_in": int(NONCE_TTL.total_seconds()),
    }


# --- the credential endpoint -------------------------------------------------------------------


def _offer_for_access_token(
    session: Session, access_token: str | None, now: datetime
) -> WalletOffer:
    invalid = OAuthError(
        "invalid_token", "The access token is missing, unknown or expired.", status=401
    )
    if not access_token:
        raise invalid
    offer = session.exec(
        select(WalletOffer).where(WalletOffer.access_token_hash == hash_token(access_token))
    ).first()
    if offer is None or offer.access_expires_at is None or offer.access_expires_at <= now:
        raise invalid
    if offer.used_at is not None:
        raise OAuthError("invalid_token", "The credential has been issued already.", status=401)
    return offer


def _requested_format(body: Mapping[str, Any]) -> HolderCopyFormat:
    configuration = body.get("credential_configuration_id")
    if configuration is not None:
        if configuration not in CONFIGURATIONS:
            raise OAuthError(
                "unknown_credential_configuration",
                f"Offered configurations: {', '.join(CONFIGURATIONS)}.",
            )
        return CONFIGURATIONS[configuration]
    fmt = body.get("format")  # draft 13
    if fmt in CONFIGURATIONS.values():
        return cast(HolderCopyFormat, fmt)
    if fmt is not None:
        raise OAuthError("unsupported_credential_format", "Offered formats: ldp_vc, jwt_vc_json.")
    raise OAuthError("invalid_credential_request", "Name the credential_configuration_id.")


def _proof_jwt(body: Mapping[str, Any]) -> str:
    proofs = body.get("proofs")
    if isinstance(proofs, Mapping):
        jwts = proofs.get("jwt")
        if not isinstance(jwts, list) or len(jwts) != 1 or not isinstance(jwts[0], str):
            raise OAuthError("invalid_proof", "Send exactly one proof in proofs.jwt.")
        if set(proofs) != {"jwt"}:
            raise OAuthError("invalid_proof", "Only the jwt proof type is supported.")
        return jwts[0]
    proof = body.get("proof")  # draft 13
    if isinstance(proof, Mapping) and proof.get("proof_type") == "jwt":
        jwt = proof.get("jwt")
        if isinstance(jwt, str):
            return jwt
    raise OAuthError("invalid_proof", "A proof of possession (proofs.jwt) is required.")


def _proof_key(header: Mapping[str, Any]) -> tuple[PublicKey, str]:
    """The key the proof names (a did:key URL in `kid`, or a public `jwk`) and the holder's
    did:key."""
    kid, jwk = header.get("kid"), header.get("jwk")
    if (kid is None) == (jwk is None):
        raise OAuthError("invalid_proof", "The proof must name its key by kid (did:key) or jwk.")
    try:
        if kid is not None:
            if not isinstance(kid, str) or not kid.startswith("did:key:") or "#" not in kid:
                raise OAuthError("invalid_proof", "The proof's kid must be a did:key URL.")
            return resolve_did_key(kid), kid.split("#", 1)[0]
        if not isinstance(jwk, Mapping):
            raise OAuthError("invalid_proof", "The proof's jwk is not a JSON object.")
        key = PublicKey.from_jwk(jwk)
        return key, key.to_did_key()
    except (KeyFormatError, KeyResolutionError) as exc:
        raise OAuthError("invalid_proof", f"The proof's key cannot be used: {exc}") from exc


def holder_from_proof(settings: Settings, proof: str, *, now: datetime) -> tuple[str, str]:
    """The holder's did:key and the nonce, once the JWT proves possession of the key.

    Checked: the `openid4vci-proof+jwt` type, an EdDSA or ES256 signature by the key the
    header names, our identifier as `aud`, an `iat` within minutes of now, and a nonce this
    service gave that has not expired (whether it was used before is the claim's to find).
    """
    try:
        jws = decode_jws_unverified(proof)
    except VCError as exc:
        raise OAuthError("invalid_proof", f"The proof is not a JWT: {exc}") from exc
    header, claims = jws.header, jws.payload
    if header.get("typ") != PROOF_TYPE:
        raise OAuthError("invalid_proof", f"The proof's typ must be {PROOF_TYPE}.")
    algorithm = header.get("alg")
    if algorithm not in PROOF_ALGORITHMS:
        raise OAuthError("invalid_proof", "The proof must be signed with EdDSA or ES256.")
    if "crit" in header or "x5c" in header:
        raise OAuthError("invalid_proof", "The proof's header has members this issuer refuses.")
    key, holder = _proof_key(header)
    if key.algorithm != PROOF_ALGORITHMS[algorithm]:
        raise OAuthError("invalid_proof", f"The proof's key is not a {algorithm} key.")
    if not key.verify(jws.signing_input, jws.signature):
        raise OAuthError("invalid_proof", "The proof's signature does not verify.")
    audience = claims.get("aud")
    if not (
        audience == settings.public_origin
        or (isinstance(audience, list) and settings.public_origin in audience)
    ):
        raise OAuthError("invalid_proof", f"The proof's aud must be {settings.public_origin}.")
    issued = claims.get("iat")
    if isinstance(issued, bool) or not isinstance(issued, int | float):
        raise OAuthError("invalid_proof", "The proof has no iat.")
    if abs(issued - now.timestamp()) > IAT_LEEWAY.total_seconds():
        raise OAuthError("invalid_proof", "The proof's iat is too far from the present.")
    return holder, _check_nonce(settings, claims.get("nonce"), now=now)


def prepare_credential(
    session: Session,
    settings: Settings,
    *,
    access_token: str | None,
    body: Any,
    now: datetime,
) -> wallets.Prepared:
    """The copy for the wallet that proved possession of its key, signed (read-only; the
    offer is used by `claim_credential`)."""
    offer = _offer_for_access_token(session, access_token, now)
    if not isinstance(body, Mapping):
        raise OAuthError("invalid_credential_request", "Send a JSON object.")
    fmt = _requested_format(body)
    holder, nonce = holder_from_proof(settings, _proof_jwt(body), now=now)
    try:
        prepared = wallets.prepare_copy(
            session,
            settings,
            offer,
            holder=holder,
            protocol=wallets.OPENID4VCI,
            now=now,
            fmt=fmt,
            proof_nonce=nonce,
        )
    except AppError as exc:  # revoked
        raise OAuthError("invalid_token", exc.detail, status=401) from exc
    if "proofs" in body or "credential_configuration_id" in body:
        answer: dict[str, Any] = {"credentials": [{"credential": prepared.copy}]}
    else:
        answer = {"credential": prepared.copy, "format": fmt}  # draft 13
    return replace(prepared, answer=answer)


def claim_credential(session: Session, prepared: wallets.Prepared, *, now: datetime) -> None:
    """Use the offer for the prepared copy (once), in OAuth's error terms."""
    try:
        wallets.claim(session, prepared, now=now)
    except wallets.NonceUsed as exc:
        raise OAuthError(
            "invalid_nonce", "The proof's nonce has been used; get a new one."
        ) from exc
    except AppError as exc:  # used meanwhile by another wallet
        raise OAuthError("invalid_token", exc.detail, status=401) from exc
