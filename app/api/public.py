"""Public documents that verifiers fetch: issuer profiles, DID documents, key sets, status
lists and badge images. No sign-in; nothing personal."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse
from sqlmodel import select

from app.api import examples
from app.api.problems import COMMON_EXAMPLES, problem, problem_response
from app.catalog.schemas import Badge as BadgeFile
from app.credentials import status as status_service
from app.deps import SessionDep, SettingsDep
from app.errors import NotFound
from app.models import BadgeDefinition, BadgeVersion, StatusList
from app.models.base import utcnow
from app.organizations import documents
from app.organizations.service import get_organization, published_keys
from app.web.templating import templates

router = APIRouter(tags=["public documents"])

# Verifiers asking for JSON get problem details; browsers get the HTML error page.
NOT_FOUND: dict[str, Any] = {
    **problem_response(
        "No such document",
        {"not-found": problem(404, "not-found", "Not found", "No organization 'eduroo'.")},
    ),
}
# Invalid path parameters: likewise problem details or the HTML error page.
INVALID: dict[str, Any] = {
    **problem_response(
        "A path parameter is not valid", {"validation-failed": COMMON_EXAMPLES[422]}
    ),
}
INVALID["content"] = {
    **INVALID["content"],
    "text/html": {"schema": {"type": "string"}, "example": examples.HTML},
}
NOT_FOUND["content"] = {
    **NOT_FOUND["content"],
    "text/html": {"schema": {"type": "string"}, "example": examples.HTML},
}

JSON_LD = "application/ld+json"
DID_JSON = "application/did+json"


def _wants_html(request: Request) -> bool:
    """Browsers list text/html before any JSON type; machines ask for JSON (or nothing)."""
    accept = request.headers.get("accept", "")
    html, json_pos = accept.find("text/html"), accept.find("json")
    return html >= 0 and (json_pos < 0 or html < json_pos)


def _json(body: dict[str, Any], media_type: str, max_age: int) -> JSONResponse:
    return JSONResponse(
        body,
        media_type=media_type,
        headers={"Cache-Control": f"public, max-age={max_age}", "Access-Control-Allow-Origin": "*"},
    )


@router.get(
    "/orgs/{slug}",
    response_class=Response,
    summary="Issuer profile (JSON-LD for machines, a page for people)",
    responses={
        200: {
            "description": "The Profile (JSON-LD), or a page when the client asks for HTML",
            "content": {
                JSON_LD: {"example": examples.PROFILE},
                "text/html": {"example": examples.HTML},
            },
        },
        404: NOT_FOUND,
    },
)
def issuer_profile(
    slug: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """The Open Badges Profile of an issuing organization."""
    org = get_organization(session, slug)
    if _wants_html(request):
        return templates.TemplateResponse(
            request,
            "public/issuer.html",
            {
                "org": org,
                "did": documents.issuer_profile_json(settings, org)["id"],
            },
        )
    return _json(documents.issuer_profile_json(settings, org), JSON_LD, 300)


@router.get(
    "/orgs/{slug}/did.json",
    response_class=Response,
    summary="did:web DID document of the issuer",
    responses={200: examples.json_example(DID_JSON, examples.DID_DOCUMENT), 404: NOT_FOUND},
)
def did_document(slug: str, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    """Active and retired keys; keys withdrawn as compromised are not listed."""
    org = get_organization(session, slug)
    return _json(documents.did_document(settings, org, published_keys(session, org)), DID_JSON, 300)


@router.get(
    "/orgs/{slug}/jwks.json",
    response_class=Response,
    summary="JSON Web Key Set of the issuer",
    responses={200: examples.json_example("application/json", examples.JWKS), 404: NOT_FOUND},
)
def jwks(slug: str, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    """The issuer's public keys as JWKs, `kid` = verification method id."""
    org = get_organization(session, slug)
    return _json(
        documents.jwks(settings, org, published_keys(session, org)), "application/json", 300
    )


@router.get(
    "/status/{list_id}",
    response_class=Response,
    summary="Bitstring status list credential",
    responses={
        200: examples.json_example("application/vc+ld+json", examples.STATUS_LIST),
        304: {"description": "Not modified (If-None-Match matched the ETag)"},
        404: NOT_FOUND,
    },
)
def status_list(
    list_id: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """The signed revocation list; cached briefly, revalidated by ETag."""
    row = session.exec(select(StatusList).where(StatusList.public_id == list_id)).first()
    if row is None:
        raise NotFound("No such status list.")
    etag = f'"{row.public_id}-{row.version}"'
    max_age = int(status_service.STATUS_LIST_MAX_AGE.total_seconds())
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={max_age}",
        "Access-Control-Allow-Origin": "*",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    body = status_service.status_list_credential(session, settings, row, utcnow())
    return JSONResponse(body, media_type="application/vc+ld+json", headers=headers)


# Revisions are small positive numbers; bounding them keeps absurd values (beyond a 64-bit
# integer) out of the query, where they failed with a 500.
Revision = Annotated[int, Path(ge=1, le=2_147_483_647)]


def _badge_version(session: SessionDep, slug: str, revision: int) -> BadgeVersion:
    row = session.exec(
        select(BadgeVersion)
        .join(BadgeDefinition)
        .where(BadgeDefinition.slug == slug)
        .where(BadgeVersion.revision == revision)
    ).first()
    if row is None:
        raise NotFound("No such badge version.")
    return row


@router.get(
    "/badges/{slug}/v{revision}/image.svg",
    response_class=Response,
    summary="Badge image",
    responses={
        200: examples.json_example("image/svg+xml", examples.SVG),
        404: NOT_FOUND,
        422: INVALID,
    },
)
def badge_image(slug: str, revision: Revision, session: SessionDep) -> Response:
    """The SVG image of one badge version (immutable)."""
    version = _badge_version(session, slug, revision)
    return Response(
        version.image_svg,
        media_type="image/svg+xml",
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        },
    )


@router.get(
    "/badges/{slug}/v{revision}",
    response_class=Response,
    summary="Badge definition version",
    responses={
        200: {
            "description": "A page for people; the definition as JSON for other clients",
            "content": {
                "text/html": {"example": examples.HTML},
                "application/json": {"example": {"slug": "puutyo-1", "version": "1.0"}},
            },
        },
        404: NOT_FOUND,
        422: INVALID,
    },
)
def badge_version_page(
    slug: str, revision: Revision, request: Request, session: SessionDep
) -> Response:
    """What the badge means: its criteria and the qualification requirements they map to."""
    version = _badge_version(session, slug, revision)
    badge = BadgeFile.model_validate(version.definition)
    if _wants_html(request):
        return templates.TemplateResponse(
            request,
            "public/badge.html",
            {
                "badge": badge,
                "version": version,
                "slug": slug,
            },
        )
    return _json(version.definition, "application/json", 3600)
