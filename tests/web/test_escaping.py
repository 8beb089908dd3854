"""HTML and script written by people (narratives, names) are escaped on every page that shows
them: the coach's pages, the participant's passport and the public verification page."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.models.base import utcnow
from app.participants.service import create_participant
from app.sharing import service as sharing
from tests.factories import issue_badge
from tests.web.conftest import World
from tests.web.test_passport import open_passport, passport_token

NARRATIVE = '<script>alert("n")</script><img src=x onerror=alert(2)>'
NAME = "<b onmouseover=alert(3)>Eve</b>"


def test_people_written_text_is_escaped_on_every_page(
    coach_client: TestClient,
    client_factory: Callable[[], TestClient],
    world: World,
    session: Session,
    settings: Settings,
) -> None:
    participant = create_participant(session, organization=world.org, display_name=NAME)
    credential = issue_badge(
        session, settings, coach=world.coach, participant=participant, narrative=NARRATIVE
    )
    _, token = sharing.create_share_link(
        session,
        participant=participant,
        credential_public_id=credential.public_id,
        now=utcnow(),
        show_name=True,
        show_evidence=True,
    )
    session.commit()
    holder = client_factory()
    open_passport(holder, passport_token(session, world, participant))
    pages = {
        "coach participant": coach_client.get(f"/coach/participants/{participant.id}"),
        "coach credential": coach_client.get(f"/coach/credentials/{credential.public_id}"),
        "passport": holder.get("/passport"),
        "passport badge": holder.get(f"/passport/badges/{credential.public_id}"),
        "public share": client_factory().get(f"/s/{token}"),
    }
    for where, page in pages.items():
        assert page.status_code == 200, where
        for raw in ("<script>alert", "<img src=x", "<b onmouseover"):
            assert raw not in page.text, f"{where} shows {raw!r} unescaped"
    # The texts are there, escaped, where they are shown.
    assert "&lt;b onmouseover=alert(3)&gt;Eve&lt;/b&gt;" in pages["public share"].text
    assert "&lt;script&gt;" in pages["public share"].text
    assert "&lt;script&gt;" in pages["coach credential"].text
