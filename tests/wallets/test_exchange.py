"""Badges into the participant's own wallet (issue #15): the VC-API exchange that the
Learner Credential Wallet follows, its request link, and what must be refused."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.awards.service import AwardRequest, badge_criteria, correct_award
from app.config import Settings
from app.credentials.documents import document_loader
from app.credentials.service import revoke_credential
from app.maintenance import clean_up
from app.models import AuditEvent, Credential, WalletOffer
from app.models.base import utcnow
from app.participants.privacy import erase_participant, export_participant_data
from app.passport import service as passport
from app.wallets import service as wallets
from tests.wallets.offers import make_offer
from tests.wallets.simulator import Wallet
from tests.web.conftest import World, csrf_of

ORIGIN = "https://passi.test"
LCW_LINK_RE = re.compile(r'href="(https://lcw\.app/request\.html\?[^"]+)"')


def _holder_client(
    client_factory: Callable[[], TestClient], session: Session, world: World
) -> TestClient:
    assert world.participant.id is not None
    token = passport.issue_passport_token(
        session, coach=world.coach, participant_id=world.participant.id, now=utcnow()
    )
    session.commit()
    client = client_factory()
    assert client.get(f"/passport/{token}", follow_redirects=False).status_code == 303
    return client


def _offer_from_passport(holder: TestClient, credential: Credential) -> dict[str, str]:
    """Tap "Add to a wallet app" on the badge's page: the request link's parameters."""
    page = holder.get(f"/passport/badges/{credential.public_id}")
    assert page.status_code == 200 and "Lisää lompakkosovellukseen" in page.text
    answer = holder.post(
        f"/passport/badges/{credential.public_id}/wallet",
        data={"csrf_token": csrf_of(page.text)},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "private, no-store"
    assert 'id="wallet-qr"' in answer.text and 'role="img"' in answer.text
    match = LCW_LINK_RE.search(answer.text)
    assert match, answer.text
    query = parse_qs(urlsplit(match.group(1).replace("&amp;", "&")).query)
    return {name: values[0] for name, values in query.items()}


def _token(exchange_url: str) -> str:
    return exchange_url.rsplit("/", 1)[1]


@pytest.fixture
def loader(settings: Settings) -> Any:
    return document_loader(settings)


def _receive(
    client: TestClient, wallet: Wallet, exchange_url: str, loader: Any, **did_auth: Any
) -> Any:
    """The wallet's side of the VC-API exchange: ask, prove, receive."""
    start = client.post(exchange_url, json={})
    assert start.status_code == 200, start.text
    request = start.json()["verifiablePresentationRequest"]
    assert request["query"][0]["type"] == "DIDAuthentication"
    assert request["domain"] == ORIGIN
    presentation = wallet.did_auth(
        loader, challenge=request["challenge"], domain=request["domain"], **did_auth
    )
    endpoint = request["interact"]["service"][0]["serviceEndpoint"]
    return client.post(endpoint, json={"verifiablePresentation": presentation})


def _status_of(client: TestClient, credential: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    """Whether the service's verifier accepts the credential, and its status check."""
    verified = client.post("/api/v1/verifications", json={"credential": credential}).json()
    status = next(c for c in verified["checks"] if c["id"] == "status")
    return bool(verified["verified"]), dict(status)


@pytest.mark.parametrize("suite", ["Ed25519Signature2020", "eddsa-rdfc-2022"])
def test_a_wallet_receives_the_badge_bound_to_its_did(
    client_factory: Callable[[], TestClient],
    client: TestClient,
    session: Session,
    world: World,
    loader: Any,
    credential_schema_validator: Any,
    suite: str,
) -> None:
    holder = _holder_client(client_factory, session, world)
    link = _offer_from_passport(holder, world.credential)
    assert link["auth_type"] == "bearer" and link["issuer"].startswith("did:web:passi.test")
    exchange_url = link["vc_request_url"]

    # The interaction URL (the QR code): a wallet asking for JSON learns the protocols.
    interaction = client.get(
        f"/wallet/{_token(exchange_url)}?iuv=1", headers={"Accept": "application/json"}
    )
    assert interaction.status_code == 200
    assert interaction.json()["protocols"]["vcapi"] == exchange_url

    wallet = Wallet()
    answer = _receive(client, wallet, exchange_url, loader, suite=suite)
    assert answer.status_code == 200, answer.text
    (copy,) = answer.json()["verifiablePresentation"]["verifiableCredential"]
    original = world.credential.json_ld
    assert copy["credentialSubject"]["id"] == wallet.did
    assert copy["credentialSubject"]["achievement"] == original["credentialSubject"]["achievement"]
    assert copy["evidence"] == original["evidence"]
    assert copy["credentialStatus"] == original["credentialStatus"]
    assert copy["id"] != original["id"] and copy["id"].startswith("urn:uuid:")
    assert list(credential_schema_validator.iter_errors(copy)) == []  # type: ignore[attr-defined]

    # The project's verifier accepts the copy as it accepts the badge.
    verified = client.post("/api/v1/verifications", json={"credential": copy}).json()
    assert verified["verified"] is True, verified["checks"]

    # The participant sees which wallet has a copy; the audit log has both steps.
    page = holder.get(f"/passport/badges/{world.credential.public_id}")
    assert "Lisätty lompakkosovellukseen" in page.text and wallet.did[-6:] in page.text
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.object_id == world.credential.public_id)
    ).all()
    assert "wallet.offer" in actions and "wallet.deliver" in actions

    # Once: the same presentation again, or a new start, is refused.
    again = client.post(exchange_url, json={})
    assert again.status_code == 410 and again.json()["type"].endswith("offer-used")


def test_the_wallets_request_link_works_without_a_domain(
    client_factory: Callable[[], TestClient],
    client: TestClient,
    session: Session,
    world: World,
    loader: Any,
) -> None:
    """The Learner Credential Wallet's request link (`vc_request_url` with a bearer
    challenge): the wallet presents at once, signed over the challenge without a domain."""
    link = _offer_from_passport(_holder_client(client_factory, session, world), world.credential)
    wallet = Wallet()
    presentation = wallet.did_auth(loader, challenge=link["challenge"], domain=None)
    answer = client.post(link["vc_request_url"], json=presentation)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "VerifiablePresentation" in body["type"]
    assert body["verifiableCredential"][0]["credentialSubject"]["id"] == wallet.did
    offer = session.exec(select(WalletOffer)).one()
    assert offer.protocol == wallets.LCW_LINK and offer.holder_did == wallet.did


@pytest.mark.parametrize(
    ("change", "status", "problem"),
    [
        ({"challenge": "another-challenge"}, 401, "did-authentication-failed"),
        ({"domain": "https://elsewhere.example"}, 401, "did-authentication-failed"),
        ({"purpose": "assertionMethod"}, 401, "did-authentication-failed"),
        ({"holder": "did:key:z6MkwVDfCg9LbbY6xjH3EZk8YSFQZujV5Y4y1ZWeER9tDiN3"}, 401, None),
        ({"tamper": True}, 401, "did-authentication-failed"),
        ({"holder": "https://wallet.example/me"}, 400, "invalid-presentation"),
    ],
)
def test_a_presentation_that_does_not_prove_the_holder_issues_nothing(
    client: TestClient,
    session: Session,
    settings: Settings,
    world: World,
    loader: Any,
    change: dict[str, Any],
    status: int,
    problem: str | None,
) -> None:
    links = make_offer(session, settings, world)
    wallet = Wallet()
    request = client.post(links.exchange_url, json={}).json()["verifiablePresentationRequest"]
    change = dict(change)  # the parameters are shared by both databases' runs
    tamper = change.pop("tamper", False)
    arguments = {"challenge": request["challenge"], "domain": request["domain"], **change}
    presentation = wallet.did_auth(loader, **arguments)
    if tamper:
        presentation["holder"] = wallet.did  # unchanged, but the signed created time moves
        presentation["proof"]["created"] = "2020-01-01T00:00:00Z"
    answer = client.post(links.exchange_url, json={"verifiablePresentation": presentation})
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    if problem:
        assert answer.json()["type"].endswith(problem)
    # Nothing was issued and the offer still works for the real wallet.
    assert session.exec(select(WalletOffer)).one().used_at is None
    good = wallet.did_auth(loader, challenge=request["challenge"], domain=request["domain"])
    ok = client.post(links.exchange_url, json={"verifiablePresentation": good})
    assert ok.status_code == 200, ok.text


def test_unknown_expired_and_malformed(
    client: TestClient, session: Session, settings: Settings, world: World
) -> None:
    assert client.post(f"{ORIGIN}/api/v1/wallet/exchanges/nope", json={}).status_code == 404
    old = make_offer(session, settings, world, now=utcnow() - timedelta(minutes=16))
    expired = client.post(old.exchange_url, json={})
    assert expired.status_code == 410 and expired.json()["type"].endswith("offer-expired")
    gone = client.get(urlsplit(old.interaction_url).path, headers={"Accept": "text/html"})
    assert gone.status_code == 410 and "Koodi on vanhentunut" in gone.text
    links = make_offer(session, settings, world)
    bad = client.post(
        links.exchange_url,
        content=b'{"a": 1, "a": 2}',
        headers={"Content-Type": "application/json"},
    )
    assert bad.status_code == 400
    assert client.post(links.exchange_url, json=[1, 2]).status_code == 400
    big = client.post(links.exchange_url, content=b"{" + b" " * 70_000 + b"}")
    assert big.status_code == 413


def test_revoking_the_badge_revokes_the_wallet_copy(
    client_factory: Callable[[], TestClient],
    client: TestClient,
    session: Session,
    settings: Settings,
    world: World,
    loader: Any,
) -> None:
    links = make_offer(session, settings, world)
    pending = make_offer(session, settings, world)  # made before the revocation, not used
    answer = _receive(client, Wallet(), links.exchange_url, loader)
    (copy,) = answer.json()["verifiablePresentation"]["verifiableCredential"]
    revoke_credential(
        session,
        settings,
        credential=world.credential,
        reason="test",
        actor_user_id=world.coach.id,
        now=utcnow(),
    )
    session.commit()
    verified, status = _status_of(client, copy)
    assert verified is False
    assert status["status"] == "failed" and status["code"] == "revoked", status
    # An offer made before gives nothing now, and a revoked badge is not offered again.
    late = _receive(client, Wallet(), pending.exchange_url, loader)
    assert late.status_code == 409 and late.json()["type"].endswith("conflict")
    holder = _holder_client(client_factory, session, world)
    page = holder.get(f"/passport/badges/{world.credential.public_id}")
    # The page says the wallet's copy is revoked too, and offers no new one.
    assert "Myös lompakkosovelluksissa olevat kopiot on peruttu." in page.text
    assert "/wallet" not in page.text
    refused = holder.post(
        f"/passport/badges/{world.credential.public_id}/wallet",
        data={"csrf_token": csrf_of(page.text)},
    )
    assert refused.status_code == 409 and "Peruttua merkkiä ei voi lisätä" in refused.text


def test_another_participants_badge_cannot_be_offered(
    client_factory: Callable[[], TestClient], session: Session, world: World
) -> None:
    holder = _holder_client(client_factory, session, world)
    page = holder.get(f"/passport/badges/{world.credential.public_id}")
    answer = holder.post(
        f"/passport/badges/{world.other_credential.public_id}/wallet",
        data={"csrf_token": csrf_of(page.text)},
    )
    assert answer.status_code == 404
    assert session.exec(select(WalletOffer)).all() == []


def test_the_coach_shows_a_wallet_code_on_the_issued_page(
    coach_client: TestClient, client: TestClient, session: Session, world: World, loader: Any
) -> None:
    import zxingcpp

    from tests.sharing.test_qr import rasterize

    page = coach_client.get(f"/coach/credentials/{world.credential.public_id}/issued")
    assert page.status_code == 200 and 'id="wallet-qr"' in page.text
    # The wallet app scans the code: the interaction URL, which names the exchange.
    svg = re.search(r'id="wallet-qr">(<svg.*?</svg>)', page.text, re.S)
    assert svg
    (scanned,) = [r.text for r in zxingcpp.read_barcodes(rasterize(svg.group(1)))]
    assert scanned.startswith(f"{ORIGIN}/wallet/") and scanned.endswith("?iuv=1")
    protocols = client.get(scanned, headers={"Accept": "application/json"}).json()["protocols"]
    wallet = Wallet()
    answer = _receive(client, wallet, protocols["vcapi"], loader)
    assert answer.status_code == 200, answer.text
    offer = session.exec(select(WalletOffer)).one()
    assert offer.holder_did == wallet.did
    assert offer.made_by == "coach" and offer.participant_id == world.participant.id
    assert offer.expires_at - offer.created_at == timedelta(minutes=15)
    # The token is only in the QR code; the stored hash does not give it away.
    assert len(offer.token_hash) == 64
    assert (
        session.exec(select(AuditEvent).where(col(AuditEvent.action) == "wallet.offer"))
        .one()
        .actor_user_id
        == world.coach.id
    )


def test_unused_offers_are_cleaned_up_and_used_ones_kept_until_erasure(
    client: TestClient, session: Session, settings: Settings, world: World, loader: Any
) -> None:
    now = utcnow()
    make_offer(session, settings, world, now=now - timedelta(days=2))  # unused, long expired
    make_offer(session, settings, world, now=now)  # unused, still valid
    used = make_offer(session, settings, world, now=now)
    wallet = Wallet()
    ask = client.post(used.exchange_url, json={}).json()["verifiablePresentationRequest"]
    presented = wallet.did_auth(loader, challenge=ask["challenge"], domain=ask["domain"])
    answer = client.post(used.exchange_url, json={"verifiablePresentation": presented})
    assert answer.status_code == 200
    assert clean_up(session, settings, now=now).wallet_offers == 1
    # A day and a quarter of an hour later, only the used one is left: the record of a copy.
    later = now + timedelta(days=1, minutes=15)
    assert clean_up(session, settings, now=later).wallet_offers == 1
    (left,) = session.exec(select(WalletOffer)).all()
    assert left.used_at is not None and left.holder_did == wallet.did

    exported = export_participant_data(session, participant=world.participant, now=now)
    (copy,) = exported["wallet_copies"]
    assert copy["wallet_did"] == wallet.did
    assert copy["credential"] == world.credential.public_id

    erase_participant(session, settings, participant=world.participant, actor_user_id=None, now=now)
    assert session.exec(select(WalletOffer)).all() == []


def test_a_corrected_badge_asks_to_be_added_to_the_wallet_again(
    client_factory: Callable[[], TestClient],
    client: TestClient,
    session: Session,
    settings: Settings,
    world: World,
    loader: Any,
) -> None:
    links = make_offer(session, settings, world)
    (copy,) = _receive(client, Wallet(), links.exchange_url, loader).json()[
        "verifiablePresentation"
    ]["verifiableCredential"]
    assert world.participant.id is not None
    _award, corrected = correct_award(
        session,
        settings,
        coach=world.coach,
        credential=world.credential,
        request=AwardRequest(
            participant_id=world.participant.id,
            badge_slug="puutyo-1",
            criteria_observed=badge_criteria(session, "puutyo-1"),
            narrative="Teki työn hyvin; korjattu päivämäärä.",
            idempotency_key="correction-1",
        ),
        reason="Väärä päivämäärä.",
        now=utcnow(),
    )
    session.commit()
    # The copy in the wallet is revoked with the badge it was made of.
    verified, status = _status_of(client, copy)
    assert verified is False and status["code"] == "revoked", status
    holder = _holder_client(client_factory, session, world)
    page = holder.get(f"/passport/badges/{corrected.public_id}")
    assert "Lisää tämä merkki sovellukseen uudelleen." in page.text
    # Once the corrected badge is in the wallet, the notice is gone.
    again = make_offer(session, settings, world, credential=corrected)
    assert _receive(client, Wallet(), again.exchange_url, loader).status_code == 200
    page = holder.get(f"/passport/badges/{corrected.public_id}")
    assert "uudelleen" not in page.text
