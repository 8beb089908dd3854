"""Share pages kept by what they were made from (decision 0016): sent again only while every
input reads the same, on each instance by itself, with the time of each check."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlmodel import Session

from app.config import Settings
from app.credentials.service import revoke_credential
from app.deps import get_session_factory
from app.main import create_app
from app.models.base import utcnow
from app.sharing import service as sharing
from app.sharing.service import OpenCounts
from app.sharing.view import EXPIRY_WARNING
from app.vc.dates import parse_datetime
from app.web import public
from tests.conftest import bookkeeping_override, session_factory_override
from tests.factories import issue_badge
from tests.web.conftest import World


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens of the pages made (not sent again from those kept), in order."""
    calls: list[str] = []
    make = public._shared_page

    def counting(request: Any, session: Any, settings: Any, token: str, **kw: Any) -> Any:
        calls.append(token)
        return make(request, session, settings, token, **kw)

    monkeypatch.setattr(public, "_shared_page", counting)
    return calls


def _at(monkeypatch: pytest.MonkeyPatch, moment: Any) -> None:
    monkeypatch.setattr(public, "utcnow", lambda: moment)


def _share(session: Session, world: World, *, passport: bool = False) -> str:
    _, token = sharing.create_share_link(
        session,
        participant=world.participant,
        credential_public_id=None if passport else world.credential.public_id,
        now=utcnow(),
    )
    session.commit()
    return token


@pytest.fixture
def second_instance(settings: Settings, connection: Connection) -> Iterator[TestClient]:
    """Another app instance on the same database, with its own kept pages."""
    other: FastAPI = create_app(settings)
    other.dependency_overrides[get_session_factory] = session_factory_override(connection)
    other.state.bookkeeping = bookkeeping_override(connection)
    other.state.open_counts = OpenCounts(other.state.bookkeeping, every=None)
    with TestClient(other, base_url="https://passi.test") as client:
        yield client


def test_a_kept_page_is_sent_again_with_the_time_of_this_check(
    client: TestClient,
    session: Session,
    world: World,
    made: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = _share(session, world)
    first_moment = (utcnow() + timedelta(hours=1)).replace(minute=5)
    _at(monkeypatch, first_moment)
    first = client.get(f"/s/{token}")
    _at(monkeypatch, first_moment + timedelta(minutes=2))
    second = client.get(f"/s/{token}")
    assert first.status_code == second.status_code == 200
    assert made == [token]  # the second one was the kept page
    assert "result-green" in second.text
    # Finnish time (UTC+2 in December, +3 in summer): only the minutes are sure here.
    assert ".05.</p>" in first.text and ".07.</p>" in second.text
    assert public.CHECKED_AT not in second.text
    assert second.headers["cache-control"] == "no-store"
    # Each language is a page of its own.
    swedish = client.get(f"/s/{token}", headers={"Accept-Language": "sv"})
    assert made == [token, token] and 'lang="sv"' in swedish.text and " kl. " in swedish.text


def test_a_revocation_on_another_instance_is_red_on_the_very_next_request(
    client: TestClient,
    second_instance: TestClient,
    session: Session,
    settings: Settings,
    world: World,
    made: list[str],
) -> None:
    one, passport = _share(session, world), _share(session, world, passport=True)
    for instance in (client, second_instance):
        for token in (one, passport):
            page = instance.get(f"/s/{token}")
            assert "result-green" in page.text
    assert len(made) == 4  # each instance made its own pages
    revoke_credential(
        session,
        settings,
        credential=world.credential,
        reason="virhe",
        actor_user_id=None,
        now=utcnow(),
    )
    session.commit()
    for instance in (client, second_instance):
        red = instance.get(f"/s/{one}")
        assert "result-red" in red.text and "result-green" not in red.text
        # The passport no longer shows the revoked badge.
        assert "result-green" not in instance.get(f"/s/{passport}").text
    assert len(made) == 8


def test_a_kept_page_is_made_again_when_its_dates_say_so(
    client: TestClient,
    session: Session,
    settings: Settings,
    world: World,
    made: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kitchen = issue_badge(
        session, settings, coach=world.coach, participant=world.participant, slug="keittio-1"
    )  # valid for 36 months
    _, token = sharing.create_share_link(
        session,
        participant=world.participant,
        credential_public_id=kitchen.public_id,
        now=utcnow(),
    )
    session.commit()
    end = parse_datetime(kitchen.json_ld["validUntil"])
    warning = end - EXPIRY_WARNING
    _at(monkeypatch, warning - timedelta(seconds=30))
    assert "result-green" in client.get(f"/s/{token}").text
    _at(monkeypatch, warning - timedelta(seconds=1))
    assert "result-green" in client.get(f"/s/{token}").text
    assert len(made) == 1
    _at(monkeypatch, warning + timedelta(seconds=1))
    assert "result-amber" in client.get(f"/s/{token}").text  # expires within 30 days
    assert len(made) == 2


def test_a_failed_look_up_is_counted_in_the_database(
    client: TestClient, settings: Settings, session: Session, world: World
) -> None:
    """Guessing is limited across instances: a look-up that finds nothing is counted in the
    shared count (a working link's only in this process)."""
    from sqlmodel import select

    from app.models import RateLimitCounter

    token = _share(session, world)
    for _ in range(3):
        assert client.get(f"/s/{token}").status_code == 200
    assert session.exec(select(RateLimitCounter)).all() == []
    assert client.get("/s/" + "x" * 43).status_code == 404
    counted = session.exec(select(RateLimitCounter)).all()
    assert [c.count for c in counted] == [1]
