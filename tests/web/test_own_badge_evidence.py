"""The participant sees on her own badge page what her coach wrote and the photo, before any
link shows them; the photo is a share choice of its own, offered when there is one
(issue #14, item 3)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.awards.photos import store_photo
from app.config import Settings
from app.models import Award
from app.models.base import utcnow
from app.sharing.service import create_share_link
from tests.factories import issue_badge
from tests.web.conftest import World
from tests.web.test_award_flow import _jpeg_with_gps
from tests.web.test_passport import open_passport, passport_token


def test_her_badge_page_shows_the_coachs_words_and_the_photo(
    client_factory: Callable[[], TestClient], world: World, session: Session
) -> None:
    holder = client_factory()
    open_passport(holder, passport_token(session, world))
    award = session.exec(select(Award).where(Award.id == world.credential.award_id)).one()
    page = holder.get(f"/passport/badges/{world.credential.public_id}").text
    assert "Mitä valmentajasi kirjoitti" in page
    assert award.narrative.splitlines()[0] in page
    assert "Jakolinkki näyttää nämä vain, jos itse valitset niin." in page
    assert "Kuva työstäsi" not in page and 'name="show_photo"' not in page
    assert "Mitä valmentaja kirjoitti työstäni</span>" in page

    assert world.coach.id is not None
    photo = store_photo(
        session,
        participant=world.participant,
        uploaded_by_id=world.coach.id,
        data=_jpeg_with_gps(),
        max_bytes=10 * 1024 * 1024,
        now=utcnow(),
    )
    photo.award_id = award.id
    photo.attached_at = utcnow()
    session.add(photo)
    session.commit()
    page = holder.get(f"/passport/badges/{world.credential.public_id}").text
    assert "Kuva työstäsi" in page
    assert f'<img class="photo-preview" src="/passport/photos/{photo.public_id}"' in page
    assert "Mitä valmentaja kirjoitti työstäni</span>" in page
    assert '<input type="checkbox" name="show_photo" value="1" > <span>Kuva työstäni</span>' in page


def test_the_coachs_words_read_the_same_wherever_they_are_shown(
    client_factory: Callable[[], TestClient],
    coach_client: TestClient,
    world: World,
    session: Session,
    settings: Settings,
) -> None:
    """A narrative is Markdown (OB 3.0 Evidence.narrative): a list and emphasis come out as
    such on the coach's page, on her own badge page and on the link she shares, never as
    asterisks; HTML in it stays text. The Finnish evidence name is marked as Finnish on a
    Swedish page."""
    credential = issue_badge(
        session,
        settings,
        coach=world.coach,
        participant=world.participant,
        slug="siivous-1",
        narrative="Rakensi **hyllyn**:\n\n- sahasi\n- hioi <b>itse</b>",
    )
    _, token = create_share_link(
        session,
        participant=world.participant,
        credential_public_id=credential.public_id,
        now=utcnow(),
        show_evidence=True,
    )
    session.commit()
    holder = client_factory()
    open_passport(holder, passport_token(session, world))
    pages = {
        "coach": coach_client.get(f"/coach/credentials/{credential.public_id}").text,
        "participant": holder.get(f"/passport/badges/{credential.public_id}").text,
        "link": client_factory().get(f"/s/{token}").text,
    }
    assert "Aito ja voimassa" in pages["link"]
    for where, page in pages.items():
        assert "<strong>hyllyn</strong>" in page, where
        assert "<li>sahasi</li>" in page, where
        assert "&lt;b&gt;itse&lt;/b&gt;" in page and "**hyllyn**" not in page, where
    swedish = client_factory()
    swedish.get("/lang/sv?next=/")
    assert '<strong lang="fi">Työpajalla havainnoitu osaaminen' in swedish.get(f"/s/{token}").text
