"""Fixtures for the HTML pages: two organizations, signed-in clients, form helpers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from app.config import Settings
from app.models import Credential, Organization, Participant, User
from app.models.users import Role
from tests.factories import (
    PASSWORD,
    issue_badge,
    make_org,
    make_participant,
    make_user,
)

CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
KEY_RE = re.compile(r'name="idempotency_key" value="([^"]+)"')


def csrf_of(html: str) -> str:
    # Every form of the page must carry the token (a macro imported without context once
    # rendered it empty, which only a real browser noticed).
    assert 'name="csrf_token" value=""' not in html, "a form on the page has no CSRF token"
    match = CSRF_RE.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Response:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password, "next": "/coach"},
        follow_redirects=False,
    )


def post_form(
    client: TestClient, page: str, action: str, data: dict[str, Any], **kwargs: Any
) -> Response:
    """Load `page` for its CSRF token, then post `data` to `action` like a browser would."""
    token = csrf_of(client.get(page).text)
    return client.post(action, data={"csrf_token": token, **data}, **kwargs)


@dataclass
class World:
    org: Organization
    admin: User
    coach: User
    participant: Participant
    credential: Credential
    other_org: Organization
    other_coach: User
    other_participant: Participant
    other_credential: Credential


@pytest.fixture
def world(session: Session, settings: Settings, real_catalog: None) -> World:
    org = make_org(session, settings)
    admin = make_user(session, org, Role.admin)
    coach = make_user(session, org)
    participant = make_participant(session, org)
    credential = issue_badge(session, settings, coach=coach, participant=participant)
    other = make_org(session, settings)
    other_coach = make_user(session, other)
    other_participant = make_participant(session, other)
    other_credential = issue_badge(
        session, settings, coach=other_coach, participant=other_participant
    )
    session.commit()
    return World(
        org,
        admin,
        coach,
        participant,
        credential,
        other,
        other_coach,
        other_participant,
        other_credential,
    )


@pytest.fixture
def client_factory(app: FastAPI) -> Iterator[Callable[[], TestClient]]:
    clients: list[TestClient] = []

    def make() -> TestClient:
        client = TestClient(app, base_url="https://passi.test")
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def coach_client(client_factory: Callable[[], TestClient], world: World) -> TestClient:
    client = client_factory()
    assert sign_in(client, world.coach.email).status_code == 303
    return client


@pytest.fixture
def admin_client(client_factory: Callable[[], TestClient], world: World) -> TestClient:
    client = client_factory()
    assert sign_in(client, world.admin.email).status_code == 303
    return client
