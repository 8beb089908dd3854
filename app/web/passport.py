"""The participant's passport: opening it by link (and PIN), the badges, sharing, downloads,
the printable passport, the PIN and the participant's data rights.

Every page takes `HolderDep` and looks badges and links up through the sharing service,
which answers 404 for anything that is not the signed-in participant's own.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from app.api.threads import in_network_thread, in_thread
from app.auth.sessions import add_flash, end_session
from app.awards.queries import EarnedBadge
from app.config import Settings
from app.deps import (
    SAFE_METHODS,
    SessionDep,
    SessionFactory,
    SessionFactoryDep,
    SettingsDep,
    writes_on_get,
)
from app.errors import NotFound, ValidationFailed
from app.host import access as host_access
from app.i18n import gettext as _
from app.i18n import pick
from app.models import ForeignBadge, Organization, WebSession
from app.models.base import utcnow
from app.net.fetch import SafeFetcher
from app.participants.privacy import erase_participant, export_participant_data
from app.passport import foreign
from app.passport import service as passport
from app.passport.downloads import EXTENSIONS, download_clr, download_credential
from app.passport.progress import passport_groups, qualification_progress, shown_badges
from app.sharing import service as sharing
from app.sharing.displayer import MAX_GIVEN_BYTES, MAX_URL_CHARS, GivenInvalid
from app.sharing.linkedin import add_to_profile_url
from app.sharing.qr import qr_svg
from app.sharing.view import shared_views
from app.verification.service import fetch_policy
from app.wallets import service as wallets
from app.web.check import GivenFormDep
from app.web.csrf import verify_csrf
from app.web.forms import FORM_TEXT_BOUND, error_text, error_texts, private_download
from app.web.holder import (
    PASSPORT_COOKIE,
    TOKEN_LIMIT,
    Holder,
    HolderDep,
    current_holder,
    start_passport_session,
)
from app.web.public import kept_foreign_page
from app.web.templating import templates
from app.web.wallet import offer_qr

router = APIRouter(include_in_schema=False)
CSRF = [Depends(verify_csrf)]
PRINT_LINK_DAYS = (30, 90, 180, 365)


def _redirect(url: str) -> RedirectResponse:
    """303 to `url` (the request's transaction is committed before the response is sent)."""
    return RedirectResponse(url, status_code=303)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    return _no_store(templates.TemplateResponse(request, name, context, status_code=status))


# --- opening the passport ------------------------------------------------------------------


@router.get("/passport/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request) -> Response:
    """How to open the passport, and a form to get a sign-in link by e-mail."""
    return _page(request, "participant/sign_in.html", {"email": "", "errors": {}})


@router.post(
    "/passport/sign-in",
    response_class=HTMLResponse,
    dependencies=[*CSRF, TOKEN_LIMIT],
)
def send_sign_in_link(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=FORM_TEXT_BOUND)] = "",
) -> Response:
    """Send a one-time link; the answer is the same whether or not the address is known."""
    try:
        with session.begin_nested():
            passport.request_sign_in_link(session, settings, email=email, now=utcnow())
    except ValidationFailed as exc:
        return _page(
            request,
            "participant/sign_in.html",
            {"email": email, "errors": {"email": error_text(exc)}},
            422,
        )
    return _page(request, "participant/sign_in_sent.html", {})


@router.get("/passport/sign-in/{token}", response_class=HTMLResponse)
def sign_in_link_page(token: str, request: Request) -> Response:
    """A button that uses the one-time link. Opening the page uses nothing, so e-mail
    scanners that fetch links do not spend it."""
    return _page(request, "participant/sign_in_link.html", {"token": token})


@router.post("/passport/sign-in/{token}", dependencies=[*CSRF, TOKEN_LIMIT])
def use_sign_in_link(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Use the one-time link and start the participant's session."""
    participant = passport.consume_sign_in_token(session, token=token, now=utcnow())
    return start_passport_session(request, session, settings, participant)


@router.post("/passport/sign-out", dependencies=CSRF)
def sign_out(request: Request, session: SessionDep) -> Response:
    """End the participant's session."""
    end_session(session, request.cookies.get(PASSPORT_COOKIE))
    response = _redirect("/passport/sign-in?signed_out=1")
    response.delete_cookie(PASSPORT_COOKIE, path="/")
    return response


# --- the passport --------------------------------------------------------------------------


@router.get("/passport", response_class=HTMLResponse)
def passport_home(request: Request, holder: HolderDep, session: SessionDep) -> Response:
    """The badges by category and pathway, newest first, with the next step of each."""
    assert holder.participant.id is not None
    badges = shown_badges(session, holder.participant.id)
    organization = session.get(Organization, holder.participant.organization_id)
    return _page(
        request,
        "participant/passport.html",
        {
            "groups": passport_groups(session, badges),
            "has_badges": bool(badges),
            "others": foreign.foreign_badges(session, holder.participant),
            "issuer_name": organization.name if organization else "",
        },
    )


@router.get("/passport/qualifications", response_class=HTMLResponse)
def qualifications(request: Request, holder: HolderDep, session: SessionDep) -> Response:
    """Toward a qualification: which skill requirements of each unit the badges show."""
    assert holder.participant.id is not None
    badges = shown_badges(session, holder.participant.id)
    return _page(
        request,
        "participant/qualifications.html",
        {"units": qualification_progress(session, badges)},
    )


def _own_badge(session: Session, holder: Holder, public_id: str) -> EarnedBadge:
    credential = sharing.owned_credential(
        session, participant=holder.participant, public_id=public_id
    )
    assert holder.participant.id is not None
    for badge in shown_badges(session, holder.participant.id):
        if badge.credential.id == credential.id:
            return badge
    # A replaced badge: its correction is the one to look at.
    raise NotFound("No such badge.")


def _badge_page(
    request: Request,
    session: Session,
    settings: SettingsDep,
    holder: Holder,
    badge: EarnedBadge,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    now = utcnow()
    links = [
        link
        for link in sharing.list_share_links(session, participant=holder.participant, now=now)
        if link.credential_public_id == badge.credential.public_id
    ]
    linkedin = None
    if badge.credential.is_public and not badge.is_revoked:
        organization = session.get(Organization, badge.credential.organization_id)
        linkedin = add_to_profile_url(
            name=pick(badge.definition.name.model_dump()),
            organization_name=organization.name if organization else "",
            issued_at=badge.credential.issued_at,
            expires_at=badge.credential.valid_until,
            cert_url=f"{settings.public_origin}/credentials/{badge.credential.public_id}",
            cert_id=badge.credential.public_id,
        )
    return _page(
        request,
        "participant/badge.html",
        {
            "badge": badge,
            "links": links,
            "linkedin": linkedin,
            "wallets": wallets.deliveries(session, credential_id=badge.credential.id)
            if badge.credential.id is not None
            else [],
            "replaced_copies": wallets.replaced_copies(session, credential_id=badge.credential.id)
            if badge.credential.id is not None
            else [],
            "public_url": f"{settings.public_origin}/credentials/{badge.credential.public_id}",
            "values": values or {"show_name": "1"},
            "errors": errors or {},
            "today": now.date(),
        },
        status,
    )


@router.get("/passport/badges/{public_id}", response_class=HTMLResponse)
def badge_page(
    public_id: str, request: Request, holder: HolderDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """One badge: share it, download it, make it public."""
    badge = _own_badge(session, holder, public_id)
    return _badge_page(request, session, settings, holder, badge)


@router.get("/passport/badges/{public_id}/download/{fmt}")
def download(public_id: str, fmt: str, holder: HolderDep, session: SessionDep) -> Response:
    """The badge as JSON (application/vc+ld+json), VC-JWT, baked PNG or baked SVG."""
    if fmt not in EXTENSIONS:
        raise NotFound("No such download.")
    _own_badge(session, holder, public_id)
    file = download_credential(
        session, participant=holder.participant, credential_public_id=public_id, fmt=fmt
    )
    return private_download(file.body, media_type=file.media_type, filename=file.filename)


@router.post("/passport/badges/{public_id}/public", dependencies=CSRF)
def set_public(
    public_id: str,
    holder: HolderDep,
    session: SessionDep,
    public: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Make the badge public at /credentials/{id}, or private again."""
    badge = _own_badge(session, holder, public_id)
    try:
        with session.begin_nested():
            sharing.set_credential_public(
                session,
                participant=holder.participant,
                credential_public_id=badge.credential.public_id,
                public=public == "1",
                now=utcnow(),
            )
    except ValidationFailed as exc:
        add_flash(holder.row, exc.template, **exc.params)
    else:
        if public == "1":
            add_flash(holder.row, "The badge is public.")
        else:
            add_flash(holder.row, "The badge is private.")
    session.add(holder.row)
    return _redirect(f"/passport/badges/{public_id}")


@router.post("/passport/badges/{public_id}/wallet", response_class=HTMLResponse, dependencies=CSRF)
def add_to_wallet(
    public_id: str, request: Request, holder: HolderDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """A one-time offer of the badge to the participant's wallet app: a button that opens
    the app on this phone, and a QR code to scan with the app on another device."""
    badge = _own_badge(session, holder, public_id)
    links = wallets.offer_badge(
        session,
        settings,
        credential=badge.credential,
        participant=holder.participant,
        made_by="participant",
        actor_user_id=None,
        now=utcnow(),
    )
    return _page(
        request,
        "participant/wallet_offer.html",
        {
            "badge": badge,
            "links": links,
            # qr_svg builds the SVG itself and escapes the only text in it (the title).
            "qr": Markup(offer_qr(links)),  # noqa: S704
            "minutes": int(wallets.OFFER_TTL.total_seconds() // 60),
        },
    )


# --- share links ---------------------------------------------------------------------------


def _expiry(value: str, errors: dict[str, str]) -> datetime | None:
    """The end of the chosen day (UTC); None for a link without an expiry."""
    if not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        errors["expires"] = _("Give the date as day, month and year, e.g. 2026-12-01.")
        return None
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


@router.get("/passport/shares", response_class=HTMLResponse)
def shares(request: Request, holder: HolderDep, session: SessionDep) -> Response:
    """The participant's share links with how often each was opened."""
    return _shares_page(request, session, holder, values={"show_name": "1"}, errors={})


def _shares_page(
    request: Request,
    session: Session,
    holder: Holder,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    assert holder.participant.id is not None
    links = sharing.list_share_links(session, participant=holder.participant, now=utcnow())
    names = {
        b.credential.public_id: pick(b.definition.name.model_dump())
        for b in shown_badges(session, holder.participant.id)
    }
    return _page(
        request,
        "participant/shares.html",
        {
            "links": links,
            "names": names,
            "values": values,
            "errors": errors,
            "foreign_count": foreign.count_foreign_badges(session, holder.participant),
        },
        status,
    )


@router.post("/passport/shares", response_class=HTMLResponse, dependencies=CSRF)
async def create_share(
    request: Request,
    sessions: SessionFactoryDep,
    settings: SettingsDep,
    credential: Annotated[str, Form(max_length=100)] = "",
    expires: Annotated[str, Form(max_length=20)] = "",
    show_name: Annotated[str, Form(max_length=5)] = "",
    show_evidence: Annotated[str, Form(max_length=5)] = "",
    show_photo: Annotated[str, Form(max_length=5)] = "",
    show_foreign: Annotated[str, Form(max_length=5)] = "",
    preview: Annotated[str, Form(max_length=5)] = "",
    change: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Create a share link for one badge or the whole passport; shows its QR code once.

    `preview`: show the page the link would show, exactly as an employer would see it,
    without making the link; `change`: back to the form with the choices kept. A preview
    of a passport with badges from other issuers verifies them, which may wait on other
    hosts: that is done in a read-only transaction of its own, before the one that writes.
    """
    values = {
        "credential": credential,
        "expires": expires,
        "show_name": show_name,
        "show_evidence": show_evidence,
        "show_photo": show_photo,
        "show_foreign": show_foreign if not credential else "",
    }
    holder = await _holder_now(request, sessions, settings)
    foreign_views: list[Any] = []
    if preview == "1" and change != "1" and values["show_foreign"] == "1":
        foreign_views = await in_network_thread(_foreign_views_now, sessions, settings, holder)

    def work() -> Response:
        with sessions(writes=True) as session:
            return _create_share(
                request,
                session,
                settings,
                holder,
                values,
                foreign_views,
                preview=preview == "1",
                change=change == "1",
            )

    return await in_thread(work)


def _foreign_views_now(sessions: SessionFactory, settings: Settings, holder: Holder) -> list[Any]:
    """The participant's badges from other issuers, verified now (fetching where needed)."""
    with sessions(read_only=True) as session:
        return foreign.passport_views(session, settings, holder.participant, now=utcnow())


def _create_share(
    request: Request,
    session: Session,
    settings: Settings,
    holder: Holder,
    values: dict[str, str],
    foreign_views: list[Any],
    *,
    preview: bool,
    change: bool,
) -> Response:
    credential = values["credential"]
    errors: dict[str, str] = {}
    expires_at = _expiry(values["expires"], errors)
    badge = _own_badge(session, holder, credential) if credential else None
    if change and not errors:
        if badge is not None:
            return _badge_page(request, session, settings, holder, badge, values=values)
        return _shares_page(request, session, holder, values=values, errors={})
    if preview and not errors:
        return _share_preview(request, session, settings, holder, badge, values, foreign_views)
    if not errors:
        try:
            with session.begin_nested():
                link, token = sharing.create_share_link(
                    session,
                    participant=holder.participant,
                    credential_public_id=credential or None,
                    now=utcnow(),
                    expires_at=expires_at,
                    show_name=values["show_name"] == "1",
                    show_evidence=values["show_evidence"] == "1",
                    show_photo=values["show_photo"] == "1",
                    show_foreign=values["show_foreign"] == "1",
                )
        except ValidationFailed as exc:
            errors["expires" if "expiry" in exc.detail or "year" in exc.detail else "form"] = (
                error_text(exc)
            )
        else:
            url = sharing.share_url(settings, token)
            return _page(
                request,
                "participant/share_created.html",
                {"link": link, "url": url, "token": token, "badge": badge},
            )
    if badge is not None:
        return _badge_page(
            request, session, settings, holder, badge, values=values, errors=errors, status=422
        )
    return _shares_page(request, session, holder, values=values, errors=errors, status=422)


def _share_preview(
    request: Request,
    session: Session,
    settings: Settings,
    holder: Holder,
    badge: EarnedBadge | None,
    values: dict[str, str],
    foreign_views: list[Any],
) -> Response:
    """The page a link with these choices would show, made as the public page makes it,
    with the choices to make the link or change them (no link exists yet)."""
    participant = holder.participant
    if badge is not None:
        if badge.is_revoked:
            raise ValidationFailed("A revoked badge cannot be shared.")
        credentials = [badge.credential]
    else:
        credentials = list(sharing.participant_credentials(session, participant=participant))
    now = utcnow()
    show_name, show_photo = values["show_name"] == "1", values["show_photo"] == "1"
    views = shared_views(
        session,
        settings,
        credentials=credentials,
        now=now,
        show_name=show_name,
        show_evidence=values["show_evidence"] == "1",
        holder=participant,
    )
    # The preview: the photos as they are now (the link will show these, not later ones).
    photos = sharing.shared_photo_ids(session, credentials, chosen_at=None) if show_photo else {}
    return _page(
        request,
        "public/credential.html",
        {
            "views": views,
            "foreign_views": foreign_views if badge is None else [],
            "passport": badge is None,
            "holder_name": participant.display_name if show_name else None,
            "og": {"title": _("Preview of a share link"), "description": "", "image": None},
            "photo_src": {cid: f"/passport/photos/{pid}" for cid, pid in photos.items()},
            "preview": {
                "values": values,
                "back": (
                    f"/passport/badges/{badge.credential.public_id}"
                    if badge is not None
                    else "/passport/shares"
                ),
            },
        },
    )


@router.get("/passport/photos/{photo_id}")
def own_photo(photo_id: str, holder: HolderDep, session: SessionDep) -> Response:
    """A photo the participant's coach took of her work, for her own eyes."""
    photo = sharing.own_photo(session, participant=holder.participant, photo_public_id=photo_id)
    return Response(
        photo.data,
        media_type=photo.content_type,
        headers={
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        },
    )


@router.post("/passport/shares/{link_id}/revoke", dependencies=CSRF)
def revoke_share(
    link_id: int,
    holder: HolderDep,
    session: SessionDep,
    back: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Stop a share link from working."""
    sharing.revoke_share_link(
        session, participant=holder.participant, link_id=link_id, now=utcnow()
    )
    add_flash(holder.row, "The link no longer works.")
    session.add(holder.row)
    return _redirect(back if back.startswith("/passport/") else "/passport/shares")


# --- the printable passport ----------------------------------------------------------------


@router.get("/passport/print", response_class=HTMLResponse)
def print_form(request: Request, holder: HolderDep) -> Response:
    """Choose how long the printed QR codes work, then make the printable page."""
    return _page(
        request, "participant/print_form.html", {"days": PRINT_LINK_DAYS, "values": {"days": "90"}}
    )


@router.post("/passport/print", response_class=HTMLResponse, dependencies=CSRF)
def print_passport(
    request: Request,
    holder: HolderDep,
    session: SessionDep,
    settings: SettingsDep,
    days: Annotated[int, Form(ge=1, le=366)] = 90,
    show_name: Annotated[str, Form(max_length=5)] = "",
    stop_earlier: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """A4 page of the current badges, each with a QR code of its own new share link.

    The paper may travel anywhere, so every code is a share link that expires and that the
    participant can revoke from the list of links; the codes are inline images, so printing
    does not look the tokens up again.
    """
    assert holder.participant.id is not None
    now = utcnow()
    if days not in PRINT_LINK_DAYS:
        days = 90
    stopped = (
        sharing.stop_print_links(session, participant=holder.participant, now=now)
        if stop_earlier == "1"
        else 0
    )
    items = []
    for badge in shown_badges(session, holder.participant.id):
        if badge.is_revoked:
            continue
        _link, token = sharing.create_share_link(
            session,
            participant=holder.participant,
            credential_public_id=badge.credential.public_id,
            now=now,
            expires_at=now + timedelta(days=days),
            show_name=show_name == "1",
            show_evidence=False,
            made_for="print",
        )
        url = sharing.share_url(settings, token)
        svg = qr_svg(url, title=_("QR code: link to the badge"))
        items.append(
            {
                "badge": badge,
                "qr": "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode(),
            }
        )
    organization = session.get(Organization, holder.participant.organization_id)
    return _page(
        request,
        "participant/print.html",
        {
            "items": items,
            "expires": now + timedelta(days=days),
            "show_name": show_name == "1",
            "organization": organization,
            "stopped": stopped,
        },
    )


# --- whole-passport downloads --------------------------------------------------------------


@router.post("/passport/clr", dependencies=CSRF)
def clr(holder: HolderDep, session: SessionDep, settings: SettingsDep) -> Response:
    """The whole passport as a signed CLR 2.0 ClrCredential."""
    try:
        with session.begin_nested():
            file = download_clr(session, settings, participant=holder.participant, now=utcnow())
    except ValidationFailed as exc:
        add_flash(holder.row, exc.template, **exc.params)
        session.add(holder.row)
        return _redirect("/passport")
    return private_download(file.body, media_type=file.media_type, filename=file.filename)


# --- settings: PIN and data ----------------------------------------------------------------


def _settings(
    request: Request, holder: Holder, session: Session, errors: dict[str, str], status: int = 200
) -> Response:
    services = host_access.clients_with_access(session, holder.participant, now=utcnow())
    return _page(
        request, "participant/settings.html", {"errors": errors, "services": services}, status
    )


@router.get("/passport/settings", response_class=HTMLResponse)
def settings_page(request: Request, holder: HolderDep, session: SessionDep) -> Response:
    """PIN, the services let in to the passport, a copy of one's data, erasure."""
    return _settings(request, holder, session, {})


@router.post("/passport/pin", response_class=HTMLResponse, dependencies=CSRF)
def set_pin(
    request: Request,
    holder: HolderDep,
    session: SessionDep,
    # Generous bounds: the PIN rules answer on the form (a bound here would be a bare 422).
    pin: Annotated[str, Form(max_length=1000)] = "",
    pin_again: Annotated[str, Form(max_length=1000)] = "",
    remove: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Set or remove the PIN asked after opening the passport link."""
    errors: dict[str, str] = {}
    if remove != "1" and pin != pin_again:
        errors["pin_again"] = _("The PINs are not the same. Type the same PIN twice.")
    if not errors:
        try:
            with session.begin_nested():
                passport.set_pin(
                    session,
                    participant=holder.participant,
                    pin=None if remove == "1" else pin,
                    now=utcnow(),
                )
        except ValidationFailed as exc:
            session.refresh(holder.participant)
            errors["pin"] = error_text(exc)
        else:
            if remove == "1":
                add_flash(holder.row, "PIN removed.")
            else:
                add_flash(holder.row, "PIN saved.")
            session.add(holder.row)
            return _redirect("/passport/settings")
    return _settings(request, holder, session, errors, 422)


@router.post("/passport/data/export", dependencies=CSRF)
def export_data(holder: HolderDep, session: SessionDep) -> Response:
    """Everything the service holds about the participant, as a JSON file."""
    now = utcnow()
    data = export_participant_data(session, participant=holder.participant, now=now)
    return private_download(
        json.dumps(data, ensure_ascii=False, indent=2).encode(),
        media_type="application/json",
        filename=f"osaamispassi-data-{now:%Y-%m-%d}.json",
    )


@router.get("/passport/data/erase", response_class=HTMLResponse)
def erase_form(request: Request, holder: HolderDep) -> Response:
    """What erasure does, and the confirmation."""
    return _page(request, "participant/erase.html", {"errors": {}})


@router.post("/passport/data/erase", response_class=HTMLResponse, dependencies=CSRF)
def erase(
    request: Request,
    holder: HolderDep,
    session: SessionDep,
    settings: SettingsDep,
    confirm: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Erase the participant's data (after the confirmation box is ticked)."""
    if confirm != "1":
        errors = {"confirm": _("Tick the box to confirm. Nothing was erased.")}
        return _page(request, "participant/erase.html", {"errors": errors}, 422)
    erase_participant(
        session, settings, participant=holder.participant, actor_user_id=None, now=utcnow()
    )
    end_session(session, request.cookies.get(PASSPORT_COOKIE))
    request.scope.pop("osp.holder", None)
    response = _page(request, "participant/erased.html", {})
    response.delete_cookie(PASSPORT_COOKIE, path="/")
    return response


# --- badges from other issuers ------------------------------------------------------------
# Adding and showing one verifies it, which may wait on other hosts (keys, status lists, the
# badge's address): these routes hold no transaction meanwhile. The participant is read in a
# short transaction of its own, the badge verified in a read-only one in a network thread,
# and what is kept written in a third.


async def _holder_now(request: Request, sessions: SessionFactory, settings: Settings) -> Holder:
    def read() -> Holder:
        with sessions(writes=request.method not in SAFE_METHODS) as session:
            return current_holder(request, session, settings)

    return await in_thread(read)


def _foreign_form(
    request: Request, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    return _page(
        request,
        "participant/foreign_add.html",
        {"values": values, "errors": errors, "max_url": MAX_URL_CHARS},
        status,
    )


@router.get("/passport/other-badges/add", response_class=HTMLResponse)
def foreign_add_form(request: Request, holder: HolderDep) -> Response:
    """Add a badge from another issuer: its file, its address or its text."""
    return _foreign_form(request, {"text": "", "url": ""}, {})


@router.post(
    "/passport/other-badges",
    response_class=HTMLResponse,
    dependencies=CSRF,
    # As on "Check a badge": a text up to twice the limit is read, so that the form can say
    # it is too long, keeping it.
    form_limits={"max_part_size": 2 * MAX_GIVEN_BYTES},
)
async def foreign_add(
    request: Request, sessions: SessionFactoryDep, settings: SettingsDep, form: GivenFormDep
) -> Response:
    """Verify the badge given and keep it; what was typed stays on the form on an error."""
    given, values = form.given, form.values
    holder = await _holder_now(request, sessions, settings)
    now = utcnow()

    def prepare() -> ForeignBadge:
        with sessions(read_only=True) as session:
            return foreign.prepare_foreign_badge(
                session,
                settings,
                holder.participant,
                given,
                now=now,
                fetcher=SafeFetcher(fetch_policy(settings)),
            )

    def keep(badge: ForeignBadge) -> str:
        with sessions(writes=True) as session:
            kept = foreign.keep_foreign_badge(
                session, holder.participant, badge, field=foreign.given_field(given)
            )
            row = session.get(WebSession, holder.row.id)
            if row is not None:
                add_flash(row, "The badge was added to your passport.")
                session.add(row)
            return kept.public_id

    try:
        prepared = await in_network_thread(prepare)
        public_id = await in_thread(keep, prepared)
    except GivenInvalid as exc:
        return _foreign_form(request, values, error_texts(exc.errors), 422)
    return _redirect(f"/passport/other-badges/{public_id}")


@router.get("/passport/other-badges/{public_id}", response_class=HTMLResponse)
async def foreign_badge_page(
    public_id: str, request: Request, sessions: SessionFactoryDep, settings: SettingsDep
) -> Response:
    """A badge from another issuer, verified now, as its issuer made it."""
    holder = await _holder_now(request, sessions, settings)

    def work() -> Response:
        with sessions(read_only=True) as session:
            badge = foreign.owned_foreign_badge(session, holder.participant, public_id)
            view = foreign.foreign_view(
                session,
                settings,
                badge,
                now=utcnow(),
                fetcher=SafeFetcher(fetch_policy(settings)),
            )
            return _no_store(kept_foreign_page(request, view, badge))

    return await in_network_thread(work)


@router.get("/passport/other-badges/{public_id}/download")
def foreign_download(public_id: str, holder: HolderDep, session: SessionDep) -> Response:
    """The badge exactly as it was added."""
    badge = foreign.owned_foreign_badge(session, holder.participant, public_id)
    extension = {
        "application/vc+jwt": "jwt",
        "image/png": "png",
        "image/svg+xml": "svg",
    }.get(badge.media_type, "json")
    return private_download(
        badge.data, media_type=badge.media_type, filename=f"badge-{badge.public_id}.{extension}"
    )


def _foreign_share_form(
    request: Request,
    badge: ForeignBadge,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    context = {"badge": badge, "values": values, "errors": errors}
    return _page(request, "participant/foreign_share.html", context, status)


@router.get("/passport/other-badges/{public_id}/share", response_class=HTMLResponse)
def foreign_share_form(
    public_id: str, request: Request, holder: HolderDep, session: SessionDep
) -> Response:
    """The choices of a share link to a badge from another issuer."""
    badge = foreign.owned_foreign_badge(session, holder.participant, public_id)
    return _foreign_share_form(request, badge, {"show_name": "1"}, {})


@router.post(
    "/passport/other-badges/{public_id}/share", response_class=HTMLResponse, dependencies=CSRF
)
def foreign_share(
    public_id: str,
    request: Request,
    holder: HolderDep,
    session: SessionDep,
    settings: SettingsDep,
    expires: Annotated[str, Form(max_length=20)] = "",
    show_name: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Make a share link to a badge from another issuer; shows its QR code once."""
    badge = foreign.owned_foreign_badge(session, holder.participant, public_id)
    values = {"expires": expires, "show_name": show_name}
    errors: dict[str, str] = {}
    expires_at = _expiry(expires, errors)
    if not errors:
        try:
            with session.begin_nested():
                link, token = sharing.create_share_link(
                    session,
                    participant=holder.participant,
                    credential_public_id=None,
                    foreign_badge_public_id=public_id,
                    now=utcnow(),
                    expires_at=expires_at,
                    show_name=show_name == "1",
                )
        except ValidationFailed as exc:
            errors["expires"] = error_text(exc)
        else:
            return _page(
                request,
                "participant/share_created.html",
                {
                    "link": link,
                    "url": sharing.share_url(settings, token),
                    "token": token,
                    "badge": None,
                    "badge_name": badge.name,
                    "back": f"/passport/other-badges/{public_id}",
                },
            )
    return _foreign_share_form(request, badge, values, errors, 422)


@router.get("/passport/other-badges/{public_id}/remove", response_class=HTMLResponse)
def foreign_remove_form(
    public_id: str, request: Request, holder: HolderDep, session: SessionDep
) -> Response:
    """What removing does, and the confirmation."""
    badge = foreign.owned_foreign_badge(session, holder.participant, public_id)
    return _page(request, "participant/foreign_remove.html", {"badge": badge})


@router.post("/passport/other-badges/{public_id}/remove", dependencies=CSRF)
def foreign_remove(public_id: str, holder: HolderDep, session: SessionDep) -> Response:
    """Remove the badge from the passport."""
    foreign.remove_foreign_badge(session, holder.participant, public_id)
    add_flash(holder.row, "The badge was removed from your passport.")
    session.add(holder.row)
    return _redirect("/passport")


# --- the personal link (last: `/passport/{token}` would match the pages above) -------------


@router.get("/passport/{token}", response_class=HTMLResponse, dependencies=[TOKEN_LIMIT])
@writes_on_get
def open_passport(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """The coach's personal link: asks for the PIN if there is one, else signs in."""
    participant = passport.resolve_passport_token(session, token)
    if participant.pin_hash is not None:
        return _page(request, "participant/pin.html", {"token": token, "failed": False})
    return start_passport_session(request, session, settings, participant)


@router.post("/passport/{token}", response_class=HTMLResponse, dependencies=[*CSRF, TOKEN_LIMIT])
def check_pin(
    token: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    pin: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Check the PIN; a wrong one is counted (returned, not raised, so the count commits)."""
    participant = passport.resolve_passport_token(session, token)
    result = passport.check_pin(session, participant=participant, pin=pin, now=utcnow())
    if not result.ok:
        return _page(
            request,
            "participant/pin.html",
            {"token": token, "failed": True, "remaining": result.remaining},
            401,
        )
    return start_passport_session(request, session, settings, participant)
