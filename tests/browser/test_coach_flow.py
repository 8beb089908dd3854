"""Coaches on a 10-inch tablet, in a real browser: sign in, award a badge with a photo, see
the QR code, revoke it, switch coach, sign out; a group award; every coach and admin page
passes axe-core (no serious or critical WCAG 2.1 A/AA violations) and is screenshotted."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from tests.browser.support import (
    PHONE,
    TABLET_LANDSCAPE,
    TABLET_PORTRAIT,
    Device,
    check_a11y,
    expect,
    on_devices,
    screenshot,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.sync_api import Page

    from tests.browser.conftest import LiveServer


def _photo() -> bytes:
    image = Image.new("RGB", (640, 480), (90, 140, 60))
    exif = Image.Exif()
    exif[0x010F] = "Tablet camera"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Sähköpostiosoite").fill(email)
    page.get_by_label("Salasana").fill(password)
    page.get_by_role("button", name="Kirjaudu sisään").tap()
    expect(page).to_have_url(re.compile(r"/coach$"))


def _decode_qr(svg: str) -> str:
    import zxingcpp

    from tests.sharing.test_qr import rasterize

    results = zxingcpp.read_barcodes(rasterize(svg))
    assert len(results) == 1
    return str(results[0].text)


@on_devices(TABLET_PORTRAIT, TABLET_LANDSCAPE)
def test_award_with_photo_qr_revoke_switch_coach_and_sign_out(
    page: Page, device: Device, live_server: LiveServer
) -> None:
    first, second = live_server.coaches
    name = device.name
    _sign_in(page, first.email, first.password)
    screenshot(page, f"coach-dashboard-{name}")
    check_a11y(page, f"coach-dashboard-{name}")

    # 1. The participant, from the recent list.
    page.get_by_role("link", name="Myönnä merkki").first.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kuka osoitti osaamisen?")
    check_a11y(page, f"award-participant-{name}")
    page.get_by_role("link", name="Aino").first.tap()

    # 2. The badge: Aino has the first woodwork badge, so the second is her next step.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Aino")
    expect(page.get_by_role("heading", name="Seuraavat askeleet")).to_be_visible()
    expect(page.locator("a[href$='/puutyo-2']").filter(has_text="Seuraava askel")).to_have_count(1)
    next_step = page.locator("a[href$='/puutyo-2']").first
    screenshot(page, f"award-badge-{name}")
    check_a11y(page, f"award-badge-{name}")
    next_step.tap()

    # 3. Criteria with the qualification requirements they relate to; 4. evidence.
    expect(page.get_by_text("Puutuotevalmistuksessa toimiminen:").first).to_be_visible()
    page.get_by_role("button", name="Jatka yhteenvetoon").tap()  # nothing ticked yet
    expect(page.get_by_role("alert")).to_contain_text("Merkitse jokainen kriteeri")
    check_a11y(page, f"award-form-errors-{name}")
    for box in page.get_by_role("checkbox").all():
        box.check()
    page.get_by_label("Mitä henkilö teki, missä ja milloin?").fill(
        "Rakensi hyllyn piirustuksen mukaan työpajan puusalissa."
    )
    page.get_by_label("Kuva työstä (vapaaehtoinen)").set_input_files(
        files=[{"name": "hylly.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    screenshot(page, f"award-form-{name}")
    check_a11y(page, f"award-form-{name}")
    page.get_by_role("button", name="Jatka yhteenvetoon").tap()

    # 5. The summary, then issue: a big QR code that opens the passport.
    expect(page.get_by_role("heading", level=1)).to_have_text("Vahvista merkki")
    expect(page.get_by_role("img", name="Lisäämäsi kuva")).to_be_visible()
    check_a11y(page, f"award-confirm-{name}")
    page.get_by_role("button", name="Myönnä merkki").tap()
    expect(page.get_by_role("status")).to_contain_text("Merkki myönnetty henkilölle Aino")
    qr = page.locator("#passport-qr svg")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 300  # type: ignore[index]  # big enough to scan
    link = _decode_qr(qr.evaluate("node => node.outerHTML"))
    assert link.startswith(f"{live_server.url}/passport/sign-in/")
    screenshot(page, f"award-issued-{name}")
    check_a11y(page, f"award-issued-{name}")

    # Revoke it, with a reason.
    page.get_by_role("link", name="Takaisin osallistujaan").tap()
    page.locator("a[href^='/coach/credentials/']").first.tap()
    expect(page.get_by_role("img", name="Kuva työstä")).to_be_visible()
    check_a11y(page, f"credential-{name}")
    page.get_by_label("Syy").fill("Myönnetty väärälle tasolle")
    page.get_by_role("button", name="Peru merkki").tap()
    # A confirmation that says what revoking means, before anything changes.
    expect(page.get_by_role("heading", name="Perutaanko merkki?", level=1)).to_be_visible()
    check_a11y(page, f"revoke-confirm-{name}")
    screenshot(page, f"revoke-confirm-{name}")
    page.get_by_role("button", name="Kyllä, peru merkki").tap()
    expect(page.get_by_role("status")).to_contain_text("Merkki peruttu.")
    expect(page.locator(".state-revoked").first).to_contain_text("Peruttu")
    screenshot(page, f"participant-revoked-{name}")
    check_a11y(page, f"participant-{name}")

    # Switch coach: the first coach is signed out, the next signs in on the same tablet.
    page.get_by_role("button", name="Vaihda valmentajaa").tap()
    expect(page.get_by_role("status")).to_contain_text("Edellinen valmentaja on kirjattu ulos")
    check_a11y(page, f"login-switched-{name}")
    page.goto("/coach")
    expect(page).to_have_url(re.compile(r"/login\?next=/coach$"))
    _sign_in(page, second.email, second.password)
    expect(page.locator(".who")).to_contain_text("Vilma Valmentaja")

    # Sign out.
    page.get_by_role("button", name="Kirjaudu ulos").tap()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/coach/participants")
    expect(page).to_have_url(re.compile(r"/login\?next="))


@on_devices(TABLET_LANDSCAPE)
def test_group_award(page: Page, live_server: LiveServer) -> None:
    coach = live_server.coaches[0]
    _sign_in(page, coach.email, coach.password)
    page.get_by_role("link", name="Ryhmämyöntö").first.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ryhmämyöntö: mikä merkki?")
    check_a11y(page, "group-badge")
    page.locator("a[href='/coach/group-award/tyoelamataidot-1']").tap()
    page.get_by_role("checkbox", name="Sara").check()
    page.get_by_role("checkbox", name="Jussi").check()
    page.get_by_label("Lause henkilöstä Jussi (vapaaehtoinen)").fill("Johti keskustelua.")
    for box in page.locator("#criteria input[type=checkbox]").all():
        box.check()
    page.get_by_label("Mitä ryhmä teki, missä ja milloin?").fill(
        "Ryhmä suunnitteli viikon työvuorot yhdessä."
    )
    screenshot(page, "group-form")
    check_a11y(page, "group-form")
    # A list pasted from a spreadsheet, with one name nobody has: the row is named and
    # everything typed stays.
    page.get_by_label("Tai liitä rivit tähän").fill("Mikko K.\t\tKantoi puut.\nMaija Meikäläinen")
    page.get_by_role("button", name="Myönnä merkit").tap()
    expect(page.get_by_role("alert")).to_contain_text("Listan 1 riviä ei voitu käyttää.")
    expect(page.locator("#members_list-rows")).to_contain_text(
        "Rivi 2: Täällä ei ole osallistujaa nimeltä Maija Meikäläinen."
    )
    expect(page.get_by_label("Mitä ryhmä teki, missä ja milloin?")).to_have_value(
        "Ryhmä suunnitteli viikon työvuorot yhdessä."
    )
    expect(page.get_by_role("checkbox", name="Jussi")).to_be_checked()
    check_a11y(page, "group-form-errors")
    page.get_by_label("Tai liitä rivit tähän").fill("Mikko K.\t\tKantoi puut.")
    for box in page.locator("#criteria input[type=checkbox]").all():
        box.check()
    page.get_by_role("button", name="Myönnä merkit").tap()
    # A review first: who gets the badge, with their sentences.
    expect(page.get_by_role("heading", level=1)).to_have_text("Vahvista merkit")
    expect(page.get_by_text("Johti keskustelua.")).to_be_visible()
    check_a11y(page, "group-confirm")
    screenshot(page, "group-confirm")
    page.get_by_role("button", name="Myönnä merkki 3 henkilölle").tap()
    # The job page follows the progress and shows the result when the job is done.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ryhmämyöntö")
    expect(page.get_by_role("status")).to_contain_text(
        "Merkki myönnetty 3 osallistujalle.", timeout=20_000
    )
    expect(page.get_by_role("link", name="Myönnetty")).to_have_count(3)
    screenshot(page, "group-job-done")
    check_a11y(page, "group-job-done")
    # A photo of one person's work from the results: choosing it sends it (no extra tap),
    # and the row then says the photo is there.
    page.get_by_label("Lisää kuva: Jussi").set_input_files(
        files=[{"name": "vuorot.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    expect(page.get_by_role("status").first).to_contain_text("Kuva lisätty.")
    expect(page.get_by_label("Vaihda kuva: Jussi")).to_have_count(1)
    expect(page.get_by_label("Lisää kuva: Sara")).to_have_count(1)
    expect(page.get_by_role("button", name="Tallenna kuva")).to_have_count(0)  # sent on choice
    check_a11y(page, "group-job-photo")
    page.goto("/coach/group-award")
    expect(page.get_by_role("heading", name="Viimeisimmät ryhmämyönnöt")).to_be_visible()
    page.goto("/coach/participants")
    page.get_by_role("link", name="Jussi").first.tap()
    expect(page.get_by_role("list").filter(has_text="Työelämä")).not_to_have_count(0)


def test_e_mail_sign_in_tried_through_the_admins_outbox_page(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    """Development without a mail server: a participant asks for a sign-in link, the admin
    finds it on the outbox page, and the participant signs in with it."""
    phone = new_page(PHONE)
    phone.goto("/passport/sign-in")
    phone.locator("#email").fill("aino@demo.example.fi")
    phone.get_by_role("button", name="Lähetä minulle linkki").click()
    expect(phone.get_by_role("heading", name="Katso sähköpostisi")).to_be_visible()
    admin = new_page(TABLET_PORTRAIT)
    _sign_in(admin, live_server.admin.email, live_server.admin.password)
    admin.get_by_role("link", name="Lähtevät viestit").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Lähtevät viestit (kehitys)")
    message = admin.locator(".outbox-message").filter(has_text="aino@demo.example.fi").first
    link = message.get_by_role("link").first.get_attribute("href")
    assert link is not None and link.startswith(f"{live_server.url}/passport/sign-in/")
    screenshot(admin, "admin-outbox")
    check_a11y(admin, "admin-outbox")
    phone.goto(link)
    phone.get_by_role("button", name="Avaa passini").click()
    expect(phone).to_have_url(f"{live_server.url}/passport")


def test_admin_and_participant_pages_pass_axe(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    page = new_page(TABLET_PORTRAIT)
    admin = live_server.admin
    _sign_in(page, admin.email, admin.password)
    for path, name in (
        ("/coach/participants", "participants"),
        ("/coach/participants/new", "participant-new"),
        ("/coach/participants/1", "participant"),
        ("/coach/participants/1/edit", "participant-edit"),
        ("/coach/group-award", "group-badge-admin"),
        ("/admin/users", "admin-users"),
        ("/admin/audit", "admin-audit"),
        ("/admin/outbox", "admin-outbox-list"),
        ("/admin/catalog", "admin-catalog"),
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        screenshot(page, name)
        check_a11y(page, name)
    # A form sent empty shows its errors, which must be accessible too.
    page.goto("/coach/participants/new")
    page.get_by_role("button", name="Tallenna").tap()
    expect(page.get_by_role("alert")).to_contain_text("Anna nimi")
    check_a11y(page, "participant-new-errors")
    # The admin adds a coach, who can then sign in.
    page.goto("/admin/users")
    page.get_by_label("Nimi", exact=True).fill("Ville Uusi")
    page.get_by_label("Sähköpostiosoite").fill("ville@demo.example.fi")
    page.get_by_label("Ensimmäinen salasana").fill("ville-salasana-1")
    page.get_by_role("button", name="Lisää").tap()
    expect(page.get_by_role("status")).to_contain_text("Käyttäjätili luotu.")
    other = new_page(TABLET_PORTRAIT)
    _sign_in(other, "ville@demo.example.fi", "ville-salasana-1")


def test_admin_sees_eperusteet_changes_side_by_side(
    new_page: Callable[..., Page], live_server: LiveServer, tmp_path: Path
) -> None:
    """`eperusteet sync` against the live server's database with a changed copy of the wood
    industry peruste: the admin's page shows the changes and the badges they touch."""
    import json
    import subprocess

    from tests.browser.conftest import ROOT, _cli, _server_env
    from tests.eperusteet.test_sync import changed_copy

    changed = tmp_path / "puu-changed.json"
    changed.write_text(json.dumps(changed_copy()), encoding="utf-8")
    port = int(live_server.url.rsplit(":", 1)[1])
    env = _server_env(live_server.database_url, live_server.url, port)
    done = subprocess.run(
        [*_cli(), "eperusteet", "sync", "--file", f"3932281={changed}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # The other qualifications cannot be fetched here (no network): exit code 1, but the
    # wood industry findings are stored.
    assert "puuteollisuuden-perustutkinto: 3 finding(s)" in done.stdout, done.stdout + done.stderr
    page = new_page(TABLET_PORTRAIT)
    admin = live_server.admin
    _sign_in(page, admin.email, admin.password)
    page.goto("/admin/catalog")
    expect(page.get_by_role("heading", name="Tarkistettavat muutokset")).to_be_visible()
    expect(page.get_by_text("Tutkinnon osan nimi muuttui")).to_be_visible()
    expect(page.get_by_text("Puutuotteiden valmistuksessa toimiminen")).to_be_visible()
    expect(page.get_by_text("Vaatimus poistui")).to_be_visible()
    screenshot(page, "admin-catalog-findings")
    check_a11y(page, "admin-catalog-findings")
