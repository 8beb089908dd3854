"""The interaction URL of a wallet offer: what a wallet app or a phone's camera opens."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.deps import SessionDep, SettingsDep
from app.handlers import wants_json
from app.i18n import gettext as _
from app.models.base import utcnow
from app.sharing.qr import qr_svg
from app.wallets import service as wallets
from app.web.holder import TOKEN_LIMIT
from app.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/wallet/{token}", response_class=HTMLResponse, dependencies=[TOKEN_LIMIT])
def interaction(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """A wallet app (asking for JSON) learns the protocols it can use to receive the badge;
    a browser (a phone's camera) gets a page with a button that opens the wallet app."""
    links = wallets.offer_links(session, settings, token, now=utcnow())
    headers = {"Cache-Control": "no-store"}
    if wants_json(request):
        return JSONResponse(
            {
                "protocols": {
                    "vcapi": links.exchange_url,
                    "lcw": links.lcw_link,
                    "OID4VCI": links.openid4vci_link,
                }
            },
            headers=headers,
        )
    return templates.TemplateResponse(
        request,
        "public/wallet.html",
        {"links": links},
        headers=headers,
    )


def offer_qr(links: wallets.OfferLinks) -> str:
    """The QR code of an offer (its interaction URL), as SVG markup."""
    return qr_svg(links.interaction_url, title=_("QR code: add the badge to a wallet app"))
