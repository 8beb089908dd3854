"""Request ids, access logging and security headers, as plain ASGI middleware."""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.logging import request_id_var

log = logging.getLogger("app.access")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(self), geolocation=(), microphone=()",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
}


# Pages with people's data, for staff or for the participant: never kept by a browser's or a
# proxy's cache (a shared tablet's back button must not show the previous coach's pages).
PRIVATE_PREFIXES = ("/coach", "/admin", "/login", "/logout", "/passport", "/p/")

# The headers above as raw ASGI pairs, encoded once: every answer gets them, and building
# them per answer through MutableHeaders (a scan of the headers per name) cost more than
# the rest of this middleware.
_RAW_SECURITY_HEADERS = tuple(
    (name.lower().encode("latin-1"), value.encode("latin-1"))
    for name, value in SECURITY_HEADERS.items()
)
_RAW_PRIVATE_CACHE = (b"cache-control", b"private, no-store")
_RAW_HSTS = (b"strict-transport-security", b"max-age=31536000")
_REQUEST_ID = b"x-request-id"


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == _REQUEST_ID:
            text = value.decode("latin-1")
            return text if _REQUEST_ID_RE.match(text) else None
    return None


def _add_headers(message: Message, request_id: bytes, private: bool, hsts: bool) -> None:
    """X-Request-ID (replacing any the app set), and the security headers the app did not
    set itself."""
    headers = [
        (name, value) for name, value in message.get("headers") or () if name.lower() != _REQUEST_ID
    ]
    present = {name.lower() for name, _ in headers}
    headers.append((_REQUEST_ID, request_id))
    headers.extend(pair for pair in _RAW_SECURITY_HEADERS if pair[0] not in present)
    if private and _RAW_PRIVATE_CACHE[0] not in present:
        headers.append(_RAW_PRIVATE_CACHE)
    if hsts and _RAW_HSTS[0] not in present:
        headers.append(_RAW_HSTS)
    message["headers"] = headers


# The passport's own pages; any other second segment is a personal passport link's token.
# A page missing here is only logged without its path (fail-safe), never with a token.
_PASSPORT_PAGES = frozenset(
    {"badges", "clr", "data", "pin", "print", "qualifications", "settings", "shares", "sign-out"}
)


def _safe_path(path: str) -> str:
    """Paths that carry secrets (passport, sign-in and share tokens) are logged without them."""
    for prefix in ("/p/", "/s/"):
        if path.startswith(prefix):
            return prefix + "…"
    if path.startswith("/passport/"):
        parts = path.split("/")  # "", "passport", page-or-token, ...
        if parts[2] == "sign-in":
            return "/passport/sign-in/…" if len(parts) > 3 else "/passport/sign-in"
        if parts[2] not in _PASSPORT_PAGES:
            return "/passport/…"
    return path


ErrorRenderer = Callable[[Request, Exception], Awaitable[Response]]


class RequestContextMiddleware:
    """Gives each request an id (or keeps a sane incoming X-Request-ID) and sets headers.

    An unhandled error is answered here, through `on_error` (which logs it), so that the 500
    answer carries the request id and the security headers too (Starlette's outermost error
    middleware would answer it past this one). It is not raised on: uvicorn closes a
    connection whose application raised after answering, which a keep-alive client sees as
    a reset of its next request. Tests ask for it to be raised (`reraise`), to see it.
    """

    def __init__(
        self, app: ASGIApp, *, hsts: bool, on_error: ErrorRenderer, reraise: bool = False
    ) -> None:
        self.app = app
        self.hsts = hsts
        self.on_error = on_error
        self.reraise = reraise

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or secrets.token_hex(8)
        raw_request_id = request_id.encode("latin-1")
        private = scope.get("path", "").startswith(PRIVATE_PREFIXES)
        token = request_id_var.set(request_id)
        start = time.perf_counter()
        status = 500
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                _add_headers(message, raw_request_id, private, self.hsts)
            await send(message)

        try:
            try:
                await self.app(scope, receive, send_wrapper)
            except Exception as exc:
                if started:
                    raise
                response = await self.on_error(Request(scope), exc)
                await response(scope, receive, send_wrapper)
                if self.reraise:
                    raise
        finally:
            log.info(
                "%s %s %s %.1fms",
                scope.get("method"),
                _safe_path(scope.get("path", "")),
                status,
                (time.perf_counter() - start) * 1000,
            )
            request_id_var.reset(token)
