"""The VC-API exchange by which a wallet app receives a badge (app/wallets/service.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from app.api.bodies import read_body
from app.api.problems import problem, problem_response
from app.api.threads import in_thread
from app.config import Settings
from app.deps import SessionFactory, SessionFactoryDep
from app.errors import BadRequest
from app.models.base import utcnow
from app.vc import strictjson
from app.wallets import service as wallets
from app.web.holder import TOKEN_LIMIT

router = APIRouter(prefix="/api/v1/wallet", tags=["wallet"])

# A DID authentication is a few kilobytes; a presentation holding credentials is not asked for.
MAX_EXCHANGE_BODY = 64 * 1024


def _parse(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return strictjson.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise BadRequest("The body is not valid JSON.") from exc


def _exchange(
    sessions: SessionFactory, settings: Settings, token: str, body: Any
) -> dict[str, Any]:
    now = utcnow()
    # The proof and the copy's signature in a read-only transaction; only the claim writes
    # (app/wallets/service.Prepared).
    with sessions(read_only=True) as session:
        step = wallets.exchange_step(session, settings, token=token, body=body, now=now)
    if isinstance(step, dict):
        return step
    with sessions(writes=True) as session:
        wallets.claim(session, step, now=now)
    return step.answer


EXAMPLE_REQUEST = {
    "verifiablePresentationRequest": {
        "query": [{"type": "DIDAuthentication", "acceptedMethods": [{"method": "key"}]}],
        "challenge": "kq3S0m1lXWc0V4RfsQ3w5m8pV5m2cJ8d",
        "domain": "https://osaamispassi.example",
        "interact": {
            "service": [
                {
                    "type": "VerifiableCredentialApiExchangeService",
                    "serviceEndpoint": "https://osaamispassi.example/api/v1/wallet/exchanges/…",
                }
            ]
        },
    }
}


# status, what it means, and an example: problem type, title, detail.
ERRORS = [
    (
        400,
        "Not JSON, or not a presentation",
        "invalid-presentation",
        "The presentation is not acceptable",
        "The presentation must name its holder by a did:key (the wallet's own key).",
    ),
    (
        401,
        "The presentation does not prove control of the holder's DID for this offer",
        "did-authentication-failed",
        "The wallet did not prove control of its DID",
        "The presentation is signed over another challenge.",
    ),
    (404, "No such offer", "not-found", "Not found", "No such wallet offer. Ask for a new code."),
    (
        409,
        "The badge has been revoked",
        "conflict",
        "Conflict",
        "The badge has been revoked; it cannot be added to a wallet.",
    ),
    (
        410,
        "The offer has been used or has expired",
        "offer-used",
        "The offer has been used",
        "This code has been used already. Ask for a new one.",
    ),
    (
        413,
        "The body is larger than 64 KiB",
        "payload-too-large",
        "Payload too large",
        "The request body may be at most 64 KiB.",
    ),
    (
        429,
        "Too many look-ups from this address",
        "rate-limited",
        "Too many requests",
        "Too many attempts. Wait a minute and try again.",
    ),
]


@router.post(
    "/exchanges/{token}",
    dependencies=[TOKEN_LIMIT],
    summary="Receive a badge in a wallet (VC-API exchange)",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {
                    "schema": {"type": "object"},
                    "examples": {
                        "start": {"summary": "Start the exchange", "value": {}},
                        "answer": {
                            "summary": "The wallet's DID authentication",
                            "value": {"verifiablePresentation": {"type": "VerifiablePresentation"}},
                        },
                    },
                }
            },
        }
    },
    responses={
        200: {
            "description": "The presentation request (DID authentication), or, for a "
            "presentation that proves the wallet's DID, a presentation holding the badge "
            "bound to that DID",
            "content": {"application/json": {"example": EXAMPLE_REQUEST}},
        },
        **{
            status: problem_response(description, {name: problem(status, name, title, detail)})
            for status, description, name, title, detail in ERRORS
        },
    },
)
async def exchange(token: str, request: Request, sessions: SessionFactoryDep) -> Response:
    """One step of a wallet's exchange for a badge offered to it (a one-time offer made on
    the participant's passport or the coach's tablet, valid for 15 minutes).

    Send `{}` to get the presentation request: a `DIDAuthentication` query with a challenge
    and this service's domain. Send `{"verifiablePresentation": ...}`, signed by the wallet's
    did:key for `authentication` over that challenge and domain (`Ed25519Signature2020` or
    `eddsa-rdfc-2022`), to receive `{"verifiablePresentation": ...}` with the badge: the
    same credential with `credentialSubject.id` set to the wallet's DID, newly signed, and
    revoked together with the badge. A wallet that came by its request link (the Learner
    Credential Wallet's `vc_request_url`) may send the signed presentation itself, without a
    domain, and receives the presentation itself. The offer is then used.
    """
    body = _parse(await read_body(request, MAX_EXCHANGE_BODY))
    settings: Settings = request.app.state.settings
    answer = await in_thread(_exchange, sessions, settings, token, body)
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})
