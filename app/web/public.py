"""What a QR code opens: the public verification page of a share link (`/s/{token}`) or of a
badge its holder made public (`/credentials/{public_id}`), and their QR images.

The verification result is computed on every request (app/sharing/view.py), so a revoked
badge is red at once; pages are sent with `Cache-Control: no-store`. What is cached is what
cannot go stale: the QR images (the same bytes for the same address, also memoised here) and
the HTML of a badge's criteria (a function of their text).
Machines asking for `application/vc+ld+json` or `application/ld+json` get the signed
credential from the same address. Every bad, expired or revoked token, and every badge that
is not public, is the same 404.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.api import examples
from app.api.public import NOT_FOUND
from app.deps import SessionDep, SettingsDep
from app.errors import AppError
from app.i18n import gettext as _
from app.models import Credential
from app.models.base import utcnow
from app.sharing import service as sharing
from app.sharing.qr import qr_svg
from app.sharing.view import build_public_view, shared_views
from app.web.holder import TOKEN_LIMIT
from app.web.markdown import narrative_html
from app.web.templating import templates

router = APIRouter()
CREDENTIAL_TYPES = ("application/vc+ld+json", "application/ld+json")
QR_MEDIA_TYPE = "image/svg+xml"
QR_CSP = "default-src 'none'; style-src 'unsafe-inline'"


class NotAcceptable(AppError):
    status_code = 406
    problem = "not-acceptable"
    title = "Not acceptable"


def wants_credential(request: Request) -> bool:
    """True when the client lists a credential JSON type before (or without) text/html."""
    accept = request.headers.get("accept", "").lower()
    positions = [accept.find(t) for t in CREDENTIAL_TYPES if t in accept]
    if not positions:
        return False
    html = accept.find("text/html")
    return html < 0 or min(positions) < html


def _credential_json(credential: Credential) -> JSONResponse:
    return JSONResponse(
        credential.json_ld,
        media_type="application/vc+ld+json",
        headers={"Cache-Control": "no-store", "Vary": "Accept"},
    )


@lru_cache(maxsize=512)
def _qr(url: str, title: str) -> str:
    return qr_svg(url, title=title)


# A badge's criteria are the same text in every credential of that badge: its HTML is a
# pure function of the text, rendered once (Markdown parsing was a tenth of a page's CPU).
_narrative = lru_cache(maxsize=1024)(narrative_html)


def _page(request: Request, context: dict[str, Any]) -> Response:
    """The verification page, never stored by browsers or proxies (it is checked live)."""
    response = templates.TemplateResponse(
        request, "public/credential.html", {**context, "narrative": _narrative}
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Accept"
    return response


def _qr_response(url: str, *, shared_cache: bool) -> Response:
    # The image depends only on the address (and the title's language), so it never changes:
    # browsers keep it. A share link's address is a secret, so only the browser caches it.
    scope = "public" if shared_cache else "private"
    return Response(
        _qr(url, _("QR code: link to the badge")),
        media_type=QR_MEDIA_TYPE,
        headers={
            "Cache-Control": f"{scope}, max-age=31536000, immutable",
            "Content-Security-Policy": QR_CSP,
            "Vary": "Accept-Language, Cookie",
        },
    )


def _og(views: list[Any], *, passport: bool) -> dict[str, str | None]:
    """Open Graph data for link previews: the badge, the person only when shared."""
    first = views[0] if views else None
    holder = first.holder_name if first else None
    if passport or first is None:
        title = _("Competence passport")
        description = ", ".join(v.name or "" for v in views)
        image = first.image_url if first else None
    else:
        title = first.name or _("Competence badge")
        description = first.description or ""
        image = first.image_url
    if holder:
        description = f"{holder} · {description}" if description else holder
    return {"title": title, "description": description[:300], "image": image}


@router.get("/s/{token}", response_class=HTMLResponse, include_in_schema=False)
def shared(
    token: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _limit: None = TOKEN_LIMIT,
) -> Response:
    """A share link: one badge or the whole passport, verified now."""
    now = utcnow()
    opened = sharing.open_share(session, token, now=now)
    assert opened.link.id is not None
    sharing.count_opening(request.app.state.bookkeeping, opened.link.id)
    passport = opened.link.credential_id is None
    if wants_credential(request):
        if passport:
            raise NotAcceptable(
                "This link shares several badges; open it in a browser to see them."
            )
        return _credential_json(opened.credentials[0])
    views = shared_views(
        session,
        settings,
        credentials=opened.credentials,
        now=now,
        show_name=opened.show_name,
        show_evidence=opened.show_evidence,
        holder=opened.participant,
    )
    photos = sharing.shared_photo_ids(session, opened.credentials) if opened.show_evidence else {}
    return _page(
        request,
        {
            "views": views,
            "passport": passport,
            "holder_name": opened.participant.display_name if opened.show_name else None,
            "og": _og(views, passport=passport),
            "qr_src": f"/s/{token}/qr.svg",
            "photo_src": {cid: f"/s/{token}/photos/{pid}" for cid, pid in photos.items()},
        },
    )


@router.get("/s/{token}/photos/{photo_id}", include_in_schema=False)
def shared_photo(
    token: str, photo_id: str, session: SessionDep, _limit: None = TOKEN_LIMIT
) -> Response:
    """The evidence photo of a shared badge, when the participant chose to show evidence."""
    photo = sharing.shared_photo(session, token, photo_id, now=utcnow())
    return Response(
        photo.data,
        media_type=photo.content_type,
        headers={"Cache-Control": "private, no-store", "Content-Security-Policy": QR_CSP},
    )


@router.get("/s/{token}/qr.svg", include_in_schema=False)
def shared_qr(
    token: str, session: SessionDep, settings: SettingsDep, _limit: None = TOKEN_LIMIT
) -> Response:
    """The QR code of a working share link (404 for any other token)."""
    sharing.active_share_link(session, token, now=utcnow())
    return _qr_response(sharing.share_url(settings, token), shared_cache=False)


@router.get(
    "/credentials/{public_id}",
    response_class=Response,
    summary="A badge its holder has made public (a page for people, the credential for machines)",
    responses={
        200: {
            "description": "The verification page, or the signed credential when asked for",
            "content": {
                "text/html": {"example": examples.HTML},
                "application/vc+ld+json": {"example": examples.CREDENTIAL},
                "application/ld+json": {"example": examples.CREDENTIAL},
            },
        },
        404: NOT_FOUND,
    },
)
def public_credential(
    public_id: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """The signed credential (`Accept: application/vc+ld+json` or `application/ld+json`) or
    its verification page. Only badges their holder made public; others are 404."""
    credential = sharing.public_credential(session, public_id)
    if wants_credential(request):
        return _credential_json(credential)
    now = utcnow()
    view = build_public_view(
        session, settings, credential=credential, now=now, show_name=True, show_evidence=False
    )
    return _page(
        request,
        {
            "views": [view],
            "passport": False,
            "holder_name": view.holder_name,
            "og": _og([view], passport=False),
            "qr_src": f"/credentials/{public_id}/qr.svg",
        },
    )


@router.get(
    "/credentials/{public_id}/qr.svg",
    response_class=Response,
    summary="QR code of a public badge's address",
    responses={200: examples.json_example(QR_MEDIA_TYPE, examples.QR_SVG), 404: NOT_FOUND},
)
def public_credential_qr(public_id: str, session: SessionDep, settings: SettingsDep) -> Response:
    """An SVG QR code of /credentials/{public_id} (only for a public badge)."""
    sharing.public_credential(session, public_id)
    return _qr_response(f"{settings.public_origin}/credentials/{public_id}", shared_cache=True)
