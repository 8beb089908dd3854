"""Per-request state for the HTML pages: the language and the CSRF cookie.

Plain ASGI, so error pages rendered outside the routes get the same language.
"""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.i18n import current_language, negotiate

LANG_COOKIE = "osp_lang"
CSRF_COOKIE = "osp_csrf"
CSRF_SEED_KEY = "osp.csrf_seed"
YEAR = 365 * 24 * 3600


def _cookies(scope: Scope) -> dict[str, str]:
    raw = dict(scope.get("headers") or []).get(b"cookie", b"").decode("latin-1")
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:
        return {}
    return {key: morsel.value for key, morsel in jar.items()}


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
