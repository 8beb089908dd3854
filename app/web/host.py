"""The participant's side of the Open Badges 3.0 API: the consent page a service sends her to,
and the services she has let in, with withdrawing their access (in the passport's settings).

The protocol is Authlib's (app/host/oauth.py); this module only asks the person.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from authlib.oauth2 import OAuth2Error
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.api.threads import in_thread
from app.auth.sessions import add_flash
from app.config import Settings
from app.deps import SessionDep, SessionFactoryDep, SettingsDep
from app.host import AUTHORIZE_PATH, access
from app.host.oauth import Client, HostRequest, HostServer
from app.host.scopes import plain_texts
from app.middleware import SECURITY_HEADERS
from app.models.base import utcnow
from app.web.csrf import verify_csrf
from app.web.holder import (
    AFTER_SIGN_IN_COOKIE,
    HolderDep,
    PassportSignInRequired,
    current_holder,
)
from app.web.templating import templates

router = APIRouter(include_in_schema=False)
CSRF = [Depends(verify_csrf)]
AUTHORIZE = AUTHORIZE_PATH
# Form fields of the consent page that are ours, not the authorization request's.
_OWN_FIELDS = frozenset({"csrf_token", "decision"})


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _oauth_request(settings: Settings, params: list[tuple[str, str]]) -> HostRequest:
    return HostRequest("GET", settings.public_origin + AUTHORIZE, {}, params)


def _refusal(
    request: Request, server: HostServer, oauth_request: HostRequest, error: OAuth2Error
) -> Response:
    """An authorization request that cannot be asked about: back to the service with the
    error when its address is known to be the service's, else a page saying so."""
    if error.redirect_uri:
        _, _, headers = server.handle_error_response(oauth_request, error)
        location = dict(headers).get("Location")
        if location:
            return RedirectResponse(location, status_code=303)
    return _page(request, "participant/consent_error.html", {}, 400)


def _consent_context(client: Client, params: list[tuple[str, str]], scope: str) -> dict[str, Any]:
    metadata = client.metadata
    return {
        "client_name": metadata.get("client_name", ""),
        "site": access.client_site(client.row),
        "tos_uri": metadata.get("tos_uri"),
        "policy_uri": metadata.get("policy_uri"),
        "scopes": plain_texts(scope),
        "params": params,
    }


@router.get(AUTHORIZE, response_class=HTMLResponse)
def consent_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """A service asks for access to the passport: who it is and what it may do, to allow or
    not. A participant who is not signed in signs in first and comes back here."""
    params = list(request.query_params.multi_items())
    oauth_request = _oauth_request(settings, params)
    server = HostServer(session, now=utcnow())
    try:
        grant = server.get_consent_grant(oauth_request)
    except OAuth2Error as error:
        return _refusal(request, server, oauth_request, error)
    try:
        current_holder(request, session, settings)
    except PassportSignInRequired:
        to_sign_in = RedirectResponse("/passport/sign-in", status_code=303)
        to_sign_in.set_cookie(
            AFTER_SIGN_IN_COOKIE,
            f"{AUTHORIZE}?{request.url.query}",
            max_age=30 * 60,
            httponly=True,
            secure=settings.secure_cookies,
            samesite="lax",
            path="/",
        )
        return to_sign_in
    response = _page(
        request,
        "participant/consent.html",
        _consent_context(grant.client, params, oauth_request.payload.scope or ""),
    )
    # The answer redirects the form to the service: a browser follows a form's redirect only
    # to an origin its form-action allows.
    redirect = urlsplit(
        oauth_request.payload.redirect_uri or grant.client.get_default_redirect_uri()
    )
    response.headers["Content-Security-Policy"] = SECURITY_HEADERS[
        "Content-Security-Policy"
    ].replace("form-action 'self'", f"form-action 'self' {redirect.scheme}://{redirect.netloc}")
    return response


@router.post(AUTHORIZE, response_class=HTMLResponse, dependencies=CSRF)
async def consent(request: Request, sessions: SessionFactoryDep, settings: SettingsDep) -> Response:
    """The participant's answer on the consent page. Allowed: a code goes back to the
    service; not: the service hears it was refused. The request is checked again as it came
    back through the form."""
    form = await request.form()
    params = [(k, str(v)) for k, v in form.multi_items() if k not in _OWN_FIELDS]
    allow = form.get("decision") == "allow"

    def work() -> Response:
        with sessions(writes=True) as session:
            holder = current_holder(request, session, settings)
            oauth_request = _oauth_request(settings, params)
            server = HostServer(session, now=utcnow())
            try:
                grant = server.get_consent_grant(oauth_request, end_user=holder.participant)
            except OAuth2Error as error:
                return _refusal(request, server, oauth_request, error)
            _, _, headers = server.create_authorization_response(
                oauth_request, grant_user=holder.participant if allow else None, grant=grant
            )
            return RedirectResponse(dict(headers)["Location"], status_code=303)

    try:
        return await in_thread(work)
    except PassportSignInRequired:
        return RedirectResponse("/passport/sign-in", status_code=303)


# --- the services let in -------------------------------------------------------------------


@router.post("/passport/settings/services/withdraw", dependencies=CSRF)
def withdraw(
    holder: HolderDep,
    session: SessionDep,
    client_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """End a service's access to the passport: its tokens stop working at once."""
    client = access.withdraw_access(session, holder.participant, client_id, now=utcnow())
    add_flash(
        holder.row,
        "{name} can no longer use your passport.",
        name=str(client.client_metadata.get("client_name", "")),
    )
    session.add(holder.row)
    return RedirectResponse("/passport/settings", status_code=303)
