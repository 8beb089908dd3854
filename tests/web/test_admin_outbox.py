"""The admins' outbox page (development): the own organization's e-mails with their
sign-in links, in the language the link was asked for; no such page in production."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection
from sqlmodel import Session

from app.config import Environment
from app.mail import outbox
from tests.conftest import session_factory_override
from tests.web.conftest import World, post_form

LINK_RE = re.compile(r'<a href="(https://passi\.test/passport/sign-in/[A-Za-z0-9_-]+)">')


def _ask_for_link(client: TestClient, email: str) -> None:
    response = post_form(client, "/passport/sign-in", "/passport/sign-in", {"email": email})
    assert response.status_code == 200


def test_admin_sees_the_own_organizations_messages_and_can_sign_in_with_the_link(
    admin_client: TestClient,
    client_factory: object,
    world: World,
    session: Session,
    connection: Connection,
) -> None:
    world.participant.email = "aino@example.fi"
    world.other_participant.email = "toinen@example.fi"
    session.add(world.participant)
    session.add(world.other_participant)
    session.commit()
    assert callable(client_factory)
    participant = client_factory()
    participant.get("/lang/sv?next=/passport/sign-in")
    _ask_for_link(participant, "aino@example.fi")
    _ask_for_link(participant, "toinen@example.fi")

    page = admin_client.get("/admin/outbox")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "private, no-store"
    assert 'href="/admin/outbox" aria-current="page"' in page.text
    assert "Lähtevät viestit (kehitys)" in page.text
    assert "aino@example.fi" in page.text and "toinen@example.fi" not in page.text
    # Asked for on a Swedish page: the message is in Swedish.
    assert "Öppna ditt kompetenspass med den här länken." in page.text
    [link] = LINK_RE.findall(page.text)
    opened = participant.get(link)
    assert opened.status_code == 200

    # Once delivered, the page says so and the link is gone from it (and from the database).
    sent: list[str] = []

    class Mailer:
        def send(self, *, to: str, subject: str, body: str) -> None:
            sent.append(to)

    transactions = session_factory_override(connection)()
    outbox.deliver_pending(transactions, mailer=Mailer(), claim_for=timedelta(minutes=2))
    assert sorted(sent) == ["aino@example.fi", "toinen@example.fi"]
    page = admin_client.get("/admin/outbox")
    assert "Lähetetty " in page.text and "Sisältö on tyhjennetty." in page.text
    assert not LINK_RE.findall(page.text)


def test_the_outbox_page_does_not_exist_in_production(
    app: FastAPI, admin_client: TestClient, world: World
) -> None:
    assert 'href="/admin/outbox"' in admin_client.get("/admin/users").text
    app.state.settings = app.state.settings.model_copy(
        update={"environment": Environment.production}
    )
    assert admin_client.get("/admin/outbox").status_code == 404
    assert 'href="/admin/outbox"' not in admin_client.get("/admin/users").text
