"""Badges into any OpenID4VCI wallet (issue #15): the pre-authorized code flow with the
passport PIN as transaction code, a JWT proof of possession, both formats; and what must be
refused, in OAuth's error form, issuing nothing."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.models import AuditEvent, Participant, WalletOffer
from app.models.base import utcnow
from app.passport.service import set_pin
from app.vc.jwt import decode_jws_unverified
from tests.wallets.offers import make_offer
from tests.wallets.simulator import OpenIdWallet
from tests.web.conftest import World

ORIGIN = "https://passi.test"
GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def _offer(session: Session, settings: Settings, world: World, **kw: Any) -> str:
    """A new offer of the participant's badge: its `openid-credential-offer://` link."""
    return make_offer(session, settings, world, **kw).openid4vci_link


def _offer_document(client: TestClient, link: str) -> dict[str, Any]:
    assert link.startswith("openid-credential-offer://?")
    (uri,) = parse_qs(urlsplit(link).query)["credential_offer_uri"]
    answer = client.get(uri)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _access(client: TestClient, offer: dict[str, Any], **form: str) -> Any:
    code = offer["grants"][GRANT]["pre-authorized_code"]
    metadata = client.get("/.well-known/oauth-authorization-server").json()
    return client.post(
        metadata["token_endpoint"],
        data={"grant_type": GRANT, "pre-authorized_code": code, **form},
    )


def _nonce(client: TestClient) -> str:
    issuer = client.get("/.well-known/openid-credential-issuer").json()
    answer = client.post(issuer["nonce_endpoint"])
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    return str(answer.json()["c_nonce"])


def _request(client: TestClient, token: str, body: dict[str, Any]) -> Any:
    return client.post(
        f"{ORIGIN}/api/v1/openid4vci/credential",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )


def _body(wallet: OpenIdWallet, configuration: str, nonce: str, **proof: Any) -> dict[str, Any]:
    jwt = wallet.proof(audience=ORIGIN, nonce=nonce, **proof)
    return {"credential_configuration_id": configuration, "proofs": {"jwt": [jwt]}}


@pytest.mark.parametrize(
    ("configuration", "algorithm", "by"),
    [
        ("OpenBadgeCredential_ldp_vc", "EdDSA", "kid"),
        ("OpenBadgeCredential_jwt_vc_json", "ES256", "jwk"),
        ("OpenBadgeCredential_jwt_vc_json", "EdDSA", "kid"),
    ],
)
def test_a_wallet_receives_the_badge_bound_to_its_key(
    client: TestClient,
    session: Session,
    settings: Settings,
    world: World,
    credential_schema_validator: Any,
    configuration: str,
    algorithm: str,
    by: str,
) -> None:
    issuer = client.get("/.well-known/openid-credential-issuer").json()
    assert issuer["credential_issuer"] == ORIGIN
    assert configuration in issuer["credential_configurations_supported"]
    offer = _offer_document(client, _offer(session, settings, world))
    assert (
        offer["credential_issuer"] == ORIGIN
        and configuration in offer["credential_configuration_ids"]
    )
    assert "tx_code" not in offer["grants"][GRANT]  # she has no PIN

    token = _access(client, offer)
    assert token.status_code == 200, token.text
    assert token.headers["cache-control"] == "no-store"
    wallet = OpenIdWallet(algorithm)
    answer = _request(
        client, token.json()["access_token"], _body(wallet, configuration, _nonce(client), by=by)
    )
    assert answer.status_code == 200, answer.text
    (issued,) = answer.json()["credentials"]
    if configuration.endswith("ldp_vc"):
        document = issued["credential"]
        assert document["credentialSubject"]["id"] == wallet.did
        assert list(credential_schema_validator.iter_errors(document)) == []  # type: ignore[attr-defined]
        checked = client.post("/api/v1/verifications", json={"credential": document}).json()
    else:
        claims = decode_jws_unverified(issued["credential"]).payload
        assert claims["sub"] == wallet.did
        assert claims["credentialSubject"]["id"] == wallet.did
        checked = client.post("/api/v1/verifications", json={"jwt": issued["credential"]}).json()
    assert checked["verified"] is True, checked["checks"]

    row = session.exec(select(WalletOffer)).one()
    assert row.protocol == "openid4vci" and row.holder_did == wallet.did
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.object_id == world.credential.public_id)
    ).all()
    assert "wallet.deliver" in actions
    # Once: the access token, the code and the offer are spent.
    again = _request(
        client, token.json()["access_token"], _body(wallet, configuration, _nonce(client))
    )
    assert again.status_code == 401 and again.json()["error"] == "invalid_token"
    assert again.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert _access(client, offer).json()["error"] == "invalid_grant"


def test_the_passport_pin_is_the_transaction_code(
    client: TestClient, session: Session, settings: Settings, world: World
) -> None:
    set_pin(session, participant=world.participant, pin="2580", now=utcnow())
    session.commit()
    offer = _offer_document(client, _offer(session, settings, world))
    assert offer["grants"][GRANT]["tx_code"]["input_mode"] == "numeric"
    missing = _access(client, offer)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    wrong = _access(client, offer, tx_code="1111")
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    # The wrong code counts toward the PIN's lock, as on the passport's own page.
    session.expire_all()
    assert session.get(Participant, world.participant.id).pin_failures == 1  # type: ignore[union-attr]
    right = _access(client, offer, tx_code="2580")
    assert right.status_code == 200, right.text


@pytest.mark.parametrize(
    ("proof", "error"),
    [
        ({"alg": "none"}, "invalid_proof"),
        ({"alg": "HS256"}, "invalid_proof"),
        ({"typ": "JWT"}, "invalid_proof"),
        ({"audience": "https://elsewhere.example"}, "invalid_proof"),
        ({"issued": time.time() - 3600}, "invalid_proof"),
        ({"nonce": None}, "invalid_nonce"),
        ({"nonce": "1.2.3"}, "invalid_nonce"),
        ({"tamper": True}, "invalid_proof"),
    ],
)
def test_a_proof_that_does_not_hold_issues_nothing(
    client: TestClient,
    session: Session,
    settings: Settings,
    world: World,
    proof: dict[str, Any],
    error: str,
) -> None:
    offer = _offer_document(client, _offer(session, settings, world))
    access = _access(client, offer).json()["access_token"]
    wallet = OpenIdWallet()
    proof = dict(proof)
    tamper = proof.pop("tamper", False)
    arguments: dict[str, Any] = {"audience": ORIGIN, "nonce": _nonce(client), **proof}
    jwt = wallet.proof(**arguments)
    if tamper:  # another key's signature over the same header and claims
        head, claims, _signature = jwt.split(".")
        jwt = ".".join(
            [head, claims, OpenIdWallet().proof(audience=ORIGIN, nonce="x").split(".")[2]]
        )
    body = {"credential_configuration_id": "OpenBadgeCredential_ldp_vc", "proofs": {"jwt": [jwt]}}
    answer = _request(client, access, body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == error, answer.json()
    assert session.exec(select(WalletOffer)).one().used_at is None
    # The real proof still gets the badge.
    good = _request(client, access, _body(wallet, "OpenBadgeCredential_ldp_vc", _nonce(client)))
    assert good.status_code == 200, good.text


def test_a_nonce_is_used_once_and_other_requests_are_refused(
    client: TestClient, session: Session, settings: Settings, world: World
) -> None:
    wallet = OpenIdWallet()
    nonce = _nonce(client)
    first = _access(client, _offer_document(client, _offer(session, settings, world))).json()
    assert (
        _request(
            client, first["access_token"], _body(wallet, "OpenBadgeCredential_ldp_vc", nonce)
        ).status_code
        == 200
    )
    second = _access(client, _offer_document(client, _offer(session, settings, world))).json()
    replay = _request(
        client, second["access_token"], _body(wallet, "OpenBadgeCredential_ldp_vc", nonce)
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_nonce"
    # The token answer's own nonce works (draft 13 wallets use it).
    unknown = _request(client, second["access_token"], _body(wallet, "Diploma", second["c_nonce"]))
    assert unknown.json()["error"] == "unknown_credential_configuration"
    assert _request(client, "not-a-token", {}).status_code == 401
    assert (
        _request(
            client,
            second["access_token"],
            {"credential_configuration_id": "OpenBadgeCredential_ldp_vc"},
        ).json()["error"]
        == "invalid_proof"
    )
    bad = client.post(
        f"{ORIGIN}/api/v1/openid4vci/credential",
        content=b"{",
        headers={"Authorization": f"Bearer {second['access_token']}"},
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_credential_request"
    # Draft 13: format and a single proof, answered with a single credential.
    draft = _request(
        client,
        second["access_token"],
        {
            "format": "jwt_vc_json",
            "credential_definition": {"type": ["VerifiableCredential", "OpenBadgeCredential"]},
            "proof": {
                "proof_type": "jwt",
                "jwt": wallet.proof(audience=ORIGIN, nonce=second["c_nonce"]),
            },
        },
    )
    assert draft.status_code == 200, draft.text
    assert draft.json()["format"] == "jwt_vc_json" and draft.json()["credential"].count(".") == 2


def test_expired_offers_and_wrong_grants(
    client: TestClient, session: Session, settings: Settings, world: World
) -> None:
    old = _offer(session, settings, world, now=utcnow() - timedelta(minutes=16))
    (uri,) = parse_qs(urlsplit(old).query)["credential_offer_uri"]
    assert client.get(uri).status_code == 410
    offer = _offer_document(client, _offer(session, settings, world))
    code = offer["grants"][GRANT]["pre-authorized_code"]
    token_endpoint = f"{ORIGIN}/api/v1/openid4vci/token"
    wrong_grant = client.post(
        token_endpoint, data={"grant_type": "authorization_code", "code": code}
    )
    assert wrong_grant.json()["error"] == "unsupported_grant_type"
    unknown = client.post(
        token_endpoint, data={"grant_type": GRANT, "pre-authorized_code": "x" * 43}
    )
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_grant"


def test_the_interaction_url_and_the_pages_offer_both_protocols(
    client: TestClient, session: Session, settings: Settings, world: World
) -> None:
    link = _offer(session, settings, world)
    token = parse_qs(urlsplit(link).query)["credential_offer_uri"][0].rsplit("/", 1)[1]
    protocols = client.get(f"/wallet/{token}?iuv=1", headers={"Accept": "application/json"}).json()
    assert protocols["protocols"]["OID4VCI"] == link
    page = client.get(f"/wallet/{token}?iuv=1", headers={"Accept": "text/html"})
    assert page.status_code == 200 and 'href="openid-credential-offer://' in page.text
