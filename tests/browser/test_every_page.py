"""Every page of the service passes axe-core (no serious or critical WCAG 2.1 A/AA violation)
at phone, tablet and desktop size, in Finnish, Swedish and English.

The tour (TOUR) lists every HTML page a person can open: public pages, share pages, the
coach's and the admin's pages, the participant's passport, the error pages, and a few pages
that only a form leads to (a form with errors, the revoke confirmation, a share link made, the
printable passport). `test_every_page_is_on_the_tour` compares it with the app's own routes: a
new page fails that test until it is added to TOUR, or to NOT_PAGES with the reason.

How a language pass runs (one test, in a module of its own, per language): one browser context
per role (signed out, coach, admin, participant), signed in over HTTP (signing in is tested
elsewhere). The first page of each context is opened through the language switch
(`/lang/{code}?next=...`), as a person choosing the language does; every page then checks its
answer's status, `<html lang>`, and that it loaded nothing from another origin (no third-party
requests; the bytes it loaded are written to artifacts/page-weight/). Each page is loaded once
per language and checked at each size in turn: the page's emulated device (size, pixel ratio,
mobile viewport, touch) is switched through the DevTools protocol, which is what Playwright
itself sends when it opens a context for a device, and the page must fit the width of each (no
sideways scrolling: a phone would otherwise zoom out, and the page would not be checked at the
phone's size). Loading a page and starting axe in it cost more than a check, so checking the
three sizes on one load takes about half the CPU time of loading each page on three devices
(measured).
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import io
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from sqlmodel import Session, col, select
from starlette.routing import Match, Route

from app.awards.jobs import create_job, run_once
from app.awards.photos import store_photo
from app.awards.service import AwardRequest, GroupMember, award_badge, badge_criteria, check_award
from app.config import Settings
from app.db import make_engine, transaction
from app.host.scopes import CREDENTIAL_READ, SCOPES
from app.i18n import LANGUAGES
from app.main import create_app
from app.models import Credential, HostClient, HostToken, Organization, Participant, User
from app.models.awards import AwardJob
from app.models.base import utcnow
from app.models.catalog import BadgeDefinition, BadgeVersion
from app.net.fetch import NoNetwork
from app.passport.foreign import add_foreign_badge
from app.passport.service import issue_passport_token, issue_sign_in_token, set_pin
from app.sharing.displayer import Given
from app.sharing.service import create_share_link, set_credential_public
from app.wallets.service import offer_badge
from tests.browser.support import (
    ARTIFACTS,
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    TABLET_PORTRAIT,
    Device,
    check_a11y,
    preload_axe,
)
from tests.browser.test_passport_pages import live_session, live_settings
from tests.conftest import STANDARDS
from tests.factories import make_participant, school_badge
from tests.routes import every_route

if TYPE_CHECKING:
    from playwright.sync_api import CDPSession, Page, Response

    from tests.browser.conftest import DemoLogin, LiveServer

# The bytes each page loads (document, styles, scripts, images), by language: the README's
# page weights come from here.
WEIGHTS = ARTIFACTS / "page-weight"
# Phone first: the sizes are checked in this order on one load, then backwards on the next.
SIZES = (PHONE, TABLET_PORTRAIT, DESKTOP)
ROLES = ("public", "coach", "admin", "participant")
# The tour of each language is a module of its own, so that pytest-xdist (which hands out
# whole modules: `--dist loadfile`) can run them side by side.
PASSES = {
    "fi": __name__,
    "sv": "tests.browser.test_every_page_sv",
    "en": "tests.browser.test_every_page_en",
}
# What the page sees of its device (screen width, pixel ratio, a touch screen) and how wide
# its content is: wider than the screen, a phone would zoom out and show it smaller.
DEVICE_JS = """[screen.width, devicePixelRatio, matchMedia('(pointer: coarse)').matches,
  document.documentElement.scrollWidth]"""
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
# Everything the page loaded (the document and each resource: styles, scripts, images, the
# icon), whether or not the browser's cache gave it: its address and its size as sent
# (decodedBodySize is the body after any compression; transfer sizes are 0 from the cache).
LOADED_JS = """performance.getEntriesByType('navigation')
  .concat(performance.getEntriesByType('resource'))
  .map(e => [e.name, e.decodedBodySize])"""


@dataclass(frozen=True)
class Stop:
    """One page of the tour.

    `path` is the address, with {placeholders} of TourData. `route` is the app's route that
    answers it (None for the not-found page and for a form's answer). With `submit`, the page
    is the answer to a form on the page at `path`, which is the previous stop of the same
    role: the fields `fill` are filled in (their values may use the placeholders of `path`
    and {origin}, the server's address), then the button `submit` is pressed.
    """

    name: str
    role: str
    path: str
    route: str | None
    status: int = 200
    submit: str | None = None
    fill: tuple[tuple[str, str], ...] = ()
    languages: tuple[str, ...] = LANGUAGES
    # A page drawn by its script: checked once this selector is visible.
    ready: str | None = None
    screenshot: bool = False


TOUR: tuple[Stop, ...] = (
    # Signed out: what anyone can open, from a link, a QR code or a search.
    Stop("home", "public", "/", "/", screenshot=True),
    Stop("privacy", "public", "/privacy", "/privacy"),
    Stop("terms", "public", "/terms", "/terms"),
    Stop("issuer", "public", "/orgs/demo", "/orgs/{slug}"),
    Stop("badge-definition", "public", "{badge_definition}", "/badges/{slug}/v{revision}"),
    Stop("public-credential", "public", "/credentials/{public_badge}", "/credentials/{public_id}"),
    Stop("share-badge", "public", "/s/{badge_share}", "/s/{token}", screenshot=True),
    Stop("share-passport", "public", "/s/{passport_share}", "/s/{token}"),
    Stop("share-foreign-badge", "public", "/s/{foreign_share}", "/s/{token}", screenshot=True),
    Stop("check", "public", "/check", "/check"),
    Stop(
        "check-result",
        "public",
        "/check",
        None,
        submit="form.check-form button[type=submit]",
        fill=(("#url", "{origin}/credentials/{public_badge}"),),
        screenshot=True,
    ),
    # What a phone's camera opens from the coach's wallet QR code.
    Stop("wallet-interaction", "public", "/wallet/{wallet_offer}", "/wallet/{token}"),
    Stop("login", "public", "/login", "/login"),
    Stop("passport-sign-in", "public", "/passport/sign-in", "/passport/sign-in"),
    Stop(
        "passport-sign-in-errors",
        "public",
        "/passport/sign-in",
        None,
        status=422,
        submit="form[action='/passport/sign-in'] button[type=submit]",
    ),
    Stop(
        "passport-sign-in-link",
        "public",
        "/passport/sign-in/{sign_in}",
        "/passport/sign-in/{token}",
    ),
    Stop("passport-pin", "public", "/passport/{pin_passport}", "/passport/{token}"),
    Stop("not-found", "public", "/no-such-page", None, status=404),
    # The API's documentation is for developers and in English only (app/api/docs.py).
    Stop("api-docs", "public", "/api/docs", "/api/docs", languages=("en",), ready=".opblock"),
    # A coach: the front page, participants, awarding one by one and as a group.
    Stop("coach-dashboard", "coach", "/coach", "/coach", screenshot=True),
    Stop("coach-participants", "coach", "/coach/participants", "/coach/participants"),
    Stop("coach-participant-new", "coach", "/coach/participants/new", "/coach/participants/new"),
    Stop(
        "coach-participant-new-errors",
        "coach",
        "/coach/participants/new",
        None,
        status=422,
        submit="form[action='/coach/participants/new'] button[type=submit]",
    ),
    Stop(
        "coach-participant",
        "coach",
        "/coach/participants/{participant}",
        "/coach/participants/{participant_id}",
    ),
    Stop(
        "coach-participant-edit",
        "coach",
        "/coach/participants/{participant}/edit",
        "/coach/participants/{participant_id}/edit",
    ),
    Stop(
        "coach-passport-link",
        "coach",
        "/coach/participants/{participant}/passport-link",
        "/coach/participants/{participant_id}/passport-link",
    ),
    Stop("coach-award", "coach", "/coach/award", "/coach/award"),
    Stop(
        "coach-award-badge",
        "coach",
        "/coach/award/{participant}",
        "/coach/award/{participant_id}",
    ),
    Stop(
        "coach-award-form",
        "coach",
        "/coach/award/{participant}/puutyo-2",
        "/coach/award/{participant_id}/{slug}",
    ),
    # This GET writes (a new sign-in link): it is marked app.deps.writes_on_get, and the
    # server refuses a write from a GET that is not (REFUSE_UNDECLARED_WRITES).
    Stop(
        "coach-issued",
        "coach",
        "/coach/credentials/{badge}/issued",
        "/coach/credentials/{public_id}/issued",
    ),
    Stop(
        "coach-credential",
        "coach",
        "/coach/credentials/{badge}",
        "/coach/credentials/{public_id}",
    ),
    Stop(
        # Only the confirmation: nothing is revoked before its button is pressed.
        "coach-revoke-confirm",
        "coach",
        "/coach/credentials/{badge}",
        None,
        submit="form[action$='/revoke'] button[type=submit]",
        fill=(("#reason", "Tarkistus"),),
    ),
    Stop("coach-group-badge", "coach", "/coach/group-award", "/coach/group-award"),
    Stop(
        "coach-group-form",
        "coach",
        "/coach/group-award/tyoelamataidot-1",
        "/coach/group-award/{slug}",
    ),
    Stop(
        "coach-group-job",
        "coach",
        "/coach/group-award/jobs/{job}",
        "/coach/group-award/jobs/{job_id}",
    ),
    Stop("forbidden", "coach", "/admin/users", "/admin/users", status=403),
    # The admin's own pages.
    Stop("admin-users", "admin", "/admin/users", "/admin/users"),
    Stop("admin-audit", "admin", "/admin/audit", "/admin/audit"),
    # Input that does not parse: an error page in the page's language.
    Stop("admin-audit-bad-input", "admin", "/admin/audit?page=x", "/admin/audit", status=422),
    Stop("admin-outbox", "admin", "/admin/outbox", "/admin/outbox"),
    Stop("admin-catalog", "admin", "/admin/catalog", "/admin/catalog"),
    Stop(
        "admin-participant-data",
        "admin",
        "/admin/participants/{participant}/data",
        "/admin/participants/{participant_id}/data",
    ),
    # The participant's passport.
    Stop("passport", "participant", "/passport", "/passport", screenshot=True),
    Stop(
        "passport-qualifications",
        "participant",
        "/passport/qualifications",
        "/passport/qualifications",
    ),
    Stop(
        "passport-badge",
        "participant",
        "/passport/badges/{badge}",
        "/passport/badges/{public_id}",
    ),
    Stop(
        "passport-share-preview",
        "participant",
        "/passport/badges/{badge}",
        None,
        submit="form.share-form button[name=preview]",
    ),
    # The public badge's page (no photo, public), then its offer to a wallet app.
    Stop(
        "passport-badge-public",
        "participant",
        "/passport/badges/{public_badge}",
        "/passport/badges/{public_id}",
    ),
    Stop(
        "passport-wallet-offer",
        "participant",
        "/passport/badges/{public_badge}",
        None,
        submit="form[action$='/wallet'] button[type=submit]",
        screenshot=True,
    ),
    Stop("passport-shares", "participant", "/passport/shares", "/passport/shares"),
    Stop(
        "passport-share-created",
        "participant",
        "/passport/shares",
        None,
        submit="form.share-form button[type=submit]:not([name])",
    ),
    Stop("passport-print-form", "participant", "/passport/print", "/passport/print"),
    Stop(
        "passport-print",
        "participant",
        "/passport/print",
        None,
        submit="form[action='/passport/print'] button[type=submit]",
    ),
    # Another issuer's badge kept in the passport, the form to add one (and its answer to
    # nothing given), and removing one.
    Stop(
        "passport-foreign-badge",
        "participant",
        "/passport/other-badges/{foreign_badge}",
        "/passport/other-badges/{public_id}",
        screenshot=True,
    ),
    Stop(
        "passport-foreign-share",
        "participant",
        "/passport/other-badges/{foreign_badge}/share",
        "/passport/other-badges/{public_id}/share",
    ),
    Stop(
        "passport-foreign-remove",
        "participant",
        "/passport/other-badges/{foreign_badge}/remove",
        "/passport/other-badges/{public_id}/remove",
    ),
    Stop(
        "passport-foreign-add",
        "participant",
        "/passport/other-badges/add",
        "/passport/other-badges/add",
    ),
    Stop(
        "passport-foreign-add-nothing",
        "participant",
        "/passport/other-badges/add",
        None,
        status=422,
        submit="form.check-form button[type=submit]",
    ),
    # A service (a wallet app) asks for access through the Open Badges 3.0 API; once allowed,
    # the settings list it.
    Stop(
        "passport-consent",
        "participant",
        "{consent}",
        "/ims/ob/v3p0/auth/authorize",
        screenshot=True,
    ),
    Stop("passport-settings", "participant", "/passport/settings", "/passport/settings"),
    Stop("passport-erase", "participant", "/passport/data/erase", "/passport/data/erase"),
)

# GET routes that answer with something else than a page, each with the reason.
NOT_PAGES: dict[str, str] = {
    "/api/openapi.json": "JSON: the OpenAPI description (its page is /api/docs)",
    "/favicon.ico": "a redirect to the icon",
    "/lang/{code}": "a redirect: the language switch (every language pass starts with it)",
    "/s/{token}/photos/{photo_id}": "an image: the evidence photo of a share link",
    "/s/{token}/qr.svg": "an image: the QR code of a share link",
    "/coach/photos/{photo_id}": "an image: an evidence photo for the coach",
    "/coach/group-award/jobs/{job_id}/progress": "JSON: a group award's progress",
    "/admin/audit.csv": "a CSV download of the audit log",
    "/passport/badges/{public_id}/download/{fmt}": "a file download: the signed credential",
    "/passport/other-badges/{public_id}/download": "a file download: another issuer's badge",
    "/passport/photos/{photo_id}": "an image: the participant's evidence photo",
    "/ims/ob/v3p0/discovery": "JSON: the Open Badges 3.0 service description",
    "/ims/ob/v3p0/credentials": "JSON: the Open Badges 3.0 API (an OAuth 2.0 client reads it)",
    "/ims/ob/v3p0/profile": "JSON: the Open Badges 3.0 API (an OAuth 2.0 client reads it)",
}


@dataclass(frozen=True)
class TourData:
    """What the tour's addresses need, made for each language pass in the live server's
    database."""

    participant: int
    badge: str  # a credential with a photo of the work
    public_badge: str  # a credential its holder made public
    badge_definition: str  # the address of a badge version's page
    badge_share: str  # share link tokens: one badge (with its evidence) and the passport
    passport_share: str
    sign_in: str  # a one-time sign-in token (its page only shows a button)
    holder_sign_in: str  # another, with which the participant's context signs in
    pin_passport: str  # the passport token of a participant who has a PIN
    job: str  # a finished group award
    wallet_offer: str  # the token of an offer of the badge to a wallet app
    foreign_badge: str  # another issuer's badge in the participant's passport
    foreign_share: str  # a share link to it
    consent: str  # a registered service's request for access to the passport (its address)


def _photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 60)).save(out, format="JPEG")
    return out.getvalue()


def _consent_address(session: Session, holder: Participant, now: datetime) -> str:
    """A wallet app registered with the Open Badges 3.0 API, which already holds the holder's
    permission to read her badges (the settings list it), and its request for more."""
    client = HostClient(
        client_id=secrets.token_urlsafe(24),
        secret_hash="0" * 64,
        client_metadata={
            "client_name": "Esimerkkilompakko",
            "client_uri": "https://wallet.example",
            "tos_uri": "https://wallet.example/terms",
            "policy_uri": "https://wallet.example/privacy",
            "redirect_uris": ["https://wallet.example/callback"],
            "scope": " ".join(SCOPES),
            "grant_types": ["authorization_code", "refresh_token"],
        },
        created_at=now,
    )
    session.add(client)
    session.flush()
    assert client.id is not None and holder.id is not None
    session.add(
        HostToken(
            client_id=client.id,
            participant_id=holder.id,
            access_token_hash=secrets.token_hex(32),
            scope=CREDENTIAL_READ,
            issued_at=now,
            expires_at=now + timedelta(hours=1),
        )
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": "https://wallet.example/callback",
            "scope": " ".join(SCOPES),
            "state": "tour",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        }
    )
    return f"/ims/ob/v3p0/auth/authorize?{query}"


def make_tour_data(live_server: LiveServer) -> TourData:
    """A participant of the demo organization with two badges (one with a photo, one public),
    share links, a passport link, a second participant with a PIN, and a group award."""
    coach_email = live_server.coaches[0].email
    with live_session(live_server) as (session, settings):
        org = session.exec(select(Organization).where(Organization.slug == "demo")).one()
        coach = session.exec(select(User).where(User.email == coach_email)).one()
        assert coach.id is not None
        now = utcnow()
        holder, other = make_participant(session, org), make_participant(session, org)
        assert holder.id is not None and other.id is not None
        photo = store_photo(
            session,
            participant=holder,
            uploaded_by_id=coach.id,
            data=_photo(),
            max_bytes=settings.photo_max_bytes,
            now=now,
        )
        credentials: dict[str, Credential] = {}
        for slug, photo_id in (("puutyo-1", photo.public_id), ("siivous-1", None)):
            _, credentials[slug] = award_badge(
                session,
                settings,
                coach=coach,
                now=now,
                request=AwardRequest(
                    participant_id=holder.id,
                    badge_slug=slug,
                    criteria_observed=badge_criteria(session, slug),
                    narrative="Rakensi hyllyn **piirustuksen** mukaan.",
                    idempotency_key=f"every-page-{holder.id}-{slug}",
                    photo_public_id=photo_id,
                ),
            )
        badge, public = credentials["puutyo-1"].public_id, credentials["siivous-1"].public_id
        set_credential_public(
            session, participant=holder, credential_public_id=public, public=True, now=now
        )
        _, badge_share = create_share_link(
            session,
            participant=holder,
            credential_public_id=badge,
            now=now,
            show_evidence=True,
            show_photo=True,
        )
        _, passport_share = create_share_link(
            session, participant=holder, credential_public_id=None, now=now
        )
        set_pin(session, participant=other, pin="2580", now=now)
        schools, _ = school_badge(settings)
        foreign = add_foreign_badge(
            session,
            settings,
            holder,
            Given(text=json.dumps(schools)),
            now=now,
            fetcher=NoNetwork(),
        )
        _, foreign_share = create_share_link(
            session,
            participant=holder,
            credential_public_id=None,
            foreign_badge_public_id=foreign.public_id,
            now=now,
        )
        job = _group_award(session, coach, [holder.id, other.id])
        version = session.exec(
            select(BadgeVersion)
            .join(BadgeDefinition)
            .where(BadgeDefinition.slug == "puutyo-1")
            .order_by(col(BadgeVersion.revision).desc())
        ).first()
        assert version is not None
        data = TourData(
            participant=holder.id,
            badge=badge,
            public_badge=public,
            badge_definition=f"/badges/puutyo-1/v{version.revision}",
            badge_share=badge_share,
            passport_share=passport_share,
            sign_in=issue_sign_in_token(session, coach=coach, participant_id=holder.id, now=now),
            holder_sign_in=issue_sign_in_token(
                session, coach=coach, participant_id=holder.id, now=now
            ),
            pin_passport=issue_passport_token(
                session, coach=coach, participant_id=other.id, now=now
            ),
            job=job,
            wallet_offer=offer_badge(
                session,
                settings,
                credential=credentials["puutyo-1"],
                participant=holder,
                made_by="coach",
                actor_user_id=coach.id,
                now=now,
            ).exchange_url.rsplit("/", 1)[1],
            foreign_badge=foreign.public_id,
            foreign_share=foreign_share,
            consent=_consent_address(session, holder, now),
        )
    _work_through_jobs(live_server, data.job)
    return data


def _group_award(session: Session, coach: User, members: list[int]) -> str:
    """Queue a group award of one badge to `members`."""
    slug = "tyoelamataidot-1"
    plan = check_award(
        session,
        badge_slug=slug,
        criteria_observed=badge_criteria(session, slug),
        narrative="Ryhmä suunnitteli viikon työvuorot yhdessä.",
        activity_start=None,
        activity_end=None,
        today=utcnow().date(),
        group=True,
    )
    job = create_job(
        session,
        coach=coach,
        plan=plan,
        members=[GroupMember(pid, "Johti keskustelua.") for pid in members],
        idempotency_key=f"every-page-{members[0]}",
        now=utcnow(),
    )
    return job.public_id


def _work_through_jobs(server: LiveServer, job_id: str, timeout: float = 30) -> None:
    """Carry out the queued group award here (as the live server's worker would at its next
    poll, up to two seconds later), or wait for that worker if it got the job first."""
    engine = make_engine(server.database_url)
    try:
        run_once(partial(transaction, engine), live_settings(server))
    finally:
        engine.dispose()
    deadline = time.monotonic() + timeout
    while True:
        with live_session(server) as (session, _settings):
            job = session.exec(select(AwardJob).where(AwardJob.public_id == job_id)).one()
            if job.state == "done":
                return
        assert time.monotonic() < deadline, f"the group award is still {job.state}"
        time.sleep(0.2)


def _session_cookies(
    server: LiveServer, sign_in: Callable[[httpx.Client], httpx.Response]
) -> list[Any]:
    """The cookies of a session started over HTTP, for a browser context."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        answer = sign_in(client)
        assert answer.status_code == 303, f"signing in answered {answer.status_code}"
        return [{"name": c.name, "value": c.value, "url": server.url} for c in client.cookies.jar]


def _form(client: httpx.Client, page: str, action: str, **fields: str) -> httpx.Response:
    """Send the form of `page` (with its CSRF token) to `action`."""
    token = CSRF_RE.search(client.get(page).text)
    assert token is not None, f"{page} has no CSRF token"
    return client.post(action, data={"csrf_token": token.group(1), **fields})


def signed_in(live_server: LiveServer, data: TourData) -> dict[str, list[Any]]:
    """Cookies by role: signed out, a coach, the admin, and the participant, who signs in
    with a one-time link, as from the link in an e-mail."""

    def staff(login: DemoLogin) -> Callable[[httpx.Client], httpx.Response]:
        return lambda client: _form(
            client, "/login", "/login", email=login.email, password=login.password
        )

    link = f"/passport/sign-in/{data.holder_sign_in}"
    return {
        "public": [],
        "coach": _session_cookies(live_server, staff(live_server.coaches[0])),
        "admin": _session_cookies(live_server, staff(live_server.admin)),
        "participant": _session_cookies(live_server, lambda client: _form(client, link, link)),
    }


# --- the app's routes ------------------------------------------------------------------------


def _is_page(route: Route) -> bool:
    """A GET route that may answer with a page: a web route (left out of the API schema), one
    declared as HTML, or an API route that documents a successful text/html answer (error
    pages are documented for every route)."""
    if "GET" not in (route.methods or ()):
        return False
    if not route.include_in_schema:
        return True
    if isinstance(route, APIRoute):
        if route.response_class is HTMLResponse:
            return True
        return any(
            "text/html" in (answer.get("content") or {})
            for status, answer in route.responses.items()
            if str(status).startswith("2")
        )
    return False


@functools.cache
def service_app() -> FastAPI:
    """The application, built only to read its routes (no database is opened)."""
    contexts, schemas = STANDARDS / "contexts", STANDARDS / "schemas"
    return create_app(
        Settings(
            environment="test",
            database_url="sqlite://",
            base_url="https://passi.test",
            contexts_dir=contexts if contexts.is_dir() else None,
            schemas_dir=schemas if schemas.is_dir() else None,
            run_jobs=False,
        )
    )


def _route_of(app: FastAPI, path: str) -> str | None:
    """The route template that answers a GET of `path` (None: no route, a 404)."""
    scope = {"type": "http", "method": "GET", "path": path.split("?")[0]}
    for route in every_route(app.routes):
        match, _child = route.matches(scope)
        if match is Match.FULL:
            return route.path
    return None


def test_every_page_is_on_the_tour() -> None:
    pages = {route.path for route in every_route(service_app().routes) if _is_page(route)}
    assert len(pages) > 30, "the routes were not found: the check would pass vacuously"
    toured = {stop.route for stop in TOUR if stop.route is not None}
    missing = pages - toured - NOT_PAGES.keys()
    assert not missing, (
        f"pages not on the accessibility tour: {sorted(missing)}. Add each to TOUR in "
        f"{__name__.replace('.', '/')}.py (and what its address needs to TourData), or, if it "
        "answers with something else than a page, to NOT_PAGES with the reason."
    )
    assert not toured & NOT_PAGES.keys(), "a route is both toured and listed as not a page"
    assert not (toured | NOT_PAGES.keys()) - pages, "TOUR or NOT_PAGES names a route that is gone"
    missing_passes = [code for code in LANGUAGES if importlib.util.find_spec(PASSES[code]) is None]
    assert not missing_passes, f"no tour in {missing_passes}: add a module like {PASSES['sv']}"
    for number, stop in enumerate(TOUR):
        if stop.submit:
            before = [s for s in TOUR[:number] if s.role == stop.role]
            assert before and before[-1].path == stop.path, (
                f"{stop.name}: a form's answer must follow the page of the form ({stop.path})"
            )


# --- the tour ----------------------------------------------------------------------------------


def emulate(cdp: CDPSession, device: Device) -> None:
    """Make the page the device's: what Playwright sends for a new context of that device."""
    cdp.send(
        "Emulation.setDeviceMetricsOverride",
        {
            "width": device.width,
            "height": device.height,
            "deviceScaleFactor": device.device_scale_factor,
            "mobile": device.is_mobile,
            "screenWidth": device.width,
            "screenHeight": device.height,
        },
    )
    cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": device.has_touch})


def _open(
    page: Page, stop: Stop, address: str, language: str, first: bool, values: dict[str, Any]
) -> Response | None:
    """Open the stop's page: by address (the first through the language switch), or by
    sending the form of the page open now."""
    if stop.submit is None:
        if first:
            address = f"/lang/{language}?next={quote(address, safe='/')}"
        return page.goto(address)
    for selector, value in stop.fill:
        page.locator(selector).fill(value.format(**values))
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.request.is_navigation_request()
    ) as answer:
        page.locator(stop.submit).first.click()
    page.wait_for_load_state()
    return answer.value


def _screenshot(cdp: CDPSession, name: str) -> None:
    """The whole page as the emulated device shows it. (Playwright's own full-page screenshot
    applies the context's viewport again, and the page was drawn at the desktop's width.)"""
    size = cdp.send("Page.getLayoutMetrics")["cssContentSize"]
    shot = cdp.send(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        },
    )
    (SCREENSHOTS / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


def _same_origin(url: str, origin: str) -> bool:
    return url == origin or url.startswith(f"{origin}/") or url.startswith(("data:", "blob:"))


def tour(new_page: Callable[..., Page], live_server: LiveServer, language: str) -> None:
    """Open every page of TOUR in `language` and check it at every size; fail listing every
    problem found."""
    app = service_app()
    data = make_tour_data(live_server)
    cookies = signed_in(live_server, data)
    pages: dict[str, tuple[Page, CDPSession]] = {}
    for role in ROLES:
        page = new_page(DESKTOP)
        preload_axe(page.context)
        if cookies[role]:
            page.context.add_cookies(cookies[role])
        pages[role] = (page, page.context.new_cdp_session(page))
    values = {**asdict(data), "origin": live_server.url}
    problems: list[str] = []
    weights: dict[str, int] = {}
    sizes = SIZES
    for stop in (s for s in TOUR if language in s.languages):
        page, cdp = pages[stop.role]
        address = stop.path.format(**values)
        first = not page.url.startswith("http")
        response = _open(page, stop, address, language, first, values)
        label = f"{stop.name} ({address}, {language})"
        if response is None or response.status != stop.status:
            status = response.status if response else "no answer"
            problems.append(f"{label}: answered {status}, expected {stop.status}")
            continue
        if stop.submit is None:
            route = _route_of(app, address)
            assert route == stop.route, f"{label}: the app answers it by {route}, not {stop.route}"
        if stop.ready:
            page.locator(stop.ready).first.wait_for()
        loaded = page.evaluate(LOADED_JS)
        elsewhere = [url for url, _size in loaded if not _same_origin(url, live_server.url)]
        if elsewhere:
            problems.append(f"{label}: requests to another origin: {elsewhere}")
        weights[stop.name] = sum(size for _url, size in loaded)
        shown = page.evaluate("document.documentElement.lang")
        if shown != language:
            problems.append(f"{label}: <html lang={shown!r}>, expected {language!r}")
        for device in sizes:
            emulate(cdp, device)
            *shown_as, content_width = page.evaluate(DEVICE_JS)
            assert shown_as == [device.width, device.device_scale_factor, device.has_touch], (
                f"{label}: the page is not shown as on the {device.name}: {shown_as}"
            )
            if content_width > device.width:
                problems.append(
                    f"{label}: {content_width} px wide on the {device.width} px {device.name}"
                )
            name = f"every-page-{stop.name}-{device.name}-{language}"
            try:
                check_a11y(page, name)
            except pytest.fail.Exception as failure:
                problems.append(str(failure))
            if stop.screenshot:
                _screenshot(cdp, name)
        sizes = sizes[::-1]  # the size checked last is the one the next page loads at
    WEIGHTS.mkdir(parents=True, exist_ok=True)
    (WEIGHTS / f"{language}.json").write_text(json.dumps(weights, indent=2), encoding="utf-8")
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


def test_every_page_in_finnish(new_page: Callable[..., Page], live_server: LiveServer) -> None:
    tour(new_page, live_server, "fi")
