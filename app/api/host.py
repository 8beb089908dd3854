"""The Open Badges 3.0 REST API (the Host role): the service description, OAuth 2.0
registration, tokens and revocation, and the participant's credentials and profile.

A thin adapter: Authlib's server and our rules are in app/host/oauth.py, what a client may
read and change in app/host/service.py. The consent page is in app/web/host.py. Errors are
OAuth 2.0 errors on the OAuth endpoints (what OAuth clients read) and Imsx_StatusInfo on the
resource endpoints (app/api/imsx.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from authlib.oauth2 import OAuth2Error
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from app.api.bodies import read_body
from app.api.imsx import status_response
from app.api.threads import in_network_thread, in_thread
from app.config import Settings
from app.deps import SessionFactory, SessionFactoryDep, SettingsDep
from app.errors import ValidationFailed
from app.host import API_PATH
from app.host import service as host
from app.host.oauth import HostJsonRequest, HostRequest, HostServer, protector
from app.host.scopes import (
    CREDENTIAL_READ,
    CREDENTIAL_UPSERT,
    PROFILE_READ,
    PROFILE_UPDATE,
    SPEC_DESCRIPTIONS,
)
from app.models import Participant
from app.models.base import utcnow
from app.net.fetch import SafeFetcher
from app.sharing.displayer import MAX_GIVEN_BYTES
from app.vc import strictjson
from app.vc.dates import parse_datetime
from app.verification.service import fetch_policy
from app.web.holder import TOKEN_LIMIT

PREFIX = API_PATH
router = APIRouter(prefix=PREFIX, include_in_schema=False)

MAX_JSON_BYTES = 32 * 1024  # a registration or a profile
MAX_FORM_BYTES = 8 * 1024
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def endpoint(settings: Settings, path: str) -> str:
    return f"{settings.public_origin}{PREFIX}{path}"


def _uri(settings: Settings, request: Request) -> str:
    """The request's address on BASE_URL (what Authlib checks to be https)."""
    query = request.url.query
    return settings.public_origin + request.url.path + (f"?{query}" if query else "")


def _oauth_answer(status: int, body: Any, headers: Any) -> Response:
    merged = {**dict(headers or []), **NO_STORE}
    merged.pop("Content-Type", None)
    return JSONResponse(body or {}, status_code=status, headers=merged)


async def _json_body(request: Request) -> Any:
    """The request's JSON body (a registration, a profile), or None when it is not JSON."""
    raw = await read_body(request, MAX_JSON_BYTES)
    try:
        return strictjson.loads(raw)
    except (ValueError, RecursionError):
        return None


async def _form(request: Request) -> list[tuple[str, str]]:
    raw = await read_body(request, MAX_FORM_BYTES)
    try:
        return parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return []


# --- discovery -------------------------------------------------------------------------------


@router.get("/discovery")
async def discovery(settings: SettingsDep) -> JSONResponse:
    """The service description: an OpenAPI 3.0 document naming the OAuth 2.0 endpoints."""
    scheme = {
        "type": "oauth2",
        "description": "OAuth 2.0 authorization code grant with PKCE (S256)",
        "x-imssf-registrationUrl": endpoint(settings, "/auth/register"),
        "flows": {
            "authorizationCode": {
                "authorizationUrl": endpoint(settings, "/auth/authorize"),
                "tokenUrl": endpoint(settings, "/auth/token"),
                "refreshUrl": endpoint(settings, "/auth/token"),
                "x-imssf-revocationUrl": endpoint(settings, "/auth/revoke"),
                "scopes": dict(SPEC_DESCRIPTIONS),
            }
        },
    }
    security = {"OAuth2ACG": list(SPEC_DESCRIPTIONS)}
    document = {
        "openapi": "3.0.1",
        "info": {
            "title": "Osaamispassi",
            "description": "Open Badges 3.0 API of Osaamispassi, the competence passport of "
            "Finnish work-workshops",
            "termsOfService": f"{settings.public_origin}/terms",
            "x-imssf-privacyPolicyUrl": f"{settings.public_origin}/privacy",
            "x-imssf-image": f"{settings.public_origin}/static/logo.svg",
            "version": "3.0",
        },
        "servers": [{"url": settings.public_origin + PREFIX}],
        "tags": [{"name": "OpenBadgeCredentials"}, {"name": "Discovery"}],
        "paths": {
            "/credentials": {
                "get": {"operationId": "getCredentials", "security": [security]},
                "post": {"operationId": "upsertCredential", "security": [security]},
            },
            "/profile": {
                "get": {"operationId": "getProfile", "security": [security]},
                "put": {"operationId": "putProfile", "security": [security]},
            },
            "/discovery": {"get": {"operationId": "getServiceDescription"}},
        },
        "components": {"securitySchemes": {"OAuth2ACG": scheme}},
    }
    return JSONResponse(document, headers={"Cache-Control": "public, max-age=300"})


# --- OAuth 2.0 -------------------------------------------------------------------------------


@router.post("/auth/register", dependencies=[TOKEN_LIMIT])
async def register(
    request: Request, sessions: SessionFactoryDep, settings: SettingsDep
) -> Response:
    """Dynamic client registration (RFC 7591): the client's id and secret, shown once."""
    data = await _json_body(request)
    if not isinstance(data, dict) or not data:
        return _oauth_answer(
            400,
            {
                "error": "invalid_client_metadata",
                "error_description": "Send the client's metadata as a JSON object.",
            },
            None,
        )
    oauth_request = HostJsonRequest(_uri(settings, request), request.headers, data)

    def work() -> tuple[int, Any, Any]:
        with sessions(writes=True) as session:
            server = HostServer(session, now=utcnow())
            answer: tuple[int, Any, Any] = server.create_endpoint_response(
                "client_registration", oauth_request
            )
            return answer

    return _oauth_answer(*await in_thread(work))


def _oauth_work(
    sessions: SessionFactory, oauth_request: HostRequest, endpoint_name: str | None
) -> tuple[int, Any, Any]:
    """The token or revocation endpoint in one writing transaction. A failed request writes
    nothing, except the revocation a replayed code or refresh token causes."""
    with sessions(writes=True) as session:
        server = HostServer(session, now=utcnow())
        if endpoint_name is None:
            answer: tuple[int, Any, Any] = server.create_token_response(oauth_request)
        else:
            answer = server.create_endpoint_response(endpoint_name, oauth_request)
        if answer[0] >= 400 and not server.replayed:
            session.rollback()
        return answer


@router.post("/auth/token", dependencies=[TOKEN_LIMIT])
async def token(request: Request, sessions: SessionFactoryDep, settings: SettingsDep) -> Response:
    """Tokens for an authorization code (with its PKCE verifier) or a refresh token."""
    oauth_request = HostRequest(
        "POST", _uri(settings, request), request.headers, await _form(request)
    )
    return _oauth_answer(*await in_thread(_oauth_work, sessions, oauth_request, None))


@router.post("/auth/revoke", dependencies=[TOKEN_LIMIT])
async def revoke(request: Request, sessions: SessionFactoryDep, settings: SettingsDep) -> Response:
    """Token revocation (RFC 7009): the token's whole chain ends."""
    oauth_request = HostRequest(
        "POST", _uri(settings, request), request.headers, await _form(request)
    )
    return _oauth_answer(*await in_thread(_oauth_work, sessions, oauth_request, "revocation"))


# --- the participant's credentials and profile ----------------------------------------------


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _holder(
    session: Session, settings: Settings, headers: Mapping[str, str], scope: str
) -> Participant:
    """The participant whose access token the request carries, when it holds `scope`."""
    now = utcnow()
    oauth_request = HostRequest("GET", settings.public_origin + PREFIX, headers, [])
    try:
        found = protector(session, now).validate_request([scope], oauth_request)
    except OAuth2Error as error:
        status = error.status_code or 401
        description = {
            401: "The access token is missing, expired or revoked.",
            403: "The access token does not allow this: it lacks the scope " + scope + ".",
        }.get(status, error.description or error.error)
        wanted = {k: v for k, v in error.get_headers() if k == "WWW-Authenticate"}
        raise _Refused(status_response(status, description, wanted)) from error
    participant = session.get(Participant, found.row.participant_id)
    if participant is None or participant.erased_at is not None:
        raise _Refused(status_response(401, "The access token is missing, expired or revoked."))
    return participant


@dataclass
class _Paging:
    limit: int
    offset: int
    since: datetime | None


def _paging(limit: str | None, offset: str | None, since: str | None) -> _Paging:
    def number(value: str | None, name: str, default: int, low: int, high: int) -> int:
        if value is None or value == "":
            return default
        if not value.isdigit() or not low <= int(value) <= high:
            raise _Refused(
                status_response(
                    400,
                    f"{name} must be a whole number from {low} to {high}.",
                    code_minor="invalid_query_parameter",
                )
            )
        return int(value)

    when = None
    if since:
        try:
            when = parse_datetime(since)
        except ValueError:
            raise _Refused(
                status_response(
                    400,
                    "since must be a date and time such as 2026-01-31T12:00:00Z.",
                    code_minor="invalid_query_parameter",
                )
            ) from None
    return _Paging(
        number(limit, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        number(offset, "offset", 0, 0, 10**9),
        when,
    )


def _links(settings: Settings, paging: _Paging, total: int, since: str | None) -> str:
    def url(offset: int) -> str:
        params: dict[str, Any] = {"limit": paging.limit, "offset": offset}
        if since:
            params["since"] = since
        return f"{endpoint(settings, '/credentials')}?{urlencode(params)}"

    last = max(0, (total - 1) // paging.limit * paging.limit)
    links = [f'<{url(0)}>; rel="first"', f'<{url(last)}>; rel="last"']
    if paging.offset + paging.limit < total:
        links.append(f'<{url(paging.offset + paging.limit)}>; rel="next"')
    if paging.offset > 0:
        links.append(f'<{url(max(0, paging.offset - paging.limit))}>; rel="prev"')
    return ", ".join(links)


@router.get("/credentials")
async def get_credentials(
    request: Request,
    sessions: SessionFactoryDep,
    settings: SettingsDep,
    limit: Annotated[str | None, Query(max_length=12)] = None,
    offset: Annotated[str | None, Query(max_length=12)] = None,
    since: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The participant's badges: ours that stand and those of other issuers she keeps."""

    def work() -> Response:
        paging = _paging(limit, offset, since)
        with sessions(read_only=True) as session:
            participant = _holder(session, settings, request.headers, CREDENTIAL_READ)
            page = host.credential_page(
                session, participant, limit=paging.limit, offset=paging.offset, since=paging.since
            )
        body: dict[str, Any] = {}
        if page.credential:
            body["credential"] = page.credential
        if page.compact_jws:
            body["compactJwsString"] = page.compact_jws
        headers = {
            "X-Total-Count": str(page.total),
            "Link": _links(settings, paging, page.total, since),
            "Cache-Control": "private, no-store",
        }
        return JSONResponse(body, headers=headers)

    return await _answer(work)


@router.post("/credentials")
async def upsert_credential(
    request: Request, sessions: SessionFactoryDep, settings: SettingsDep
) -> Response:
    """Add a badge from another service to the passport: verified, then kept as sent (201);
    the same badge again, or a newer one with its id, answers 200."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in (
        "application/json",
        "application/ld+json",
        "application/vc+ld+json",
        "text/plain",
    ):
        return status_response(
            415, "Send the badge as application/json, or as text/plain holding a compact JWS."
        )
    body = await read_body(request, MAX_GIVEN_BYTES)
    now = utcnow()

    def who() -> Participant:
        with sessions(read_only=True) as session:
            return _holder(session, settings, request.headers, CREDENTIAL_UPSERT)

    def prepare(participant: Participant) -> host.Upsert:
        with sessions(read_only=True) as session:
            return host.prepare_upsert(
                session,
                settings,
                participant,
                body,
                now=now,
                fetcher=SafeFetcher(fetch_policy(settings)),
            )

    def keep(upsert: host.Upsert) -> bool:
        with sessions(writes=True) as session:
            participant = _holder(session, settings, request.headers, CREDENTIAL_UPSERT)
            return host.keep_upsert(session, participant, upsert)

    try:
        participant = await in_thread(who)
        upsert = await in_network_thread(prepare, participant)
        created = await in_thread(keep, upsert)
    except _Refused as refused:
        return refused.response
    except ValidationFailed as exc:
        return status_response(400, exc.detail)
    media = "text/plain" if kind == "text/plain" else "application/json"
    return Response(body, status_code=201 if created else 200, media_type=media)


@router.get("/profile")
async def get_profile(
    request: Request, sessions: SessionFactoryDep, settings: SettingsDep
) -> Response:
    """The participant's profile: the id her badges name, her name, her e-mail address."""

    def work() -> Response:
        with sessions(read_only=True) as session:
            participant = _holder(session, settings, request.headers, PROFILE_READ)
            return JSONResponse(
                host.profile(participant), headers={"Cache-Control": "private, no-store"}
            )

    return await _answer(work)


@router.put("/profile")
async def put_profile(
    request: Request, sessions: SessionFactoryDep, settings: SettingsDep
) -> Response:
    """Change the participant's name; the answer is the profile as kept."""
    data = await _json_body(request)
    if data is None:
        return status_response(400, "Send the Profile as a JSON object.")

    def work() -> Response:
        with sessions(writes=True) as session:
            participant = _holder(session, settings, request.headers, PROFILE_UPDATE)
            try:
                host.update_profile(participant, data, now=utcnow())
            except ValidationFailed as exc:
                session.rollback()
                return status_response(400, exc.detail)
            session.add(participant)
            return JSONResponse(host.profile(participant))

    return await _answer(work)


async def _answer(work: Any) -> Response:
    try:
        response: Response = await in_thread(work)
    except _Refused as refused:
        return refused.response
    return response
