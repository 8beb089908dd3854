"""The authorization matrix: every HTML route × admin / coach of the same organization /
coach of another organization / signed out.

Objects of one organization must be invisible to every other organization (404, the same
answer as for a missing object); admin pages are for admins (403); signed-out people are sent
to sign in. A new route fails `test_every_route_is_in_the_matrix` until it is added here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.awards.photos import store_photo
from app.models.base import utcnow
from tests.routes import every_route
from tests.web.conftest import World, csrf_of, sign_in
from tests.web.test_award_flow import _jpeg_with_gps

SIGNED_OUT = 303


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    admin: int
    coach: int
    other: int  # a coach of another organization
    data: dict[str, Any] | None = None


OWN = 200
CASES = [
    Case("GET", "/coach", OWN, OWN, OWN),
    Case("GET", "/coach/participants", OWN, OWN, OWN),
    Case("GET", "/coach/participants/new", OWN, OWN, OWN),
    Case("POST", "/coach/participants/new", 303, 303, 303, {"display_name": "Uusi"}),
    Case("GET", "/coach/participants/{pid}", OWN, OWN, 404),
    Case("GET", "/coach/participants/{pid}/edit", OWN, OWN, 404),
    Case("POST", "/coach/participants/{pid}/edit", 303, 303, 404, {"display_name": "Muutettu"}),
    Case("GET", "/coach/participants/{pid}/passport-link", OWN, OWN, 404),
    Case("POST", "/coach/participants/{pid}/passport-link", OWN, OWN, 404),
    Case("GET", "/coach/award", OWN, OWN, OWN),
    Case("GET", "/coach/award/{pid}", OWN, OWN, 404),
    Case("GET", "/coach/award/{pid}/{slug}", OWN, OWN, 404),
    Case("GET", "/coach/award/{pid}?replaces={cid}", OWN, OWN, 404),
    Case("GET", "/coach/award/{pid}/{slug}?replaces={cid}", OWN, OWN, 404),
    Case("POST", "/coach/award/{pid}/{slug}/review", 422, 422, 404, {"narrative": "x"}),
    Case(
        "POST",
        "/coach/award/{pid}/{slug}/issue",
        422,
        422,
        404,
        {"narrative": "x", "idempotency_key": "k" * 20},
    ),
    Case("GET", "/coach/credentials/{cid}", OWN, OWN, 404),
    Case("GET", "/coach/credentials/{cid}/issued", OWN, OWN, 404),
    Case("POST", "/coach/credentials/{cid}/revoke", 422, 422, 404, {"reason": ""}),
    # Without a file: the form answers (422) for the organization, 404 for any other.
    Case("POST", "/coach/credentials/{cid}/photo", 422, 422, 404, {}),
    Case("GET", "/coach/photos/{photo}", OWN, OWN, 404),
    Case("GET", "/coach/group-award", OWN, OWN, OWN),
    Case("GET", "/coach/group-award/{slug}", OWN, OWN, OWN),
    Case(
        # Members of another organization are 404 to org A; org B's coach may award its own.
        "POST",
        "/coach/group-award/{slug}",
        404,
        404,
        422,
        {"members": ["{other_pid}"], "narrative": "x", "idempotency_key": "k" * 20},
    ),
    Case("GET", "/coach/group-award/jobs/{job}", OWN, OWN, 404),
    Case("GET", "/coach/group-award/jobs/{job}/progress", OWN, OWN, 404),
    Case("POST", "/coach/group-award/jobs/{job}/resume", 303, 303, 404),
    Case("GET", "/admin/users", OWN, 403, 403),
    Case("POST", "/admin/users", 422, 403, 403, {"email": "x"}),
    Case("POST", "/admin/users/{uid}/active", 303, 403, 403, {"active": "1"}),
    Case("GET", "/admin/audit", OWN, 403, 403),
    Case("GET", "/admin/audit.csv", OWN, 403, 403),
    Case("GET", "/admin/outbox", OWN, 403, 403),
    Case("GET", "/admin/catalog", OWN, 403, 403),
    # No update of that qualification has been found: nothing to confirm.
    Case("POST", "/admin/catalog/{slug}/confirm", 404, 403, 403),
    Case("GET", "/admin/participants/{pid}/data", OWN, 403, 403),
    Case("POST", "/admin/participants/{pid}/export", OWN, 403, 403),
    # Without the confirmation nothing is erased (the matrix must not erase the fixture).
    Case("POST", "/admin/participants/{pid}/erase", 422, 403, 403),
]
# Routes open to everyone (sign-in itself, the language switch) are tested in test_auth.py.
PUBLIC = {"/login", "/logout", "/lang/{code}"}


def test_every_route_is_in_the_matrix(app: FastAPI) -> None:
    covered = {(c.method, c.path.split("?")[0]) for c in CASES}
    routes = {
        (
            method,
            route.path.replace("{participant_id}", "{pid}")
            .replace("{public_id}", "{cid}")
            .replace("{photo_id}", "{photo}")
            .replace("{user_id}", "{uid}")
            .replace("{job_id}", "{job}"),
        )
        for route in every_route(app.routes)
        if isinstance(route, APIRoute)
        if route.path.startswith(("/coach", "/admin"))
        for method in route.methods
    }
    assert len(routes) > 20, "the routes were not found: the check would pass vacuously"
    assert routes - covered == set(), "add these routes to the authorization matrix"


@pytest.fixture
def photo_id(world: World, session: Session, settings: Any) -> str:
    assert world.coach.id is not None
    photo = store_photo(
        session,
        participant=world.participant,
        uploaded_by_id=world.coach.id,
        data=_jpeg_with_gps(),
        max_bytes=settings.photo_max_bytes,
        now=utcnow(),
    )
    session.commit()
    return photo.public_id


@pytest.fixture
def job_id(world: World, session: Session) -> str:
    """A group award job of org A, given up, so that resuming it has something to do."""
    from app.awards.jobs import create_job
    from app.awards.service import GroupMember, badge_criteria, check_award

    plan = check_award(
        session,
        badge_slug="puutyo-1",
        criteria_observed=badge_criteria(session, "puutyo-1"),
        narrative="Ryhmä rakensi penkin.",
        activity_start=None,
        activity_end=None,
        today=utcnow().date(),
        group=True,
    )
    job = create_job(
        session,
        coach=world.coach,
        plan=plan,
        members=[GroupMember(world.participant.id or 0)],
        idempotency_key="group:matrix-job-0001",
        now=utcnow(),
    )
    job.state = "failed"
    session.add(job)
    session.commit()
    return job.public_id


def _fill(text: str, world: World, photo_id: str, job_id: str) -> str:
    return (
        text.replace("{pid}", str(world.participant.id))
        .replace("{other_pid}", str(world.other_participant.id))
        .replace("{cid}", world.credential.public_id)
        .replace("{slug}", "puutyo-1")
        .replace("{uid}", str(world.coach.id))
        .replace("{photo}", photo_id)
        .replace("{job}", job_id)
    )


def _call(client: TestClient, case: Case, world: World, photo_id: str, job_id: str) -> int:
    path = _fill(case.path, world, photo_id, job_id)
    if case.method == "GET":
        return client.get(path, follow_redirects=False).status_code
    token = csrf_of(client.get("/login").text)
    data = {
        k: _fill(v, world, photo_id, job_id)
        if isinstance(v, str)
        else [_fill(x, world, photo_id, job_id) for x in v]
        for k, v in (case.data or {}).items()
    }
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False).status_code


def test_authorization_matrix(
    client_factory: Callable[[], TestClient], world: World, photo_id: str, job_id: str
) -> None:
    clients: dict[str, TestClient] = {}
    for role, email in (
        ("admin", world.admin.email),
        ("coach", world.coach.email),
        ("other", world.other_coach.email),
    ):
        clients[role] = client_factory()
        assert sign_in(clients[role], email).status_code == 303
    anonymous = client_factory()
    failures = []
    for case in CASES:
        # Signed out first, while the objects are as the fixture made them.
        got = _call(anonymous, case, world, photo_id, job_id)
        if got != SIGNED_OUT:
            failures.append(f"signed-out {case.method} {case.path}: {got}")
        for role in ("other", "coach", "admin"):
            got = _call(clients[role], case, world, photo_id, job_id)
            expected = getattr(case, role)
            if got != expected:
                failures.append(f"{role} {case.method} {case.path}: {got}, expected {expected}")
    assert not failures, "\n".join(failures)


def test_the_other_organizations_coach_changed_nothing(
    client_factory: Callable[[], TestClient],
    world: World,
    session: Session,
    photo_id: str,
    job_id: str,
) -> None:
    other = client_factory()
    assert sign_in(other, world.other_coach.email).status_code == 303
    for case in CASES:
        if case.method == "POST" and case.other == 404:
            _call(other, case, world, photo_id, job_id)
    session.expire_all()
    assert world.participant.display_name.startswith("Osallistuja")
    assert world.credential.revoked_at is None
