"""Badges from other issuers in the passport (issue #16, Displayer): added by file, text or
address after they verify, kept exactly as given, shown apart from ours and verified again
on every view, removable, never visible to anyone else, in the data export and erased."""

from __future__ import annotations

import html
import io
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, col, select

from app.config import Settings
from app.credentials.export import export_credential
from app.models import ForeignBadge, Participant, ShareLink
from app.models.base import utcnow
from app.participants.privacy import erase_participant, export_participant_data
from app.passport import service as passport
from app.vc.baking import bake_png
from tests.factories import school_badge
from tests.web.conftest import World, csrf_of
from tests.web.test_passport import open_passport, passport_token

NOW = utcnow()
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _add(holder: TestClient, files: dict[str, Any] | None = None, **fields: str) -> Any:
    token = csrf_of(holder.get("/passport/other-badges/add").text)
    return holder.post(
        "/passport/other-badges",
        data={"csrf_token": token, **fields},
        files=files,
        follow_redirects=False,
    )


def _errors(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'class="error-text"[^>]*>([^<]+)', page)]


def _other_holder(client_factory: Any, session: Session, world: World) -> TestClient:
    """A participant of the other organization, signed in to her passport."""
    other = client_factory()
    assert world.other_participant.id is not None
    token = passport.issue_passport_token(
        session, coach=world.other_coach, participant_id=world.other_participant.id, now=utcnow()
    )
    session.commit()
    open_passport(other, token)
    return other


@pytest.fixture
def holder(client_factory: Any, session: Session, world: World) -> TestClient:
    client = client_factory()
    open_passport(client, passport_token(session, world))
    return client


def test_a_school_badge_is_added_shown_apart_verified_and_removed(
    holder: TestClient, session: Session, settings: Settings, world: World
) -> None:
    badge, _ = school_badge(settings)
    text = json.dumps(badge, ensure_ascii=False, indent=1)
    answer = _add(holder, text=f"\n{text}\n")
    assert answer.status_code == 303, _errors(answer.text)
    page_url = answer.headers["location"]
    kept = session.exec(select(ForeignBadge)).one()
    # Kept exactly as given (without the blank lines around it), for this participant only.
    assert kept.data == text.encode() and kept.participant_id == world.participant.id
    assert (kept.name, kept.issuer_name, kept.media_type) == (
        "Hitsauksen perusteet",
        "Esimerkkikoulu",
        "application/vc+ld+json",
    )

    page = holder.get(page_url)
    assert page.status_code == 200
    assert "Merkki lisättiin passiisi." in page.text  # the flash
    assert "Toisen myöntäjän merkki passissasi." in page.text
    assert "Esimerkkikoulu" in page.text and "Hitsauksen perusteet" in page.text
    assert "Allekirjoitus on kunnossa. Merkkiä ei ole muutettu." in page.text
    assert page.headers["cache-control"] == "private, no-store"

    passport = holder.get("/passport").text
    section = passport.split('id="other-badges"')[1]
    assert "Hitsauksen perusteet" in section and "Esimerkkikoulu" in section
    # Our own badges are not listed among the others.
    assert passport.count("Hitsauksen perusteet") == 1

    download = holder.get(f"{page_url}/download")
    assert download.status_code == 200 and download.content == kept.data
    assert download.headers["content-type"].startswith("application/vc+ld+json")

    again = _add(holder, text=text)
    assert again.status_code == 422
    assert _errors(again.text) == ["Tämä merkki on jo passissasi."]

    form = holder.get(f"{page_url}/remove")
    assert "Poista passista" in form.text
    removed = holder.post(
        f"{page_url}/remove", data={"csrf_token": csrf_of(form.text)}, follow_redirects=False
    )
    assert removed.status_code == 303
    assert session.exec(select(ForeignBadge)).first() is None
    assert holder.get(page_url).status_code == 404


def test_only_genuine_valid_badges_given_to_the_holder_can_be_added(
    holder: TestClient, session: Session, settings: Settings, world: World
) -> None:
    badge, _ = school_badge(settings)
    changed = {**badge, "name": "Toinen nimi"}
    answer = _add(holder, text=json.dumps(changed))
    assert answer.status_code == 422
    assert _errors(answer.text) == [
        "Merkkiä ei voitu todeta aidoksi, joten sitä ei lisätty. "
        "Tarkista merkki -sivu näyttää jokaisen tarkistuksen."
    ]
    assert json.dumps(changed) in html.unescape(answer.text)  # what was pasted is kept

    expired, _ = school_badge(settings, valid_until=NOW - timedelta(days=1))
    answer = _add(
        holder, files={"upload": ("merkki.json", json.dumps(expired), "application/json")}
    )
    assert answer.status_code == 422 and _errors(answer.text) == ["Tämä merkki on vanhentunut."]

    participant = session.get(Participant, world.participant.id)
    assert participant is not None
    participant.email = "aino@example.fi"
    session.add(participant)
    session.commit()
    someone_elses, _ = school_badge(settings, email="toinen@example.fi")
    answer = _add(holder, text=json.dumps(someone_elses))
    assert answer.status_code == 422
    assert _errors(answer.text) == [
        "Tämä merkki on myönnetty jollekulle toiselle: sen sähköpostiosoite ei ole sinun."
    ]
    hers, _ = school_badge(settings, email="aino@example.fi")
    assert _add(holder, text=json.dumps(hers)).status_code == 303

    # One of this service's own badges is in its owner's passport already.
    png, _ = export_credential(session, world.credential.public_id, "png")
    answer = _add(holder, files={"upload": ("merkki.png", png, "image/png")})
    assert answer.status_code == 422
    assert _errors(answer.text) == [
        "Tämä merkki on tästä palvelusta: se on jo omistajansa passissa."
    ]
    # Nothing given, or two ways at once.
    assert _errors(_add(holder).text) == ["Liitä merkki, valitse sen tiedosto tai anna sen osoite."]
    assert session.exec(select(ForeignBadge)).all() != []
    assert len(session.exec(select(ForeignBadge)).all()) == 1


def test_every_view_verifies_the_badge_again(
    holder: TestClient, session: Session, settings: Settings
) -> None:
    """What a view shows is the verification of that moment, not the one made on adding:
    the same badge, once its dates have passed (here: the stored badge replaced by one
    signed with an end date in the past), is shown as not valid."""
    badge, _ = school_badge(settings)
    assert _add(holder, text=json.dumps(badge)).status_code == 303
    kept = session.exec(select(ForeignBadge)).one()
    page = holder.get(f"/passport/other-badges/{kept.public_id}").text
    assert "result result-red" not in page
    expired, _ = school_badge(settings, valid_until=NOW - timedelta(days=1))
    kept.data = json.dumps(expired).encode()
    session.add(kept)
    session.commit()
    page = holder.get(f"/passport/other-badges/{kept.public_id}").text
    assert "result result-red" in page and "Merkin voimassaolo on päättynyt." in page


def test_nobody_else_sees_or_removes_them(
    holder: TestClient,
    client_factory: Any,
    session: Session,
    settings: Settings,
    world: World,
) -> None:
    badge, _ = school_badge(settings)
    page_url = _add(holder, text=json.dumps(badge)).headers["location"]
    other = _other_holder(client_factory, session, world)
    for path in (page_url, f"{page_url}/download", f"{page_url}/remove"):
        assert other.get(path).status_code == 404
    form = other.get("/passport/settings")
    answer = other.post(f"{page_url}/remove", data={"csrf_token": csrf_of(form.text)})
    assert answer.status_code == 404
    assert "Hitsauksen perusteet" not in other.get("/passport").text
    signed_out = client_factory()
    assert signed_out.get(page_url, follow_redirects=False).status_code in (303, 401)
    assert session.exec(select(ForeignBadge)).one() is not None


def test_in_the_data_export_and_erased_with_the_participant(
    holder: TestClient, session: Session, settings: Settings, world: World
) -> None:
    badge, _ = school_badge(settings)
    assert _add(holder, text=json.dumps(badge)).status_code == 303
    png = _school_png(settings)
    assert _add(holder, files={"upload": ("koulu.png", png, "image/png")}).status_code == 303
    participant = session.get(Participant, world.participant.id)
    assert participant is not None
    data = export_participant_data(session, participant=participant, now=utcnow())
    others = data["badges_from_other_issuers"]
    assert [b["media_type"] for b in others] == ["application/vc+ld+json", "image/png"]
    assert json.loads(others[0]["badge"]) == badge
    erase_participant(session, settings, participant=participant, actor_user_id=None, now=utcnow())
    assert session.exec(select(ForeignBadge)).all() == []


def _school_png(settings: Settings) -> bytes:
    """A school's badge baked into a PNG, as a badge image file comes."""
    badge, _ = school_badge(settings, name="Trukin ajo")
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return bake_png(buffer.getvalue(), badge)


SHARE_RE = re.compile(r"https://passi\.test/s/([A-Za-z0-9_-]{43})")


def test_shared_by_a_link_that_verifies_it_on_every_opening(
    holder: TestClient, client_factory: Any, session: Session, settings: Settings, world: World
) -> None:
    badge, _ = school_badge(settings)
    page_url = _add(holder, text=json.dumps(badge)).headers["location"]
    form = holder.get(f"{page_url}/share")
    assert form.status_code == 200 and "Hitsauksen perusteet" in form.text
    past = holder.post(
        f"{page_url}/share",
        data={"csrf_token": csrf_of(form.text), "expires": "2020-01-01", "show_name": "1"},
    )
    assert past.status_code == 422 and 'value="2020-01-01"' in past.text
    made = holder.post(
        f"{page_url}/share", data={"csrf_token": csrf_of(form.text), "show_name": "1"}
    )
    assert made.status_code == 200
    match = SHARE_RE.search(made.text)
    assert match is not None and "Hitsauksen perusteet" in made.text
    token = match.group(1)

    employer = client_factory()
    for _ in range(2):  # never kept: verified on each opening
        page = employer.get(f"/s/{token}")
        assert page.status_code == 200
        assert "Hitsauksen perusteet" in page.text and "Esimerkkikoulu" in page.text
        assert world.participant.display_name in page.text
        assert "Allekirjoitus on kunnossa. Merkkiä ei ole muutettu." in page.text
    as_json = employer.get(f"/s/{token}", headers={"Accept": "application/vc+ld+json"})
    assert as_json.status_code == 200 and as_json.json() == badge
    assert "Hitsauksen perusteet" in holder.get("/passport/shares").text
    link = session.exec(select(ShareLink).where(col(ShareLink.foreign_badge_id).is_not(None))).one()
    assert link.show_name

    # Someone else cannot make a link to it; removing the badge ends the link.
    other = _other_holder(client_factory, session, world)
    settings_page = other.get("/passport/settings")
    refused = other.post(f"{page_url}/share", data={"csrf_token": csrf_of(settings_page.text)})
    assert refused.status_code == 404
    remove = holder.get(f"{page_url}/remove")
    holder.post(f"{page_url}/remove", data={"csrf_token": csrf_of(remove.text)})
    assert employer.get(f"/s/{token}").status_code == 404


def test_a_whole_passport_link_shows_them_only_when_chosen(
    holder: TestClient, client_factory: Any, session: Session, settings: Settings, world: World
) -> None:
    badge, _ = school_badge(settings)
    page_url = _add(holder, text=json.dumps(badge)).headers["location"]
    shares = holder.get("/passport/shares")
    assert 'name="show_foreign"' in shares.text
    token = csrf_of(shares.text)

    def make(**choices: str) -> str:
        made = holder.post("/passport/shares", data={"csrf_token": token, **choices})
        assert made.status_code == 200, made.text
        match = SHARE_RE.search(made.text)
        assert match is not None
        return match.group(1)

    # The preview shows the page the link will show: ours and, when chosen, the school's.
    preview = holder.post(
        "/passport/shares",
        data={"csrf_token": token, "show_name": "1", "show_foreign": "1", "preview": "1"},
    )
    assert preview.status_code == 200
    assert "Hitsauksen perusteet" in preview.text and "Esimerkkikoulu" in preview.text
    assert 'name="show_foreign" value="1"' in preview.text  # kept for "Make the link"
    assert "Allekirjoitus on kunnossa. Merkkiä ei ole muutettu." in preview.text

    without = make(show_name="1")
    with_them = make(show_name="1", show_foreign="1")
    employer = client_factory()
    plain = employer.get(f"/s/{without}")
    assert plain.status_code == 200 and "Esimerkkikoulu" not in plain.text
    for _ in range(2):  # verified on every opening, never kept
        page = employer.get(f"/s/{with_them}")
        assert page.status_code == 200
        assert "Hitsauksen perusteet" in page.text and "Esimerkkikoulu" in page.text
        assert "Muiden myöntäjien merkit" in page.text
        assert world.credential.public_id in page.text or "2 merkkiä" in page.text
    assert "Näyttää myös muiden myöntäjien merkkisi." in holder.get("/passport/shares").text
    link = session.exec(select(ShareLink).where(col(ShareLink.show_foreign))).one()
    assert link.credential_id is None and link.foreign_badge_id is None

    # Removed from the passport: gone from the link on the next opening.
    remove = holder.get(f"{page_url}/remove")
    holder.post(f"{page_url}/remove", data={"csrf_token": csrf_of(remove.text)})
    page = employer.get(f"/s/{with_them}")
    assert page.status_code == 200 and "Esimerkkikoulu" not in page.text
    # Without badges from other issuers the form does not offer them.
    assert 'name="show_foreign"' not in holder.get("/passport/shares").text
