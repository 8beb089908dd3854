"""Input no part of the service can store (issue #11): a NUL character or an id beyond 64
bits is a 4xx on every route and both databases, never a 500."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.errors import NotFound, UnusableInput
from tests.web.conftest import World, csrf_of


@pytest.fixture
def plain(app: FastAPI) -> TestClient:
    # A 500 is an answer here, not an exception in the test.
    return TestClient(app, base_url="https://passi.test", raise_server_exceptions=False)


@pytest.mark.parametrize(
    "path",
    [
        "/credentials/%00",
        "/credentials/%00/qr.svg",
        "/orgs/%00/did.json",
        "/api/v1/issuers/%00",
        "/s/%00",
        "/passport/%00",
        "/status/%00",
        "/badges/%00/v1/image.svg",
    ],
)
def test_nul_in_a_public_path_is_404(plain: TestClient, path: str) -> None:
    assert plain.get(path).status_code == 404


def test_nul_in_a_query_is_400(plain: TestClient, coach_client: TestClient) -> None:
    assert plain.get("/api/v1/catalog/badges?q=%00").status_code in (400, 404)
    answer = coach_client.get("/coach/participants?q=a%00b")
    assert answer.status_code == 400
    assert "ohjausmerkki" in answer.text


@pytest.mark.parametrize(
    "path",
    [
        "/coach/participants/99999999999999999999",
        "/coach/participants/99999999999999999999/edit",
        "/coach/participants/9223372036854775808",
    ],
)
def test_an_impossible_id_is_404(coach_client: TestClient, path: str) -> None:
    assert coach_client.get(path).status_code == 404


def test_nul_in_a_staff_form_field_is_400_and_saves_nothing(
    coach_client: TestClient, session: Session, world: World
) -> None:
    page = f"/coach/participants/{world.participant.id}/edit"
    token = csrf_of(coach_client.get(page).text)
    answer = coach_client.post(page, data={"csrf_token": token, "display_name": "Ai\x00no"})
    assert answer.status_code == 400
    assert "näkymätön ohjausmerkki" in answer.text
    session.expire_all()
    assert "\x00" not in (session.get(type(world.participant), world.participant.id).display_name)


def test_group_award_member_ids_beyond_64_bits(
    coach_client: TestClient, world: World, session: Session
) -> None:
    from app.awards.service import badge_criteria

    page = coach_client.get("/coach/group-award/puutyo-1")
    assert page.status_code == 200
    answer = coach_client.post(
        "/coach/group-award/puutyo-1",
        data={
            "csrf_token": csrf_of(page.text),
            "idempotency_key": "group-guard-test-0001",
            "members": ["99999999999999999999", str(world.participant.id)],
            # Everything else right, so that the ids reach the database look-up.
            "criteria": badge_criteria(session, "puutyo-1"),
            "narrative": "Teki hyllyn.",
        },
    )
    assert answer.status_code == 404


def test_the_database_guard_refuses_what_the_routes_might_not(session: Session) -> None:
    """JSON bodies and the command line reach the database without the route guard."""
    with pytest.raises(UnusableInput):
        session.execute(text("SELECT :x"), {"x": "a\x00b"})
    session.rollback()
    with pytest.raises(NotFound):
        session.execute(text("SELECT :x"), {"x": 2**64})
    session.rollback()
    assert session.execute(text("SELECT :x"), {"x": 2**63 - 1}).scalar_one() == 2**63 - 1
