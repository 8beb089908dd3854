"""Admin pages: coaches, the audit log with filters and CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth.passwords import MIN_PASSWORD_LENGTH
from app.models import AuditEvent, Award, EvidencePhoto, User
from app.names import MAX_NAME
from tests.web.conftest import World, post_form, sign_in
from tests.web.test_award_flow import KEY_RE, _all_criteria, _review, csrf_of


def test_admin_adds_a_coach_who_can_then_sign_in(
    admin_client: TestClient, client: TestClient, world: World, session: Session
) -> None:
    response = post_form(
        admin_client,
        "/admin/users",
        "/admin/users",
        {
            "display_name": "Uusi Valmentaja",
            "email": "uusi@example.fi",
            "password": "pitkä-salasana-1",
            "role": "coach",
        },
    )
    assert response.status_code == 200 and "Käyttäjätili luotu." in response.text
    user = session.exec(select(User).where(User.email == "uusi@example.fi")).one()
    assert user.organization_id == world.org.id and user.role == "coach"
    assert sign_in(client, "uusi@example.fi", "pitkä-salasana-1").status_code == 303


def test_adding_a_coach_with_bad_input_explains_and_keeps_the_entries(
    admin_client: TestClient, world: World
) -> None:
    response = post_form(
        admin_client,
        "/admin/users",
        "/admin/users",
        {"display_name": "Lyhyt", "email": "lyhyt@example.fi", "password": "short"},
    )
    assert response.status_code == 422
    assert 'value="lyhyt@example.fi"' in response.text
    # The service's message, with its number, in the page's language (Finnish by default).
    assert f"Salasanassa on oltava vähintään {MIN_PASSWORD_LENGTH} merkkiä." in response.text
    duplicate = post_form(
        admin_client,
        "/admin/users",
        "/admin/users",
        {"display_name": "X", "email": world.coach.email, "password": "pitkä-salasana-1"},
    )
    assert duplicate.status_code == 422
    assert f"Käyttäjä, jonka sähköpostiosoite on {world.coach.email}, on jo olemassa." in (
        duplicate.text
    )


def test_a_too_long_participant_name_is_explained_in_the_pages_language(
    coach_client: TestClient,
) -> None:
    long_name = "A" * (MAX_NAME + 1)
    response = post_form(
        coach_client,
        "/coach/participants/new",
        "/coach/participants/new",
        {"display_name": long_name},
    )
    assert response.status_code == 422
    assert f"Nimessä voi olla enintään {MAX_NAME} merkkiä." in response.text
    coach_client.get("/lang/sv?next=/coach")
    again = post_form(
        coach_client,
        "/coach/participants/new",
        "/coach/participants/new",
        {"display_name": long_name},
    )
    assert f"Namnet får ha högst {MAX_NAME} tecken." in again.text


def test_audit_log_shows_sign_ins_and_awards_and_filters_them(
    admin_client: TestClient, coach_client: TestClient, world: World, session: Session
) -> None:
    page = admin_client.get("/admin/audit")
    assert page.status_code == 200
    assert "login.success" in page.text and "award.create" in page.text
    only_logins = admin_client.get("/admin/audit?action=login")
    assert "login.success" in only_logins.text and "award.create" not in only_logins.text
    by_coach = admin_client.get(f"/admin/audit?user={world.coach.id}&action=award")
    assert "award.create" in by_coach.text
    future = admin_client.get("/admin/audit?date_from=2999-01-01")
    assert "login.success" not in future.text
    bad = admin_client.get("/admin/audit?date_from=yesterday")
    assert bad.status_code == 422


def test_audit_csv_export_is_recorded_and_safe_for_spreadsheets(
    admin_client: TestClient, client: TestClient, world: World, session: Session
) -> None:
    sign_in(client, '=HYPERLINK("http://x")@example.fi', "wrong")  # a failed sign-in
    response = admin_client.get("/admin/audit.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:2] == ["time", "action"]
    assert {"login.success", "award.create"} <= {r[1] for r in rows[1:]}
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "audit.export")).one()
    # Events of another organization are not in this one's export.
    assert all(world.other_coach.email not in ",".join(r) for r in rows)


def test_failed_sign_in_of_an_unknown_address_is_not_in_any_organizations_log(
    admin_client: TestClient, client: TestClient, world: World
) -> None:
    sign_in(client, "nobody@example.fi", "wrong")
    assert "nobody@example.fi" not in admin_client.get("/admin/audit.csv").text


def test_admin_cannot_deactivate_themselves(admin_client: TestClient, world: World) -> None:
    response = post_form(
        admin_client, "/admin/users", f"/admin/users/{world.admin.id}/active", {"active": "0"}
    )
    assert "Et voi poistaa omaa tiliäsi käytöstä." in response.text
    assert admin_client.get("/coach").status_code == 200


def test_an_award_that_fails_to_sign_leaves_nothing_behind(
    app: FastAPI, world: World, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.web.test_award_flow import SLUG, _jpeg_with_gps

    coach_client = TestClient(app, base_url="https://passi.test", raise_server_exceptions=False)
    assert sign_in(coach_client, world.coach.email).status_code == 303
    criteria = _all_criteria(session)
    summary = _review(
        coach_client,
        world,
        {"criteria": criteria, "narrative": "Teki työn."},
        files={"photo": ("k.jpg", _jpeg_with_gps(), "image/jpeg")},
    )
    photo = session.exec(select(EvidencePhoto)).one()
    key = KEY_RE.search(summary.text)
    assert key

    def broken_signer(*args: object, **kwargs: object) -> None:
        raise RuntimeError("HSM unavailable")

    monkeypatch.setattr("app.credentials.service.dataintegrity.sign_hashed", broken_signer)
    before = len(session.exec(select(Award)).all())
    response = coach_client.post(
        f"/coach/award/{world.participant.id}/{SLUG}/issue",
        data={
            "csrf_token": csrf_of(summary.text),
            "criteria": criteria,
            "narrative": "Teki työn.",
            "photo_id": photo.public_id,
            "idempotency_key": key.group(1),
        },
    )
    assert response.status_code == 500
    assert "Mitään ei tallennettu" in response.text or "Nothing was saved" in response.text
    session.expire_all()
    assert len(session.exec(select(Award)).all()) == before
    assert session.exec(select(EvidencePhoto)).one().award_id is None


def test_a_name_with_a_direction_override_is_refused_on_the_form_with_the_input_kept(
    coach_client: TestClient,
) -> None:
    response = post_form(
        coach_client,
        "/coach/participants/new",
        "/coach/participants/new",
        {"display_name": "\u202eoniA", "email": "aino@example.fi"},
    )
    assert response.status_code == 422
    assert "muuttaa tekstin suuntaa" in response.text
    assert "aino@example.fi" in response.text
    blank = post_form(
        coach_client,
        "/coach/participants/new",
        "/coach/participants/new",
        {"display_name": "\u200b\u3164"},
    )
    assert blank.status_code == 422
