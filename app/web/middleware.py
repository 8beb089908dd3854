"""Per-request state for the HTML pages: the language and the CSRF cookie.

Plain ASGI, so error pages rendered outside the routes get the same language.
"""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.i18n import current_language, negotiate

LANG_COOKIE = "osp_lang"
CSRF_COOKIE = "osp_csrf"
CSRF_SEED_KEY = "osp.csrf_seed"
YEAR = 365 * 24 * 3600


def _cookies(scope: Scope) -> dict[str, str]:
    # Starlette's parser, as request.cookies uses: lenient like browsers, so one cookie with
    # a name the standard library refuses (set by another app on the same host) does not
    # hide the others. SimpleCookie.load dropped them all, and every form then failed CSRF.
    cookies: dict[str, str] = {}
    for name, value in scope.get("headers") or []:
        if name == b"cookie":
            cookies.update(cookie_parser(value.decode("latin-1")))
    return cookies


class WebStateMiddleware:
    def __init__(self, app: ASGIApp, *, secure_cookies: bool) -> None:
        self.app = app
        self.secure = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookies = _cookies(scope)
        accept_language = dict(scope.get("headers") or []).get(b"accept-language", b"")
        token = current_language.set(
            negotiate(cookies.get(LANG_COOKIE), accept_language.decode("latin-1"))
        )
        seed = cookies.get(CSRF_COOKIE, "")
        new_seed = len(seed) < 32
        if new_seed:
            seed = secrets.token_urlsafe(32)
        scope[CSRF_SEED_KEY] = seed

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start" and new_seed:
                headers = MutableHeaders(scope=message)
                attributes = "Path=/; HttpOnly; SameSite=Lax"
                if self.secure:
                    attributes += "; Secure"
                headers.append("Set-Cookie", f"{CSRF_COOKIE}={seed}; {attributes}")
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            current_language.reset(token)
