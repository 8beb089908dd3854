"""Share pages and verification answers on two running instances of one database
(decisions 0016 and 0020): each keeps the pages and answers it made, a revocation made on
one is red on the other's very next request, and the openings counted by both add up in the
database within seconds."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from app.models import Credential, Participant
from app.models.base import utcnow
from app.sharing.service import create_share_link
from tests.live import csrf_of, free_port, prepare, signed_in, two_instances

GREEN = "result result-green"
RED = "result result-red"


def _links(database_url: str) -> tuple[str, str, str]:
    """A link to one of Aino's badges, a link to her whole passport, and that badge's id."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        aino = session.exec(
            select(Participant).where(Participant.email == "aino@demo.example.fi")
        ).one()
        _, passport = create_share_link(
            session, participant=aino, credential_public_id=None, now=utcnow()
        )
        badge = session.exec(
            select(Credential.public_id)
            .where(Credential.revoked_at.is_(None))  # type: ignore[union-attr]
            .where(
                Credential.award_id.in_(  # type: ignore[attr-defined]
                    text("SELECT id FROM award WHERE participant_id = :p").bindparams(p=aino.id)
                )
            )
        ).first()
        assert badge is not None
        _, one = create_share_link(
            session, participant=aino, credential_public_id=badge, now=utcnow()
        )
        session.commit()
    engine.dispose()
    return one, passport, badge


def _open_count(database_url: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        total = conn.execute(text("SELECT sum(open_count) FROM share_link")).scalar_one()
    engine.dispose()
    return int(total or 0)


def _jwt(database_url: str, public_id: str) -> str:
    engine = create_engine(database_url)
    with Session(engine) as session:
        jwt = session.exec(select(Credential.jwt).where(Credential.public_id == public_id)).one()
    engine.dispose()
    assert jwt is not None
    return jwt


def _verified(url: str, jwt: str) -> bool:
    answer = httpx.post(f"{url}/api/v1/verifications", json={"jwt": jwt})
    assert answer.status_code == 200, answer.text
    verified: bool = answer.json()["verified"]
    return verified


def _two_instances(tmp_path: Path, database_url: str) -> None:
    port_a, port_b = free_port(), free_port()
    prepare(database_url, port=port_a)
    one, passport, badge = _links(database_url)
    jwt = _jwt(database_url, badge)
    with two_instances(tmp_path, database_url, port_a, port_b) as (url_a, url_b):
        for url in (url_a, url_b):
            for _ in range(3):
                assert GREEN in httpx.get(f"{url}/s/{one}").text
                page = httpx.get(f"{url}/s/{passport}").text
                assert GREEN in page and RED not in page
        for _ in range(3):  # kept by instance A after the second
            assert _verified(url_a, jwt) is True
        with signed_in(url_b) as coach:
            form = coach.get(f"/coach/credentials/{badge}")
            answer = coach.post(
                f"/coach/credentials/{badge}/revoke",
                data={
                    "csrf_token": csrf_of(form.text),
                    "reason": "Myönnetty väärälle.",
                    "confirmed": "1",
                },
            )
            assert answer.status_code in (200, 303), answer.text
        # The very next request on the instance that did not revoke.
        assert _verified(url_a, jwt) is False
        page = httpx.get(f"{url_a}/s/{one}").text
        assert RED in page and GREEN not in page
        assert badge not in httpx.get(f"{url_a}/s/{passport}").text
        # 12 + 2 openings, written by both instances within their second.
        deadline = time.monotonic() + 10
        while (count := _open_count(database_url)) < 14 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert count == 14


def test_share_pages_on_two_instances_of_sqlite(tmp_path: Path) -> None:
    _two_instances(tmp_path, f"sqlite:///{tmp_path / 'two.db'}")


@pytest.mark.postgres
def test_share_pages_on_two_instances_of_postgresql(
    tmp_path: Path, committed_postgres_url: str
) -> None:
    _two_instances(tmp_path, committed_postgres_url)
