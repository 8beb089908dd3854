"""A photo of the work added to a badge after it was issued: from a group award's results
(one button per person) or the badge's page. Private like the award's own photo, and never
published by a share link made before it was added."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, col, select

from app.awards.service import badge_criteria
from app.config import Settings
from app.models import AuditEvent, Credential, EvidencePhoto, ShareLink
from app.models.base import utcnow
from tests.web.conftest import KEY_RE, World, csrf_of
from tests.web.test_award_flow import _jpeg_with_gps
from tests.web.test_passport import _share, open_passport, passport_token

SLUG = "puutyo-1"


@pytest.fixture
def holder(client_factory: Callable[[], TestClient], session: Session, world: World) -> TestClient:
    """The world's participant, signed in to her passport."""
    client = client_factory()
    open_passport(client, passport_token(session, world))
    return client


def _group_award(
    coach_client: TestClient,
    session: Session,
    settings: Settings,
    job_transactions: Callable[..., Any],
    members: list[int],
) -> str:
    """Award the badge to `members` through the group form; the results page's path."""
    from app.awards.jobs import run_once

    page = coach_client.get(f"/coach/group-award/{SLUG}")
    key = KEY_RE.search(page.text)
    assert key
    response = coach_client.post(
        f"/coach/group-award/{SLUG}",
        data={
            "csrf_token": csrf_of(page.text),
            "idempotency_key": key.group(1),
            "members": members,
            "criteria": badge_criteria(session, SLUG),
            "narrative": "Rakensimme yhdessä penkin.",
            "confirmed": "1",
        },
    )
    assert response.status_code == 200
    assert run_once(job_transactions, settings) == 1
    return response.url.path


def _credential_of(session: Session, participant_id: int, *, newest: bool = True) -> Credential:
    from app.models import Award

    rows = session.exec(
        select(Credential)
        .join(Award, col(Award.id) == col(Credential.award_id))
        .where(Award.participant_id == participant_id)
        .order_by(col(Credential.id).desc() if newest else col(Credential.id))
    ).all()
    return rows[0]


def _photo_form(client: TestClient, page: str, credential_id: str, **data: Any) -> Any:
    return client.post(
        f"/coach/credentials/{credential_id}/photo",
        data={"csrf_token": csrf_of(client.get(page).text), **data},
        files={"photo": ("IMG_0002.jpg", _jpeg_with_gps(), "image/jpeg")},
        follow_redirects=False,
    )


def test_a_photo_per_person_from_the_group_awards_results(
    coach_client: TestClient,
    session: Session,
    settings: Settings,
    world: World,
    job_transactions: Callable[..., Any],
) -> None:
    from tests.factories import make_participant

    second = make_participant(session, world.org)
    session.commit()
    assert world.participant.id is not None and second.id is not None
    results = _group_award(
        coach_client, session, settings, job_transactions, [world.participant.id, second.id]
    )
    page = coach_client.get(results).text
    assert "Kuva työstä" in page and page.count("Lisää kuva") == 2
    credential = _credential_of(session, second.id)
    cid = credential.public_id
    # Opens the camera; the row says whose work it is for people who cannot see the table.
    assert f'id="photo-{cid}"' in page and 'capture="environment"' in page
    assert f'Lisää kuva<span class="visually-hidden">: {second.display_name}' in page

    job = results.rsplit("/", 1)[1]
    sent = _photo_form(coach_client, results, cid, job=job)
    assert sent.status_code == 303
    assert sent.headers["location"] == f"{results}#c-{cid}"
    back = coach_client.get(results).text
    assert "Kuva lisätty. Osallistuja päättää, näytetäänkö se." in back
    row = back[back.index(f'id="c-{cid}"') :]
    row = row[: row.index("</tr>")]
    assert "Kuva lisätty" in row and "Vaihda kuva" in row
    assert back.count("Lisää kuva") == 1  # the other person's is still to take

    session.expire_all()
    photo = session.exec(
        select(EvidencePhoto).where(EvidencePhoto.award_id == credential.award_id)
    ).one()
    assert photo.attached_at is not None and photo.participant_id == second.id
    with Image.open(io.BytesIO(photo.data)) as image:
        assert not image.getexif()  # cleaned like the award's own photo
    assert f"/coach/photos/{photo.public_id}" in coach_client.get(f"/coach/credentials/{cid}").text
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "award.photo")).one()
    assert event.object_id == cid and event.actor_user_id == world.coach.id

    # A second photo takes the place of the first.
    first = photo.public_id
    again = _photo_form(coach_client, f"/coach/credentials/{cid}", cid)
    assert again.status_code == 303 and again.headers["location"].startswith(
        f"/coach/credentials/{cid}#"
    )
    session.expire_all()
    photos = session.exec(
        select(EvidencePhoto).where(EvidencePhoto.award_id == credential.award_id)
    ).all()
    assert len(photos) == 1 and photos[0].public_id != first


def test_a_link_made_before_the_photo_does_not_show_it(
    coach_client: TestClient,
    holder: TestClient,
    client: TestClient,
    session: Session,
    world: World,
) -> None:
    """She chose to show photos when there was none: the new photo waits until she has seen
    it (her badge page shows it) and makes a link that shows it."""
    cid = world.credential.public_id
    before = _share(holder, "/passport/shares", {"show_photo": "1"})
    # Times are kept to the second: the link was made ten minutes ago, and the photo is
    # added a minute ago (then the next link, made now, is clearly after it).
    link = session.exec(select(ShareLink).order_by(col(ShareLink.id).desc())).first()
    assert link is not None
    link.created_at = utcnow() - timedelta(minutes=10)
    session.add(link)
    session.commit()
    assert _photo_form(coach_client, f"/coach/credentials/{cid}", cid).status_code == 303
    session.expire_all()
    photo = session.exec(
        select(EvidencePhoto).where(EvidencePhoto.award_id == world.credential.award_id)
    ).one()
    photo.attached_at = utcnow() - timedelta(minutes=1)
    session.add(photo)
    session.commit()
    first = photo.public_id
    assert f"/passport/photos/{first}" in holder.get(f"/passport/badges/{cid}").text
    assert photo.public_id not in client.get(f"/s/{before}").text
    assert client.get(f"/s/{before}/photos/{photo.public_id}").status_code == 404
    after = _share(holder, "/passport/shares", {"show_photo": "1"})
    assert f"/s/{after}/photos/{photo.public_id}" in client.get(f"/s/{after}").text
    assert client.get(f"/s/{after}/photos/{photo.public_id}").status_code == 200
    # A changed photo is new again: the link shows neither the old nor the new one.
    assert _photo_form(coach_client, f"/coach/credentials/{cid}", cid).status_code == 303
    session.expire_all()
    newer = session.exec(
        select(EvidencePhoto).where(EvidencePhoto.award_id == world.credential.award_id)
    ).one()
    shown = client.get(f"/s/{after}").text
    assert first not in shown and newer.public_id not in shown
    assert client.get(f"/s/{after}/photos/{newer.public_id}").status_code == 404


def test_wrong_input_is_answered_on_the_badges_page(
    coach_client: TestClient, session: Session, settings: Settings, world: World
) -> None:
    cid = world.credential.public_id
    page = f"/coach/credentials/{cid}"
    token = csrf_of(coach_client.get(page).text)
    nothing = coach_client.post(f"{page}/photo", data={"csrf_token": token})
    assert nothing.status_code == 422 and "Valitse kuva tai ota uusi." in nothing.text
    assert 'aria-describedby="photo-hint photo-error"' in nothing.text
    fake = coach_client.post(
        f"{page}/photo",
        data={"csrf_token": token},
        files={"photo": ("kuva.jpg", b"<svg onload=alert(1)>", "image/jpeg")},
    )
    assert fake.status_code == 415 and "ei ole luettava JPEG" in fake.text
    big = coach_client.post(
        f"{page}/photo",
        data={"csrf_token": token},
        files={"photo": ("kuva.jpg", b"\xff\xd8" + b"0" * (settings.photo_max_bytes + 10))},
    )
    assert big.status_code == 413 and "Kuva on liian suuri" in big.text
    # Another organization's badge, or a results page that is not this organization's.
    other = world.other_credential.public_id
    assert _photo_form(coach_client, page, other).status_code == 404
    assert _photo_form(coach_client, page, cid, job="0" * 36).status_code == 404
    assert session.exec(select(EvidencePhoto)).first() is None
    # A revoked badge gets no photo, and its page offers none.
    credential = session.get(Credential, world.credential.id)
    assert credential is not None
    credential.revoked_at = utcnow()
    session.add(credential)
    session.commit()
    revoked = _photo_form(coach_client, page, cid)
    assert revoked.status_code == 409 and "Perutulle merkille ei voi lisätä kuvaa." in revoked.text
    assert "Lisää kuva" not in coach_client.get(page).text
    assert session.exec(select(EvidencePhoto)).first() is None
