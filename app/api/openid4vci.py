"""OpenID for Verifiable Credential Issuance: the issuer's metadata and endpoints
(app/wallets/openid4vci.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response

from app.api.bodies import read_body
from app.api.problems import problem, problem_response
from app.api.threads import in_thread
from app.config import Settings
from app.deps import SessionDep, SessionFactory, SessionFactoryDep, SettingsDep
from app.models.base import utcnow
from app.vc import strictjson
from app.wallets import openid4vci
from app.web.holder import TOKEN_LIMIT, limit_locally

router = APIRouter(tags=["wallet"])

MAX_CREDENTIAL_REQUEST = 64 * 1024
NONCES_PER_MINUTE = 60
NO_STORE = {"Cache-Control": "no-store"}
METADATA_CACHE = {"Cache-Control": "public, max-age=300"}


RATE_LIMITED = problem_response(
    "Too many look-ups from this address",
    {
        "rate-limited": problem(
            429,
            "rate-limited",
            "Too many requests",
            "Too many attempts. Wait a minute and try again.",
        )
    },
)


def _oauth_error(error: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"example": {"error": error, "error_description": description}}
        },
    }


@router.get(
    "/.well-known/openid-credential-issuer",
    summary="OpenID4VCI credential issuer metadata",
    responses={200: {"content": {"application/json": {"example": {"credential_issuer": "…"}}}}},
)
def issuer_metadata(settings: SettingsDep) -> Response:
    """What a wallet needs to know to receive a badge by OpenID4VCI: the endpoints and the
    two credential configurations (`ldp_vc` with an eddsa-rdfc-2022 proof, `jwt_vc_json`
    signed with ES256), both bound to the wallet's key by a JWT proof of possession."""
    return JSONResponse(openid4vci.metadata(settings), headers=METADATA_CACHE)


@router.get(
    "/.well-known/oauth-authorization-server",
    summary="OAuth authorization server metadata (pre-authorized code)",
    responses={200: {"content": {"application/json": {"example": {"issuer": "…"}}}}},
)
def authorization_server_metadata(settings: SettingsDep) -> Response:
    """The token endpoint and the one grant it takes: the pre-authorized code."""
    return JSONResponse(openid4vci.authorization_server_metadata(settings), headers=METADATA_CACHE)


@router.get(
    "/api/v1/openid4vci/offers/{token}",
    dependencies=[TOKEN_LIMIT],
    summary="A credential offer (credential_offer_uri)",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "credential_issuer": "https://osaamispassi.example",
                        "credential_configuration_ids": list(openid4vci.CONFIGURATIONS),
                        "grants": {openid4vci.PRE_AUTHORIZED_GRANT: {"pre-authorized_code": "…"}},
                    }
                }
            }
        },
        404: problem_response(
            "No such offer",
            {"not-found": problem(404, "not-found", "Not found", "No such wallet offer.")},
        ),
        410: problem_response(
            "Used or expired",
            {
                "offer-expired": problem(
                    410,
                    "offer-expired",
                    "The offer has expired",
                    "This code has expired. Ask for a new one.",
                )
            },
        ),
        429: RATE_LIMITED,
    },
)
def credential_offer(token: str, session: SessionDep, settings: SettingsDep) -> Response:
    """The offer of one badge, valid for 15 minutes: the pre-authorized code, and the
    transaction code (the passport PIN) when the participant has one."""
    offer = openid4vci.credential_offer(session, settings, token, now=utcnow())
    return JSONResponse(offer, headers=NO_STORE)


@router.post(
    "/api/v1/openid4vci/token",
    dependencies=[TOKEN_LIMIT],
    summary="Token endpoint (pre-authorized code)",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {
                    "example": {
                        "grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                        "pre-authorized_code": "SplxlOBeZQQYbYS6WxSbIA",
                        "tx_code": "2580",
                    }
                }
            }
        }
    },
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {"access_token": "…", "token_type": "Bearer", "expires_in": 300}
                }
            }
        },
        400: _oauth_error("invalid_grant", "The code is unknown, used or expired."),
        429: RATE_LIMITED,
    },
)
def token(
    session: SessionDep,
    settings: SettingsDep,
    # Not bounded here: a value too long is OAuth's invalid_request (app.wallets.openid4vci).
    grant_type: Annotated[str | None, Form()] = None,
    pre_authorized_code: Annotated[str | None, Form(alias="pre-authorized_code")] = None,
    tx_code: Annotated[str | None, Form()] = None,
    user_pin: Annotated[str | None, Form()] = None,  # draft 13
) -> Response:
    """Exchange the offer's pre-authorized code (with `tx_code`, the passport PIN, when the
    offer asks for it) for an access token valid for 5 minutes, once."""
    answer = openid4vci.token(
        session,
        settings,
        grant_type=grant_type,
        code=pre_authorized_code,
        tx_code=tx_code or user_pin,
        now=utcnow(),
    )
    return JSONResponse(answer.body, status_code=answer.status, headers=NO_STORE)


@router.post(
    "/api/v1/openid4vci/nonce",
    summary="Nonce endpoint",
    responses={
        200: {"content": {"application/json": {"example": {"c_nonce": "…"}}}},
        429: RATE_LIMITED,
    },
)
def nonce(request: Request, settings: SettingsDep) -> Response:
    """A fresh nonce for the proof of possession (valid for 5 minutes, usable once)."""
    limit_locally(request, "openid4vci-nonce", NONCES_PER_MINUTE)
    return JSONResponse(openid4vci.nonce_answer(settings, now=utcnow()), headers=NO_STORE)


def _issue(
    sessions: SessionFactory, settings: Settings, access_token: str | None, body: Any
) -> tuple[int, dict[str, Any], dict[str, str]]:
    now = utcnow()
    try:
        # The proof and the copy's signature in a read-only transaction; only the claim
        # writes (app/wallets/service.Prepared).
        with sessions(read_only=True) as session:
            prepared = openid4vci.prepare_credential(
                session, settings, access_token=access_token, body=body, now=now
            )
        with sessions(writes=True) as session:
            openid4vci.claim_credential(session, prepared, now=now)
        return 200, prepared.answer, NO_STORE
    except openid4vci.OAuthError as exc:
        return exc.status, exc.body(), exc.headers()


@router.post(
    "/api/v1/openid4vci/credential",
    summary="Credential endpoint",
    responses={
        200: {
            "content": {
                "application/json": {"example": {"credentials": [{"credential": "eyJhbGciOi…"}]}}
            }
        },
        400: _oauth_error("invalid_proof", "The proof's signature does not verify."),
        401: _oauth_error("invalid_token", "The access token is missing, unknown or expired."),
    },
)
async def credential(request: Request, sessions: SessionFactoryDep) -> Response:
    """The badge bound to the wallet's key: send `credential_configuration_id` and one JWT
    proof of possession in `proofs.jwt` (`typ` `openid4vci-proof+jwt`, EdDSA or ES256, the
    key by `kid` (did:key) or `jwk`, `aud` this issuer, a fresh `nonce`), with the access
    token as a Bearer token. The offer is then used."""
    authorization = request.headers.get("authorization", "")
    access = authorization[7:].strip() if authorization.lower().startswith("bearer ") else None
    raw = await read_body(request, MAX_CREDENTIAL_REQUEST)
    try:
        body = strictjson.loads(raw) if raw.strip() else None
    except (ValueError, RecursionError):
        error = openid4vci.OAuthError("invalid_credential_request", "The body is not JSON.")
        return JSONResponse(error.body(), status_code=400, headers=error.headers())
    settings: Settings = request.app.state.settings
    status, answer, headers = await in_thread(_issue, sessions, settings, access, body)
    return JSONResponse(answer, status_code=status, headers=headers)
