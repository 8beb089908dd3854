"""The Open Badges 3.0 Host API on two running instances of one database (issue #16): each
step of the OAuth dance may land on either instance, one code exchanged on both at the same
moment gives one set of tokens, and access withdrawn on one ends at once on the other."""

from __future__ import annotations

import base64
import hashlib
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, select

from app.host.scopes import CREDENTIAL_READ, PROFILE_READ
from app.models import Participant, User
from app.models.base import utcnow
from app.passport.service import issue_passport_token
from tests.live import COACH, csrf_of, free_port, prepare, two_instances

API = "/ims/ob/v3p0"
REDIRECT = "https://wallet.example/callback"
SCOPE = f"{CREDENTIAL_READ} {PROFILE_READ}"


def _passport_link(database_url: str) -> tuple[str, str]:
    """A personal passport token of Aino (the demo's participant) and her subject id."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        aino = session.exec(
            select(Participant).where(Participant.email == "aino@demo.example.fi")
        ).one()
        coach = session.exec(select(User).where(User.email == COACH)).one()
        assert aino.id is not None
        token = issue_passport_token(session, coach=coach, participant_id=aino.id, now=utcnow())
        session.commit()
        subject = f"urn:uuid:{aino.public_id}"
    engine.dispose()
    return token, subject


def _dance(tmp_path: Path, database_url: str) -> None:
    port_a, port_b = free_port(), free_port()
    prepare(database_url, port=port_a)
    token, subject = _passport_link(database_url)
    with two_instances(tmp_path, database_url, port_a, port_b) as (url_a, url_b):
        registered = httpx.post(
            f"{url_a}{API}/auth/register",
            json={
                "client_name": "Esimerkkilompakko",
                "client_uri": "https://wallet.example",
                "logo_uri": "https://wallet.example/logo.png",
                "tos_uri": "https://wallet.example/terms",
                "policy_uri": "https://wallet.example/privacy",
                "software_id": "esimerkki",
                "software_version": "1",
                "redirect_uris": [REDIRECT],
                "scope": SCOPE,
            },
        )
        assert registered.status_code == 201, registered.text
        client_id = registered.json()["client_id"]
        secret = registered.json()["client_secret"]
        basic = (client_id, secret)
        verifier = secrets.token_urlsafe(48)
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        query = urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": REDIRECT,
                "scope": SCOPE,
                "state": "s1",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        with httpx.Client(base_url=url_b) as browser:
            opened = browser.get(f"/passport/{token}")
            assert opened.status_code == 303, opened.text
            page = browser.get(f"{API}/auth/authorize?{query}")
            assert page.status_code == 200 and "Esimerkkilompakko" in page.text
            fields = parse_qs(query)
            answer = browser.post(
                f"{API}/auth/authorize",
                data={
                    **{k: v[0] for k, v in fields.items()},
                    "csrf_token": csrf_of(page.text),
                    "decision": "allow",
                },
            )
            assert answer.status_code == 303, answer.text
            code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]

            # The code on both instances at the same moment: one set of tokens.
            barrier = Barrier(2)
            form = {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            }

            def exchange(url: str) -> httpx.Response:
                barrier.wait()
                return httpx.post(f"{url}{API}/auth/token", data=form, auth=basic, timeout=30)

            with ThreadPoolExecutor(2) as pool:
                answers = list(pool.map(exchange, [url_a, url_b]))
            assert sorted(a.status_code for a in answers) == [200, 400], [a.text for a in answers]
            # The loser's replay ended what the winner got (RFC 6749 4.1.2).
            winner = next(a for a in answers if a.status_code == 200).json()
            access = {"Authorization": f"Bearer {winner['access_token']}"}
            assert httpx.get(f"{url_a}{API}/profile", headers=access).status_code == 401

            # Once more, without a race: read on one instance, refresh on the other.
            page = browser.get(f"{API}/auth/authorize?{query}")
            answer = browser.post(
                f"{API}/auth/authorize",
                data={
                    **{k: v[0] for k, v in fields.items()},
                    "csrf_token": csrf_of(page.text),
                    "decision": "allow",
                },
            )
            code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
            tokens = httpx.post(
                f"{url_b}{API}/auth/token", data={**form, "code": code}, auth=basic
            ).json()
            access = {"Authorization": f"Bearer {tokens['access_token']}"}
            profile = httpx.get(f"{url_a}{API}/profile", headers=access)
            assert profile.status_code == 200 and profile.json()["id"] == subject
            listed = httpx.get(f"{url_b}{API}/credentials", headers=access)
            assert listed.status_code == 200 and int(listed.headers["X-Total-Count"]) >= 1
            refreshed = httpx.post(
                f"{url_a}{API}/auth/token",
                data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                auth=basic,
            )
            assert refreshed.status_code == 200, refreshed.text
            access = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
            assert httpx.get(f"{url_b}{API}/profile", headers=access).status_code == 200

            # Withdrawn on one instance: refused on the other at once.
            settings_page = browser.get("/passport/settings")
            assert "Esimerkkilompakko" in settings_page.text
            withdrawn = browser.post(
                "/passport/settings/services/withdraw",
                data={"csrf_token": csrf_of(settings_page.text), "client_id": client_id},
            )
            assert withdrawn.status_code == 303
            assert httpx.get(f"{url_a}{API}/profile", headers=access).status_code == 401


def test_the_host_api_on_two_instances_of_sqlite(tmp_path: Path) -> None:
    _dance(tmp_path, f"sqlite:///{tmp_path / 'host.db'}")


@pytest.mark.postgres
def test_the_host_api_on_two_instances_of_postgresql(
    tmp_path: Path, committed_postgres_url: str
) -> None:
    _dance(tmp_path, committed_postgres_url)
