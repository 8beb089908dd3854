"""A badge into the participant's wallet app, in a real browser (issue #15): the coach's
wallet QR code read from a screenshot and followed by a wallet app, and the participant's
"Add to a wallet app" on a phone, whose buttons a wallet app follows; the badge's page then
lists both copies. The wallets are the simulators of tests/wallets (the protocols spoken over
HTTP to the live server)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import httpx

from app.config import Settings
from app.credentials.documents import document_loader
from tests.browser.support import PHONE, TABLET_LANDSCAPE, check_a11y, expect, screenshot
from tests.browser.test_passport_pages import (
    coach_makes_passport_link,
    coach_sign_in,
    new_participant,
)
from tests.conftest import STANDARDS
from tests.wallets.simulator import OpenIdWallet, Wallet

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser.conftest import LiveServer

GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def _scan(page: Page, selector: str) -> str:
    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(page.locator(selector).screenshot())))
    assert len(found) == 1
    return str(found[0].text)


def test_a_badge_into_wallet_apps_from_the_tablet_and_the_phone(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    loader = document_loader(Settings(contexts_dir=STANDARDS / "contexts"))
    participant_id, (badge_id,) = new_participant(live_server, ("puutyo-1",))

    # The coach's issued page: the wallet code, behind its summary, read by a wallet app.
    tablet = new_page(TABLET_LANDSCAPE)
    coach_sign_in(tablet, live_server)
    tablet.goto(f"/coach/credentials/{badge_id}/issued")
    tablet.get_by_text("Lisää merkki lompakkosovellukseen", exact=True).click()
    check_a11y(tablet, "coach-issued-wallet")
    interaction = _scan(tablet, "#wallet-qr svg")
    assert interaction.endswith("?iuv=1")
    protocols = httpx.get(interaction, headers={"Accept": "application/json"}).json()["protocols"]
    lcw = Wallet()
    ask = httpx.post(protocols["vcapi"], json={}).json()["verifiablePresentationRequest"]
    presented = lcw.did_auth(loader, challenge=ask["challenge"], domain=ask["domain"])
    answer = httpx.post(protocols["vcapi"], json={"verifiablePresentation": presented})
    assert answer.status_code == 200, answer.text

    # The participant on a phone: "Add to a wallet app", then another wallet app's button.
    phone = new_page(PHONE)
    phone.goto(coach_makes_passport_link(new_page(TABLET_LANDSCAPE), live_server, participant_id))
    phone.goto(f"/passport/badges/{badge_id}")
    phone.get_by_role("button", name="Lisää lompakkosovellukseen").click()
    expect(phone.get_by_role("heading", name="Lisää lompakkosovellukseen")).to_be_visible()
    check_a11y(phone, "passport-wallet-offer")
    screenshot(phone, "passport-wallet-offer-phone")
    link = phone.get_by_role("link", name="Avaa muu lompakkosovellus").get_attribute("href")
    assert link is not None and link.startswith("openid-credential-offer://")
    offer = httpx.get(parse_qs(urlsplit(link).query)["credential_offer_uri"][0]).json()
    issuer = httpx.get(f"{live_server.url}/.well-known/openid-credential-issuer").json()
    token = httpx.post(
        f"{live_server.url}/api/v1/openid4vci/token",
        data={
            "grant_type": GRANT,
            "pre-authorized_code": offer["grants"][GRANT]["pre-authorized_code"],
        },
    ).json()
    wallet = OpenIdWallet("ES256")
    proof = wallet.proof(audience=issuer["credential_issuer"], nonce=token["c_nonce"], by="jwk")
    issued = httpx.post(
        issuer["credential_endpoint"],
        json={
            "credential_configuration_id": "OpenBadgeCredential_jwt_vc_json",
            "proofs": {"jwt": [proof]},
        },
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert issued.status_code == 200, issued.text

    # Both copies on the badge's page, each with the end of its wallet's key.
    phone.goto(f"/passport/badges/{badge_id}")
    copies = phone.locator("ul.wallet-copies li")
    expect(copies).to_have_count(2)
    expect(copies.nth(0)).to_contain_text(lcw.did[-6:])
    expect(copies.nth(1)).to_contain_text(wallet.did[-6:])
    check_a11y(phone, "passport-badge-wallets")
