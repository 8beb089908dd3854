"""The award flow on the coach's pages: criteria, evidence, photo, summary, issue, revoke,
correct, group award; errors keep the entries; resending never issues twice."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, col, select

from app.awards.service import badge_criteria
from app.config import Settings
from app.models import AuditEvent, Award, AwardJob, Credential, EvidencePhoto, StatusList
from app.vc.statuslist import get_bit
from tests.web.conftest import KEY_RE, World, csrf_of, post_form

SLUG = "puutyo-1"


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (1200, 900), (180, 120, 60))
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make
    exif[0x0112] = 6  # orientation: rotate 90° to show upright
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (60.0, 10.0, 0.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _review(client: TestClient, world: World, data: dict[str, Any], **kwargs: Any) -> Any:
    form_page = f"/coach/award/{world.participant.id}/{SLUG}"
    return post_form(client, form_page, f"{form_page}/review", data, **kwargs)


def _all_criteria(session: Session) -> list[str]:
    return badge_criteria(session, SLUG)


def test_award_flow_issues_one_credential_even_when_the_form_is_sent_twice(
    coach_client: TestClient, world: World, session: Session
) -> None:
    criteria = _all_criteria(session)
    summary = _review(
        coach_client,
        world,
        {"criteria": criteria, "narrative": "Teki linnunpöntön.", "activity_start": "2026-11-30"},
    )
    assert summary.status_code == 200
    assert "Vahvista merkki" in summary.text and "Teki linnunpöntön." in summary.text
    key = KEY_RE.search(summary.text)
    assert key
    data = {
        "csrf_token": csrf_of(summary.text),
        "criteria": criteria,
        "narrative": "Teki linnunpöntön.",
        "activity_start": "2026-11-30",
        "idempotency_key": key.group(1),
    }
    issue = f"/coach/award/{world.participant.id}/{SLUG}/issue"
    first = coach_client.post(issue, data=data, follow_redirects=False)
    second = coach_client.post(issue, data=data, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    awards = session.exec(select(Award).where(Award.participant_id == world.participant.id)).all()
    assert len(awards) == 2  # the fixture's badge and this one, not three
    public_id = first.headers["location"].split("/")[3]
    credential = session.exec(select(Credential).where(Credential.public_id == public_id)).one()
    assert credential.json_ld["credentialSubject"]["achievement"]["name"]
    assert credential.jwt.count(".") == 2
    assert (
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.action == "award.create")
            .where(AuditEvent.object_id == public_id)
        )
        .one()
        .actor_user_id
        == world.coach.id
    )


def test_every_criterion_must_be_confirmed_and_errors_keep_the_entries(
    coach_client: TestClient, world: World, session: Session
) -> None:
    criteria = _all_criteria(session)
    response = _review(
        coach_client, world, {"criteria": criteria[:1], "narrative": "Hioi laudan <b>hyvin</b>."}
    )
    assert response.status_code == 422
    assert "Merkitse jokainen kriteeri havaituksi" in response.text
    # What was entered is still there (escaped), and the ticked box stays ticked.
    assert "Hioi laudan &lt;b&gt;hyvin&lt;/b&gt;." in response.text
    assert re.search(rf'value="{criteria[0]}" checked', response.text)
    assert not re.search(rf'value="{criteria[1]}" checked', response.text)


def test_missing_narrative_and_bad_dates_are_explained(
    coach_client: TestClient, world: World, session: Session
) -> None:
    response = _review(
        coach_client,
        world,
        {
            "criteria": _all_criteria(session),
            "narrative": " ",
            "activity_start": "2026-11-20",
            "activity_end": "2026-11-01",
        },
    )
    assert response.status_code == 422
    assert "Kerro lyhyesti, mitä henkilö teki" in response.text
    assert "Toiminta ei voi päättyä, ennen kuin se alkaa" in response.text
    not_a_date = _review(
        coach_client,
        world,
        {"criteria": _all_criteria(session), "narrative": "x", "activity_start": "30.11."},
    )
    assert not_a_date.status_code == 422 and "2026-12-01" in not_a_date.text


def test_photo_is_stripped_of_exif_and_location_and_stays_private(
    coach_client: TestClient, client: TestClient, world: World, session: Session
) -> None:
    response = _review(
        coach_client,
        world,
        {"criteria": _all_criteria(session), "narrative": "Kuvassa valmis pönttö."},
        files={"photo": ("IMG_0001.jpg", _jpeg_with_gps(), "image/jpeg")},
    )
    assert response.status_code == 200
    photo = session.exec(
        select(EvidencePhoto).where(EvidencePhoto.participant_id == world.participant.id)
    ).one()
    with Image.open(io.BytesIO(photo.data)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert image.info.get("exif") is None
        assert (image.width, image.height) == (900, 1200)  # turned upright
    assert photo.public_id in response.text
    own = coach_client.get(f"/coach/photos/{photo.public_id}")
    assert own.status_code == 200 and own.headers["content-type"] == "image/jpeg"
    assert "no-store" in own.headers["cache-control"]
    assert client.get(f"/coach/photos/{photo.public_id}", follow_redirects=False).status_code == 303


def test_wrong_type_and_oversized_uploads_are_refused_and_keep_the_form(
    coach_client: TestClient, world: World, session: Session
) -> None:
    data = {"criteria": _all_criteria(session), "narrative": "Teki työn."}
    fake = _review(
        coach_client,
        world,
        data,
        files={"photo": ("kuva.jpg", b"<svg onload=alert(1)>", "image/jpeg")},
    )
    assert fake.status_code == 422
    assert "ei ole luettava JPEG" in fake.text
    assert "Teki työn." in fake.text
    big = _review(
        coach_client,
        world,
        data,
        files={"photo": ("kuva.jpg", b"\xff\xd8" + b"0" * (10 * 1024 * 1024 + 10), "image/jpeg")},
    )
    assert big.status_code == 422
    assert "Kuva on liian suuri" in big.text
    assert session.exec(select(EvidencePhoto)).first() is None


def _issue(client: TestClient, world: World, session: Session, narrative: str, **extra: Any) -> str:
    criteria = _all_criteria(session)
    summary = _review(client, world, {"criteria": criteria, "narrative": narrative, **extra})
    assert summary.status_code == 200, summary.text
    key = KEY_RE.search(summary.text)
    assert key
    response = client.post(
        f"/coach/award/{world.participant.id}/{SLUG}/issue",
        data={
            "csrf_token": csrf_of(summary.text),
            "criteria": criteria,
            "narrative": narrative,
            "idempotency_key": key.group(1),
            **extra,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"]).split("/")[3]


def test_script_in_a_narrative_is_escaped_on_every_page(
    coach_client: TestClient, world: World, session: Session
) -> None:
    narrative = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    public_id = _issue(coach_client, world, session, narrative)
    page = coach_client.get(f"/coach/credentials/{public_id}")
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;" in page.text
    credential = session.exec(select(Credential).where(Credential.public_id == public_id)).one()
    # The credential carries the text as data, exactly as written.
    assert credential.json_ld["evidence"][0]["narrative"] == narrative


def test_revoke_needs_a_reason_and_flips_the_status_bit_at_once(
    coach_client: TestClient, world: World, session: Session
) -> None:
    public_id = world.credential.public_id
    page = f"/coach/credentials/{public_id}"
    refused = post_form(coach_client, page, f"{page}/revoke", {"reason": " "})
    assert refused.status_code == 422 and "Kerro perumisen syy" in refused.text
    # First a page that says what revoking means, with the reason kept; nothing changes yet.
    asked = post_form(coach_client, page, f"{page}/revoke", {"reason": "Väärä henkilö"})
    assert asked.status_code == 200
    assert "Perutaanko merkki?" in asked.text and "Merkkiä ei voi palauttaa voimaan." in asked.text
    assert 'name="reason" value="Väärä henkilö"' in asked.text
    session.expire_all()
    untouched = session.get(Credential, world.credential.id)
    assert untouched is not None and untouched.revoked_at is None
    response = post_form(
        coach_client, page, f"{page}/revoke", {"reason": "Väärä henkilö", "confirmed": "1"}
    )
    assert response.status_code == 200
    assert "Merkki peruttu." in response.text and "Peruttu" in response.text
    session.expire_all()
    credential = session.get(Credential, world.credential.id)
    assert credential is not None and credential.revoked_at is not None
    status_list = session.get(StatusList, credential.status_list_id)
    assert status_list is not None
    assert get_bit(status_list.bits, credential.status_index)
    again = post_form(
        coach_client, page, f"{page}/revoke", {"reason": "uudestaan", "confirmed": "1"}
    )
    assert again.status_code == 422
    assert "Merkki on jo peruttu." in again.text


def test_correcting_revokes_and_reissues_in_one_step(
    coach_client: TestClient, world: World, session: Session
) -> None:
    old = world.credential.public_id
    new = _issue(
        coach_client, world, session, "Korjattu kuvaus.", replaces=old, reason="Väärä kuvaus"
    )
    session.expire_all()
    previous = session.exec(select(Credential).where(Credential.public_id == old)).one()
    replacement = session.exec(select(Credential).where(Credential.public_id == new)).one()
    assert previous.revoked_at is not None and previous.revocation_reason == "Väärä kuvaus"
    assert previous.replaced_by_id == replacement.id
    assert session.get(Award, previous.award_id).state == "replaced"  # type: ignore[union-attr]
    assert replacement.revoked_at is None


def test_correction_needs_a_reason(
    coach_client: TestClient, world: World, session: Session
) -> None:
    response = _review(
        coach_client,
        world,
        {
            "criteria": _all_criteria(session),
            "narrative": "x",
            "replaces": world.credential.public_id,
        },
    )
    assert response.status_code == 422 and "mikä korjattavassa merkissä" in response.text


def test_group_award_issues_to_everyone_chosen_with_their_own_sentence(
    coach_client: TestClient,
    world: World,
    session: Session,
    settings: Settings,
    job_transactions: Callable[..., Any],
) -> None:
    from app.awards.jobs import run_once
    from tests.factories import make_participant

    second = make_participant(session, world.org)
    third = make_participant(session, world.org)
    session.commit()
    page = coach_client.get(f"/coach/group-award/{SLUG}")
    key = KEY_RE.search(page.text)
    assert key
    ids = [world.participant.id, second.id, third.id]
    data = {
        "csrf_token": csrf_of(page.text),
        "idempotency_key": key.group(1),
        "members": [world.participant.id, second.id],
        "criteria": _all_criteria(session),
        "narrative": "Rakensimme yhdessä penkin.",
        "sentence_for": ids,
        "sentence": ["Sahasi osat.", "Maalasi penkin.", ""],
    }
    # First the review: who gets the badge, with their sentences; nothing is queued yet.
    review = coach_client.post(f"/coach/group-award/{SLUG}", data=data)
    assert review.status_code == 200 and "Vahvista merkit" in review.text
    assert "2 henkilöä saa merkin" in review.text and "Maalasi penkin." in review.text
    assert "Myönnä merkki 2 henkilölle" in review.text
    assert session.exec(select(AwardJob)).first() is None
    changed = coach_client.post(f"/coach/group-award/{SLUG}", data={**data, "change": "1"})
    assert changed.status_code == 200 and "Rakensimme yhdessä penkin." in changed.text
    assert session.exec(select(AwardJob)).first() is None
    data["confirmed"] = "1"
    pages = []
    for _ in range(2):  # sent twice: one job, issued once
        response = coach_client.post(f"/coach/group-award/{SLUG}", data=data)
        assert response.status_code == 200
        pages.append(str(response.url))
        assert "Merkkejä myönnetään" in response.text
    assert pages[0] == pages[1] and "/coach/group-award/jobs/" in pages[0]
    assert run_once(job_transactions, settings) == 1
    assert run_once(job_transactions, settings) == 0  # nothing left
    done = coach_client.get(pages[0])
    assert "Merkki myönnetty 2 osallistujalle." in done.text
    # Each awarded person's passport QR code is a tap away on the results.
    assert f'href="/coach/participants/{second.id}/passport-link"' in done.text
    assert coach_client.get(pages[0] + "/progress").json() == {
        "state": "done",
        "total": 2,
        "awarded": 2,
        "failed": 0,
        "pending": 0,
    }
    awards = session.exec(select(Award).where(col(Award.participant_id).in_(ids))).all()
    group_awards = [a for a in awards if a.idempotency_key.startswith("job:")]
    assert sorted(a.participant_id for a in group_awards) == sorted(
        [world.participant.id, second.id]
    )
    narratives = {a.participant_id: a.narrative for a in group_awards}
    assert narratives[second.id] == "Rakensimme yhdessä penkin.\n\nMaalasi penkin."


def test_group_award_with_another_organizations_participant_issues_nothing(
    coach_client: TestClient, world: World, session: Session
) -> None:
    page = coach_client.get(f"/coach/group-award/{SLUG}")
    key = KEY_RE.search(page.text)
    assert key
    response = coach_client.post(
        f"/coach/group-award/{SLUG}",
        data={
            "csrf_token": csrf_of(page.text),
            "idempotency_key": key.group(1),
            "members": [world.participant.id, world.other_participant.id],
            "criteria": _all_criteria(session),
            "narrative": "x",
        },
    )
    assert response.status_code == 404
    assert session.exec(select(AwardJob)).first() is None


def test_issued_page_shows_a_qr_code_that_opens_the_passport_once(
    coach_client: TestClient, world: World, session: Session
) -> None:
    import zxingcpp

    from app.errors import NotFound
    from app.models.base import utcnow
    from app.passport.service import consume_sign_in_token
    from tests.sharing.test_qr import rasterize

    public_id = _issue(coach_client, world, session, "Teki hyllyn.")
    page = coach_client.get(f"/coach/credentials/{public_id}/issued")
    assert page.status_code == 200 and "no-store" in page.headers["cache-control"]
    assert "Merkki myönnetty henkilölle" in page.text
    # A moment for the participant beside the tablet: the badge and what they showed.
    assert f"Hienoa, {world.participant.display_name}!" in page.text
    assert "Näytit, että osaat:" in page.text
    svg = re.search(r"<svg.*?</svg>", page.text, re.S)
    assert svg
    decoded = [r.text for r in zxingcpp.read_barcodes(rasterize(svg.group(0)))]
    assert len(decoded) == 1 and decoded[0].startswith("https://passi.test/passport/sign-in/")
    token = decoded[0].rsplit("/", 1)[1]
    assert consume_sign_in_token(session, token=token, now=utcnow()).id == world.participant.id
    with pytest.raises(NotFound):
        consume_sign_in_token(session, token=token, now=utcnow())
    assert f'href="/coach/award/{world.participant.id}"' in page.text
