"""Two app instances on one database, two wallets presenting for the same offer at the same
moment, one on each instance: exactly one receives the badge (issue #15)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, col, select

from app.config import Settings
from app.credentials.documents import document_loader
from app.models import AuditEvent, Award, Credential, Participant, WalletOffer
from app.models.base import utcnow
from app.wallets import service as wallets
from tests.conftest import STANDARDS
from tests.live import free_port, prepare, two_instances
from tests.wallets.simulator import OpenIdWallet, Wallet

OFFERS = 4
GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def _offers(database_url: str, origin: str) -> list[str]:
    """Offers of one of Aino's badges (the demo's), as their exchange URLs on `origin`: one
    for each VC-API race, and one for the OpenID4VCI race."""
    settings = Settings(
        environment="test",
        database_url=database_url,
        base_url=origin,
        contexts_dir=STANDARDS / "contexts",
    )
    engine = create_engine(database_url)
    with Session(engine) as session:
        aino = session.exec(
            select(Participant).where(Participant.email == "aino@demo.example.fi")
        ).one()
        credential = session.exec(
            select(Credential)
            .join(Award, col(Award.id) == col(Credential.award_id))
            .where(Award.participant_id == aino.id)
            .where(col(Credential.revoked_at).is_(None))
        ).first()
        assert credential is not None
        urls = [
            wallets.offer_badge(
                session,
                settings,
                credential=credential,
                participant=aino,
                made_by="participant",
                actor_user_id=None,
                now=utcnow(),
            ).exchange_url
            for _ in range(OFFERS + 1)
        ]
        session.commit()
    engine.dispose()
    return urls


def _present(url: str, path: str, body: Any, barrier: Barrier) -> httpx.Response:
    """Send the presentation the moment the other contender sends its own."""
    barrier.wait()
    return httpx.post(f"{url}{path}", json=body, timeout=30)


def _openid4vci_race(url_a: str, url_b: str, token: str) -> None:
    """The same pre-authorized code exchanged on both instances at once: one access token;
    then the credential, once."""
    offer = httpx.get(f"{url_b}/api/v1/openid4vci/offers/{token}").json()
    code = offer["grants"][GRANT]["pre-authorized_code"]
    form = {"grant_type": GRANT, "pre-authorized_code": code}
    barrier = Barrier(2)

    def exchange(url: str) -> httpx.Response:
        barrier.wait()
        return httpx.post(f"{url}/api/v1/openid4vci/token", data=form, timeout=30)

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(exchange, [url_a, url_b]))
    assert sorted(a.status_code for a in answers) == [200, 400], [a.text for a in answers]
    access = next(a for a in answers if a.status_code == 200).json()
    wallet = OpenIdWallet()
    proof = wallet.proof(audience=offer["credential_issuer"], nonce=access["c_nonce"])
    body = {"credential_configuration_id": "OpenBadgeCredential_ldp_vc", "proofs": {"jwt": [proof]}}
    headers = {"Authorization": f"Bearer {access['access_token']}"}
    issued = httpx.post(f"{url_b}/api/v1/openid4vci/credential", json=body, headers=headers)
    assert issued.status_code == 200, issued.text
    (copy,) = issued.json()["credentials"]
    assert copy["credential"]["credentialSubject"]["id"] == wallet.did


def _race(tmp_path: Path, database_url: str) -> None:
    port_a, port_b = free_port(), free_port()
    origin = f"http://127.0.0.1:{port_a}"
    prepare(database_url, port=port_a)
    urls = _offers(database_url, origin)
    loader = document_loader(Settings(contexts_dir=STANDARDS / "contexts"))
    with two_instances(tmp_path, database_url, port_a, port_b) as (url_a, url_b):
        *vc_api, last = urls
        _openid4vci_race(url_a, url_b, last.rsplit("/", 1)[1])
        for url in vc_api:
            path = url.removeprefix(origin)
            request = httpx.post(f"{url_a}{path}", json={}).json()
            ask = request["verifiablePresentationRequest"]
            assert httpx.post(f"{url_b}{path}", json={}).json() == request
            contenders = [Wallet(), Wallet()]
            bodies = [
                {
                    "verifiablePresentation": w.did_auth(
                        loader, challenge=ask["challenge"], domain=ask["domain"]
                    )
                }
                for w in contenders
            ]
            with ThreadPoolExecutor(2) as pool:
                answers = list(
                    pool.map(_present, [url_a, url_b], [path] * 2, bodies, [Barrier(2)] * 2)
                )
            statuses = sorted(answer.status_code for answer in answers)
            assert statuses == [200, 410], [answer.text for answer in answers]
            winner = contenders[[answer.status_code for answer in answers].index(200)]
            (copy,) = next(x for x in answers if x.status_code == 200).json()[
                "verifiablePresentation"
            ]["verifiableCredential"]
            assert copy["credentialSubject"]["id"] == winner.did
        engine = create_engine(database_url)
        with Session(engine) as session:
            offers = session.exec(select(WalletOffer)).all()
            assert len(offers) == OFFERS + 1 and all(o.used_at is not None for o in offers)
            delivered = session.exec(
                select(AuditEvent).where(AuditEvent.action == "wallet.deliver")
            ).all()
            assert len(delivered) == OFFERS + 1
        engine.dispose()


def test_one_offer_gives_one_copy_on_two_instances_of_sqlite(tmp_path: Path) -> None:
    _race(tmp_path, f"sqlite:///{tmp_path / 'two.db'}")


@pytest.mark.postgres
def test_one_offer_gives_one_copy_on_two_instances_of_postgresql(
    tmp_path: Path, committed_postgres_url: str
) -> None:
    _race(tmp_path, committed_postgres_url)
