"""The participant's passport and the public verification page in a real browser.

The coach works on the tablet, the participant on a phone (or a tablet), the employer in a
browser that has never signed in. The coach's QR code is decoded from a screenshot of the
page, as a phone camera would, and followed. Every participant and public page is checked
with axe-core (WCAG 2.1 A/AA, no serious or critical violations).
"""

from __future__ import annotations

import io
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from sqlmodel import Session, select

from app.config import Settings
from app.db import make_engine, transaction
from app.models import Organization, OutboxMessage, User
from app.models.base import utcnow
from tests.browser.support import (
    DESKTOP,
    PHONE,
    TABLET_LANDSCAPE,
    TABLET_PORTRAIT,
    Device,
    check_a11y,
    expect,
    screenshot,
)
from tests.browser.test_public_pages import assert_fits_width
from tests.conftest import STANDARDS
from tests.factories import issue_badge, make_participant

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser.conftest import LiveServer

PARTICIPANT_DEVICES = (PHONE, TABLET_PORTRAIT)


def live_settings(server: LiveServer) -> Settings:
    """The settings of the live server's database and origin, for the service's functions."""
    contexts, schemas = STANDARDS / "contexts", STANDARDS / "schemas"
    return Settings(
        environment="development",
        database_url=server.database_url,
        base_url=server.url,
        contexts_dir=contexts if contexts.is_dir() else None,
        schemas_dir=schemas if schemas.is_dir() else None,
    )


@contextmanager
def live_session(server: LiveServer) -> Iterator[tuple[Session, Settings]]:
    """A database session on the live server's own database (to arrange test data), in a
    transaction that takes SQLite's write lock when it begins, as the service's own writers
    do (app.db.transaction): one that read first could not write once the server had
    committed meanwhile (its open counts, a session touch), whatever the busy time-out. It
    holds that lock until the block ends: open no other writing transaction inside it."""
    settings = live_settings(server)
    engine = make_engine(server.database_url)
    try:
        with transaction(engine, writes=True) as session:
            yield session, settings
    finally:
        engine.dispose()


def new_participant(
    server: LiveServer, badges: tuple[str, ...], email: str | None = None
) -> tuple[int, list[str]]:
    """A demo-organization participant of their own with badges awarded by the demo coach."""
    with live_session(server) as (session, settings):
        org = session.exec(select(Organization).where(Organization.slug == "demo")).one()
        coach = session.exec(select(User).where(User.email == server.coaches[0].email)).one()
        participant = make_participant(session, org, email=email)
        ids = [
            issue_badge(
                session, settings, coach=coach, participant=participant, slug=slug
            ).public_id
            for slug in badges
        ]
        assert participant.id is not None
        return participant.id, ids


def coach_sign_in(page: Page, server: LiveServer) -> None:
    page.goto("/login")
    page.locator("#email").fill(server.coaches[0].email)
    page.locator("#password").fill(server.coaches[0].password)
    page.get_by_role("button", name="Kirjaudu sisään").click()
    expect(page).to_have_url(f"{server.url}/coach")


def passport_url_from_qr(page: Page) -> str:
    """Read the QR code on the screen, like a phone camera does."""
    import zxingcpp
    from PIL import Image

    image = Image.open(io.BytesIO(page.locator(".qr-big svg").screenshot()))
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, "exactly one QR code on the card"
    return str(found[0].text)


def coach_makes_passport_link(page: Page, server: LiveServer, participant_id: int) -> str:
    coach_sign_in(page, server)
    page.goto(f"/coach/participants/{participant_id}")
    page.get_by_role("link", name="Passin linkki ja QR-koodi").click()
    page.get_by_role("button", name="Tee linkki").click()
    expect(page.get_by_role("heading", name="Oma osaamispassisi")).to_be_visible()
    screenshot(page, "coach-passport-link")
    check_a11y(page, "coach-passport-link")
    return passport_url_from_qr(page)


def expire_latest_share(server: LiveServer) -> None:
    """Move the newest share link's expiry into the past, as if its date had passed."""
    path = server.database_url.removeprefix("sqlite:///")
    past = (utcnow() - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S.000000")
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE share_link SET expires_at = ? WHERE id = (SELECT max(id) FROM share_link)",
            (past,),
        )


def share_badge(page: Page, badge_id: str, *, expires: str = "") -> str:
    page.goto(f"/passport/badges/{badge_id}")
    if expires:
        page.locator("#expires").fill(expires)
    page.get_by_role("button", name="Tee jakolinkki").click()
    expect(page.get_by_role("heading", name="Jakolinkkisi", level=1)).to_be_visible()
    return str(page.locator("#share-url").inner_text())


@pytest.mark.parametrize("device", PARTICIPANT_DEVICES, ids=[d.name for d in PARTICIPANT_DEVICES])
def test_passport_from_the_coachs_qr_to_an_employer(
    new_page: Callable[..., Page], live_server: LiveServer, device: Device
) -> None:
    participant_id, (badge_id,) = new_participant(live_server, ("puutyo-1",))
    coach = new_page(TABLET_LANDSCAPE)
    url = coach_makes_passport_link(coach, live_server, participant_id)
    assert url.startswith(f"{live_server.url}/passport/")

    # The participant opens the passport on their own device; the token leaves the address.
    phone = new_page(device, permissions=["clipboard-read", "clipboard-write"])
    phone.goto(url)
    expect(phone).to_have_url(f"{live_server.url}/passport")
    expect(phone.get_by_role("heading", name="Omat merkit", level=1)).to_be_visible()
    expect(phone.locator(".next-step")).to_contain_text("Seuraava askel:")
    expect(phone.locator(".level-steps .level-earned")).to_have_count(1)
    assert_fits_width(phone, device)
    screenshot(phone, f"passport-{device.name}")
    check_a11y(phone, f"passport-{device.name}")
    phone.get_by_role("link", name="Kohti tutkintoa").click()
    expect(phone.get_by_text("Merkkisi näyttävät").first).to_be_visible()
    assert_fits_width(phone, device)
    screenshot(phone, f"passport-qualifications-{device.name}")
    check_a11y(phone, f"passport-qualifications-{device.name}")
    phone.goto(f"/passport/badges/{badge_id}")
    check_a11y(phone, f"passport-badge-{device.name}")
    screenshot(phone, f"passport-badge-{device.name}")

    # A preview first: the very page an employer would see, before any link exists.
    phone.get_by_role("button", name="Esikatsele").click()
    expect(phone.get_by_text("Esikatselu: linkki näyttää tämän sivun.")).to_be_visible()
    expect(phone.locator(".result-green")).to_contain_text("Aito ja voimassa.")
    assert_fits_width(phone, device)
    screenshot(phone, f"share-preview-{device.name}")
    check_a11y(phone, f"share-preview-{device.name}")
    phone.get_by_role("button", name="Muuta valintoja").click()
    expect(phone.get_by_role("button", name="Tee jakolinkki")).to_be_visible()

    # Shared with an expiry; an employer opens it signed out and sees a green result.
    tomorrow = (utcnow() + timedelta(days=2)).date().isoformat()
    shared = share_badge(phone, badge_id, expires=tomorrow)
    check_a11y(phone, f"share-created-{device.name}")
    # Copy and print buttons where the browser can (the link is on the page without them);
    # the card's contents are said before printing.
    expect(phone.get_by_text("Nimesi ei ole kortissa.")).to_be_visible()
    phone.get_by_role("button", name="Kopioi linkki").click()
    expect(phone.get_by_role("status")).to_have_text("Linkki on kopioitu.")
    assert phone.evaluate("navigator.clipboard.readText()") == shared
    expect(phone.get_by_role("button", name="Tulosta kortti")).to_be_visible()
    expect(phone.get_by_text("tulostustoiminnolla")).to_be_hidden()
    screenshot(phone, f"share-created-{device.name}")
    employer = new_page(device)
    employer.goto(shared)
    expect(employer.locator(".result-green")).to_contain_text("Aito ja voimassa.")
    expect(employer.locator('meta[name="robots"]')).to_have_attribute("content", "noindex")
    assert_fits_width(employer, device)
    screenshot(employer, f"public-green-{device.name}")
    check_a11y(employer, f"public-green-{device.name}")

    # The link's date passes: the page is gone, like any unknown link.
    expire_latest_share(live_server)
    gone = employer.goto(shared)
    assert gone is not None and gone.status == 404
    expect(employer.get_by_role("heading", level=1)).to_have_text("Sivua ei löydy")
    check_a11y(employer, f"public-404-{device.name}")

    # A new link; then the coach revokes the badge and the employer sees red at once.
    shared = share_badge(phone, badge_id)
    employer.goto(shared)
    expect(employer.locator(".result-green")).to_be_visible()
    coach.goto(f"/coach/credentials/{badge_id}")
    coach.locator("#reason").fill("Merkitty väärälle henkilölle")
    coach.get_by_role("button", name="Peru merkki").click()
    coach.get_by_role("button", name="Kyllä, peru merkki").click()
    expect(coach).to_have_url(f"{live_server.url}/coach/participants/{participant_id}")
    employer.reload()
    expect(employer.locator(".result-red")).to_contain_text("Myöntäjä on perunut tämän merkin.")
    screenshot(employer, f"public-red-{device.name}")
    check_a11y(employer, f"public-red-{device.name}")
    phone.goto("/passport")
    expect(phone.get_by_text("Peruttu. Tämä merkki ei ole enää voimassa.")).to_be_visible()

    # Openings are written by the server within a second (OpenCounts): look again until then.
    for _ in range(20):
        phone.goto("/passport/shares")
        if phone.get_by_text("Avattu 2 kertaa.").count():
            break
        phone.wait_for_timeout(250)
    expect(phone.get_by_text("Avattu 2 kertaa.").first).to_be_visible()
    check_a11y(phone, f"passport-shares-{device.name}")


@pytest.mark.parametrize("device", PARTICIPANT_DEVICES, ids=[d.name for d in PARTICIPANT_DEVICES])
def test_print_pin_and_erasure(
    new_page: Callable[..., Page], live_server: LiveServer, device: Device
) -> None:
    participant_id, badge_ids = new_participant(live_server, ("puutyo-1", "siivous-1"))
    coach = new_page(TABLET_LANDSCAPE)
    url = coach_makes_passport_link(coach, live_server, participant_id)
    phone = new_page(device)
    phone.goto(url)

    # The printable passport: one QR code per badge, A4 print layout without the menus.
    phone.get_by_role("link", name="Tulosta", exact=True).click()
    check_a11y(phone, f"passport-print-form-{device.name}")
    phone.get_by_role("button", name="Tee tulostettava sivu").click()
    expect(phone.locator(".print-item")).to_have_count(len(badge_ids))
    check_a11y(phone, f"passport-print-{device.name}")
    phone.emulate_media(media="print")
    expect(phone.locator(".site-header")).to_be_hidden()
    expect(phone.locator(".print-item .qr").first).to_be_visible()
    screenshot(phone, f"passport-print-{device.name}")
    phone.emulate_media(media="screen")

    # A PIN: the link now asks for it, and a wrong one is refused.
    phone.goto("/passport/settings")
    check_a11y(phone, f"passport-settings-{device.name}")
    phone.locator("#pin").fill("2580")
    phone.locator("#pin_again").fill("2580")
    phone.get_by_role("button", name="Tallenna PIN-koodi").click()
    expect(phone.get_by_text("PIN-koodi tallennettu.")).to_be_visible()
    again = new_page(device)
    again.goto(url)
    expect(again.get_by_role("heading", name="Kirjoita PIN-koodisi")).to_be_visible()
    check_a11y(again, f"passport-pin-{device.name}")
    again.locator("#pin").fill("1111")
    again.get_by_role("button", name="Avaa passini").click()
    expect(again.get_by_text("PIN-koodi oli väärä.")).to_be_visible()
    again.locator("#pin").fill("2580")
    again.get_by_role("button", name="Avaa passini").click()
    expect(again).to_have_url(f"{live_server.url}/passport")

    # Erasure, with its confirmation step; afterwards the passport link is dead.
    again.goto("/passport/data/erase")
    check_a11y(again, f"passport-erase-{device.name}")
    again.get_by_role("button", name="Poista tietoni").click()
    expect(again.get_by_text("Vahvista rastittamalla ruutu.").first).to_be_visible()
    again.get_by_label("Ymmärrän. Poista tietoni ja merkkini.").check()
    again.get_by_role("button", name="Poista tietoni").click()
    expect(again.get_by_role("heading", name="Tietosi poistettiin")).to_be_visible()
    check_a11y(again, f"passport-erased-{device.name}")
    dead = again.goto(url)
    assert dead is not None and dead.status == 404


def test_sign_in_page_signed_out(page: Page, device: Device) -> None:
    page.goto("/passport")
    expect(page).to_have_url(re.compile(r"/passport/sign-in$"))
    expect(page.get_by_role("heading", name="Avaa passisi")).to_be_visible()
    assert_fits_width(page, device)
    check_a11y(page, f"passport-sign-in-{device.name}")


@pytest.mark.parametrize("device", [PHONE], ids=[PHONE.name])
def test_e_mail_link_public_badge_and_whole_passport_in_swedish(
    new_page: Callable[..., Page], live_server: LiveServer, device: Device
) -> None:
    email = f"osallistuja-{utcnow().timestamp():.0f}@example.fi"
    _participant_id, (badge_id, _second) = new_participant(
        live_server, ("puutyo-1", "siivous-1"), email=email
    )
    phone = new_page(device)
    phone.goto("/passport/sign-in")
    phone.locator("#email").fill(email)
    phone.get_by_role("button", name="Lähetä minulle linkki").click()
    expect(phone.get_by_role("heading", name="Katso sähköpostisi")).to_be_visible()
    check_a11y(phone, f"passport-sign-in-sent-{device.name}")
    with live_session(live_server) as (session, _settings):
        message = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == email)).one()
        assert message.body is not None
        link = next(w for w in message.body.split() if "/passport/sign-in/" in w)
    phone.goto(link)
    check_a11y(phone, f"passport-sign-in-link-{device.name}")
    phone.get_by_role("button", name="Avaa passini").click()
    expect(phone).to_have_url(f"{live_server.url}/passport")

    # A public badge: its fixed address works signed out, in Swedish too.
    phone.goto(f"/passport/badges/{badge_id}")
    phone.get_by_role("button", name="Tee merkistä julkinen").click()
    expect(phone.get_by_role("link", name="Lisää LinkedIn-profiiliin")).to_be_visible()
    employer = new_page(device, locale="sv-FI")
    employer.goto(f"/credentials/{badge_id}")
    expect(employer.locator("html")).to_have_attribute("lang", "sv")
    expect(employer.locator(".result-green")).to_contain_text("Äkta och giltigt.")
    screenshot(employer, f"public-credential-sv-{device.name}")
    check_a11y(employer, f"public-credential-sv-{device.name}")

    # The whole passport by one link, without the name.
    phone.goto("/passport/shares")
    phone.get_by_label("Nimeni").uncheck()
    phone.get_by_role("button", name="Tee jakolinkki").click()
    shared = str(phone.locator("#share-url").inner_text())
    employer.goto(shared)
    expect(employer.locator(".public-badge")).to_have_count(2)
    expect(employer.get_by_role("heading", level=1)).to_have_text("Kompetenspass")
    # An overview first: the badges by area, each with its level and verdict, linking on.
    overview = employer.locator(".passport-overview")
    expect(overview.get_by_role("heading", name="Märkena i korthet")).to_be_visible()
    expect(overview.get_by_role("heading", name="Yrkesfärdigheter", level=3)).to_be_visible()
    expect(overview.get_by_role("link")).to_have_count(2)
    expect(overview.locator(".overview-green")).to_have_count(2)
    expect(overview).to_contain_text("Nivå 1")
    screenshot(employer, f"public-passport-sv-{device.name}")
    check_a11y(employer, f"public-passport-sv-{device.name}")

    # On a desktop, in English: the same overview, and the details beside the badge.
    desk = new_page(DESKTOP, locale="en-GB")
    desk.goto(shared)
    expect(desk.get_by_role("heading", name="At a glance")).to_be_visible()
    first = desk.locator(".public-badge").first
    hero, more = first.locator(".badge-main"), first.locator(".badge-more")
    hero_box, more_box = hero.bounding_box(), more.bounding_box()
    assert hero_box and more_box and more_box["x"] > hero_box["x"] + hero_box["width"] - 1
    assert_fits_width(desk, DESKTOP)
    screenshot(desk, "public-passport-en-desktop")
    check_a11y(desk, "public-passport-en-desktop")
    desk.goto(f"/credentials/{badge_id}")
    expect(desk.locator(".result-green")).to_contain_text("Genuine and valid.")
    screenshot(desk, "public-credential-en-desktop")
    check_a11y(desk, "public-credential-en-desktop")
