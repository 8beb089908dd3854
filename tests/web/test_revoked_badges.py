"""A revoked badge looks revoked to its holder (issue #14): grey in the passport, and a link
to it is not listed as working; the service has an icon."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.credentials.service import revoke_credential
from app.models.base import utcnow
from app.sharing import service as sharing
from tests.web.conftest import World
from tests.web.test_passport import open_passport, passport_token


def test_a_revoked_badge_is_grey_and_its_link_is_not_listed_as_working(
    client_factory: Callable[[], TestClient], world: World, session: Session, settings: Settings
) -> None:
    sharing.create_share_link(
        session,
        participant=world.participant,
        credential_public_id=world.credential.public_id,
        now=utcnow(),
    )
    session.commit()
    holder = client_factory()
    open_passport(holder, passport_token(session, world))
    shares = holder.get("/passport/shares")
    assert "Toimii." in shares.text and "Merkki on peruttu" not in shares.text
    revoke_credential(
        session,
        settings,
        credential=world.credential,
        reason="Väärä merkki",
        actor_user_id=world.coach.id,
        now=utcnow(),
    )
    session.commit()
    shares = holder.get("/passport/shares")
    assert "Merkki on peruttu. Linkki näyttää, ettei se ole voimassa." in shares.text
    assert "Toimii." not in shares.text
    passport = holder.get("/passport")
    card = re.search(
        r'<li class="card[^"]*">\s*<a[^>]*' + world.credential.public_id, passport.text
    )
    assert card and "card-revoked" in card.group(0)


def test_every_page_names_the_icon_and_the_browsers_default_path_finds_it(
    client: TestClient,
) -> None:
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/").text
    answer = client.get("/favicon.ico", follow_redirects=False)
    assert answer.status_code == 301 and answer.headers["location"] == "/static/favicon.svg"
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")


def test_the_header_carries_the_logo(client: TestClient) -> None:
    page = client.get("/").text
    assert '<a class="brand" href="/"><img src="/static/logo.svg" alt=""' in page
    logo = client.get("/static/logo.svg")
    assert logo.status_code == 200 and logo.headers["content-type"].startswith("image/svg+xml")
