"""CSRF protection for every form: a hidden token bound to the browser's CSRF cookie.

The cookie is HttpOnly and random; the token is an HMAC of it under SECRET_KEY, so another
site can neither read nor forge it. SameSite cookies are a second line of defence.

Where the browser has a session (a staff or a passport sign-in), the token is bound to it
too: someone who plants a CSRF cookie of their own (with the token they got for it) in a
signed-in victim's browser still does not have the token for the victim's session.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request

from app.errors import Forbidden
from app.web.auth import SESSION_COOKIE
from app.web.holder import PASSPORT_COOKIE
from app.web.middleware import CSRF_SEED_KEY

SESSION_COOKIES = (SESSION_COOKIE, PASSPORT_COOKIE)


def csrf_token(request: Request) -> str:
    seed: str = request.scope.get(CSRF_SEED_KEY, "")
    sessions = "\x00".join(request.cookies.get(name, "") for name in SESSION_COOKIES)
    secret = request.app.state.settings.secret_key.encode()
    message = b"csrf:" + seed.encode() + b"\x00" + hashlib.sha256(sessions.encode()).digest()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


class CsrfFailed(Forbidden):
    problem = "csrf-failed"
    title = "The form has expired"


async def verify_csrf(request: Request) -> None:
    """Dependency for every state-changing HTML route."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    form = await request.form()
    sent = form.get("csrf_token")
    if not isinstance(sent, str) or not hmac.compare_digest(sent, csrf_token(request)):
        raise CsrfFailed(
            "The form had expired or came from another site. Nothing was saved. "
            "Go back, reload the page and try again."
        )
