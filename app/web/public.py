"""What a QR code opens: the public verification page of a share link (`/s/{token}`) or of a
badge its holder made public (`/credentials/{public_id}`), and their QR images.

A share page is made from what `sharing.pages.page_state` reads on every request and is kept
by the digest of those reads (decision 0016): it is sent again only while every input of
its verification and text reads the same, so a revoked badge is red on the very next
request; pages are sent with `Cache-Control: no-store`. Also cached is what cannot go
stale: the QR images (the same bytes for the same address, also memoised here) and the HTML
of a badge's criteria (a function of their text).
Machines asking for `application/vc+ld+json` or `application/ld+json` get the signed
credential from the same address. Every bad, expired or revoked token, and every badge that
is not public, is the same 404.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import lru_cache, partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import escape
from sqlmodel import Session

from app.api import examples
from app.api.public import NOT_FOUND
from app.api.threads import in_network_thread, in_thread, reads_wait_on_nothing
from app.config import Settings
from app.deps import SessionDep, SessionFactory, SessionFactoryDep, SettingsDep
from app.errors import AppError, NotFound
from app.i18n import current_language
from app.i18n import gettext as _
from app.loop_reads import LoopReads
from app.memo import PageCache
from app.models import Credential, ForeignBadge, Participant, ShareLink
from app.models.base import utcnow
from app.net.fetch import SafeFetcher
from app.passport import foreign
from app.sharing import pages as share_pages
from app.sharing import service as sharing
from app.sharing.qr import qr_svg
from app.sharing.view import build_public_view, shared_views
from app.verification.service import fetch_policy
from app.web.auth import STAFF_KEY
from app.web.holder import HOLDER_KEY, SHARE_LIMIT, TOKEN_LIMIT, count_token_lookup
from app.web.templating import format_datetime, templates

router = APIRouter()
CREDENTIAL_TYPES = ("application/vc+ld+json", "application/ld+json")
QR_MEDIA_TYPE = "image/svg+xml"
QR_CSP = "default-src 'none'; style-src 'unsafe-inline'"
# Where a kept share page says when it was checked: the time of each request goes there. A
# random text of this process, so that nothing written into a page can contain it.
CHECKED_AT = f"\u2063checked-{secrets.token_hex(16)}\u2063"


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


def _page(request: Request, context: dict[str, Any]) -> Response:
    """The verification page, never stored by browsers or proxies (it is checked live)."""
    response = templates.TemplateResponse(request, "public/credential.html", context)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Accept"
    return response


def _one_badge_page(request: Request, view: Any, **extra: Any) -> Response:
    """A page of one badge that is not kept (`extra`: what the page adds around it)."""
    return _page(
        request,
        {
            "views": [view],
            "passport": False,
            "holder_name": None,
            "og": _og([view], passport=False),
            "qr_src": None,
            **extra,
        },
    )


def check_page(request: Request, view: Any, values: dict[str, str]) -> Response:
    """A badge someone gave on "Check a badge" (app/web/check.py), shown as ours are, with
    what was given kept for checking it again."""
    return _one_badge_page(request, view, given=values)


def kept_foreign_page(request: Request, view: Any, badge: Any) -> Response:
    """A badge from another issuer kept in the signed-in participant's passport
    (app/web/passport.py), shown as ours are, with what she can do with it."""
    return _one_badge_page(request, view, kept=badge)


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
async def shared(
    token: str,
    request: Request,
    transactions: SessionFactoryDep,
    settings: SettingsDep,
    _limit: None = SHARE_LIMIT,
) -> Response:
    """A share link: one badge or the whole passport, verified now.

    The page is made from what `sharing.pages.page_state` reads, in one snapshot of the
    database; a page made before from exactly the same reads, for the same language and
    address and still within its dates, is sent again (decision 0016). On SQLite the reads
    and a kept page are served on the event loop (see app/api/threads.py), on PostgreSQL a
    kept page with one read on the event loop (app.loop_reads, decision 0021); making a page
    goes to a worker thread.
    """
    now = utcnow()
    reads: LoopReads | None = request.app.state.loop_reads
    try:
        answer = None
        if reads is not None:
            answer = await _kept_share_on_loop(request, reads, token, now=now)
        elif reads_wait_on_nothing(request.app.state.engine):
            answer = _share_answer(request, transactions, settings, token, now=now, make=False)
        if answer is None:
            answer = await in_thread(
                partial(_share_answer, request, transactions, settings, token, now=now)
            )
    except _ForeignBadgeLink as link:
        answer = await in_network_thread(
            partial(
                _foreign_share_answer,
                request,
                transactions,
                settings,
                link.state,
                link.token,
                now=now,
            )
        )
    except NotFound:
        # Only a look-up that found nothing counts toward the client's shared limit: that
        # is what guessing is made of (app/web/holder.py).
        await in_thread(_count_failed_lookup, request, transactions)
        raise
    assert answer is not None
    return answer


async def _kept_share_on_loop(
    request: Request, reads: LoopReads, token: str, *, now: datetime
) -> Response | None:
    """The kept page of a share link, checked with one read on the event loop; None where
    no page is kept for what was read, or the read could not be done now."""
    cache: PageCache = request.app.state.page_cache
    key = _page_key(request)
    if not _anonymous(request) or wants_credential(request) or not cache.holds(key):
        return None
    rows = await reads.rows(
        share_pages.state_read(reads.engine.dialect), **share_pages.state_params(token, now=now)
    )
    if rows is None:
        return None
    state = share_pages.state_of(rows)
    body = cache.get(key, state.fingerprint, now=now)
    return None if body is None else _page_answer(request, state, body, now=now)


def _anonymous(request: Request) -> bool:
    # Pages for a signed-in coach or participant would carry their own header: never kept
    # (none of the share route's dependencies signs anyone in, so none do today).
    return not (request.scope.get(STAFF_KEY) or request.scope.get(HOLDER_KEY))


def _page_key(request: Request) -> tuple[Any, ...]:
    """What a kept page is kept under, besides the digest of what it was made from (the
    address names the link)."""
    return (current_language.get(), request.url.path, request.url.query)


def _page_answer(
    request: Request, state: share_pages.PageState, body: str, *, now: datetime
) -> Response:
    request.app.state.open_counts.add(state.link_id)
    html = body.replace(CHECKED_AT, escape(format_datetime(now)))
    return HTMLResponse(html, headers={"Cache-Control": "no-store", "Vary": "Accept"})


class _ForeignBadgeLink(Exception):
    """The link shares a badge of another issuer (or a passport with such badges): verified
    where fetching may wait."""

    def __init__(self, state: share_pages.PageState, token: str) -> None:
        super().__init__("a link to another issuer's badge")
        self.state = state
        self.token = token


def _foreign_share_answer(
    request: Request,
    transactions: SessionFactory,
    settings: Settings,
    state: share_pages.PageState,
    token: str,
    *,
    now: datetime,
) -> Response:
    """A link to another issuer's badge in a passport (decision 0022), or to a passport that
    shows such badges: each as it was added, verified now, with its issuer's keys and status
    fetched where needed; never kept (what it is verified against is outside our
    database)."""
    if state.foreign_badge_id is None:
        if wants_credential(request):
            raise NotAcceptable(
                "This link shares several badges; open it in a browser to see them."
            )
        with transactions(read_only=True) as session:
            body, _ = _shared_page(request, session, settings, token, now=now, with_foreign=True)
        return _page_answer(request, state, body, now=now)
    with transactions(read_only=True) as session:
        link = session.get(ShareLink, state.link_id)
        badge = session.get(ForeignBadge, state.foreign_badge_id)
        if link is None or badge is None:
            raise NotFound("No such share link.")
        if wants_credential(request):
            if badge.media_type != "application/vc+ld+json":
                raise NotAcceptable("This badge is an image or a JWT; open it in a browser.")
            request.app.state.open_counts.add(state.link_id)
            return Response(badge.data, media_type=badge.media_type, headers={"Vary": "Accept"})
        participant = session.get(Participant, link.participant_id)
        holder_name = participant.display_name if participant and link.show_name else None
        view = foreign.foreign_view(
            session,
            settings,
            badge,
            now=now,
            fetcher=SafeFetcher(fetch_policy(settings)),
            holder_name=holder_name,
        )
    request.app.state.open_counts.add(state.link_id)
    return _one_badge_page(
        request, view, holder_name=holder_name, qr_src=f"{request.url.path}/qr.svg"
    )


def _count_failed_lookup(request: Request, transactions: SessionFactory) -> None:
    with transactions() as limit_session:
        count_token_lookup(request, limit_session, counted_here=True)


def _share_answer(
    request: Request,
    transactions: SessionFactory,
    settings: Settings,
    token: str,
    *,
    now: datetime,
    make: bool = True,
) -> Response | None:
    """The answer to a share link, or None when the page is not kept and not `make`."""
    anonymous = _anonymous(request)
    cache: PageCache = request.app.state.page_cache
    # One statement (sharing.pages): a snapshot of its own, no transaction needed.
    with transactions(read_only=True) as session:
        state = share_pages.page_state(session, token, now=now)
        if state.foreign_badge_id is not None or state.foreign_ids:
            raise _ForeignBadgeLink(state, token)
        if wants_credential(request):
            if state.passport:
                raise NotAcceptable(
                    "This link shares several badges; open it in a browser to see them."
                )
            credential = session.get(Credential, state.credential_ids[0])
            assert credential is not None
            request.app.state.open_counts.add(state.link_id)
            return _credential_json(credential)
        key = _page_key(request)
        body = cache.get(key, state.fingerprint, now=now) if anonymous else None
    if body is None:
        if not make:
            return None
        # Made and digested in one snapshot, so the page kept is the page of its digest.
        with transactions(snapshot=True) as session:
            state = share_pages.page_state(session, token, now=now)
            body, until = _shared_page(request, session, settings, token, now=now)
        if anonymous:
            cache.put(key, state.fingerprint, body, until=until)
    return _page_answer(request, state, body, now=now)


def _shared_page(
    request: Request,
    session: Session,
    settings: Settings,
    token: str,
    *,
    now: datetime,
    with_foreign: bool = False,
) -> tuple[str, datetime]:
    """The page of an opened share link, with CHECKED_AT where the time of the check goes,
    and the moment until which it reads the same (sharing.pages.valid_until). With
    `with_foreign`, a whole passport's badges from other issuers are verified too, fetching
    where needed."""
    opened = sharing.open_share(session, token, now=now)
    foreign_views = (
        foreign.passport_views(session, settings, opened.participant, now=now)
        if with_foreign and opened.link.show_foreign
        else []
    )
    views = shared_views(
        session,
        settings,
        credentials=opened.credentials,
        now=now,
        show_name=opened.show_name,
        show_evidence=opened.show_evidence,
        holder=opened.participant,
    )
    photos = (
        sharing.shared_photo_ids(session, opened.credentials, chosen_at=opened.link.created_at)
        if opened.show_photo
        else {}
    )
    response = _page(
        request,
        {
            "views": views,
            "foreign_views": foreign_views,
            "passport": opened.link.credential_id is None,
            "holder_name": opened.participant.display_name if opened.show_name else None,
            "og": _og(views, passport=opened.link.credential_id is None),
            "qr_src": f"/s/{token}/qr.svg",
            "photo_src": {cid: f"/s/{token}/photos/{pid}" for cid, pid in photos.items()},
            "checked_time": CHECKED_AT,  # no character that escaping changes
        },
    )
    until = share_pages.valid_until([c.json_ld for c in opened.credentials], now=now)
    return bytes(response.body).decode(), until


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
