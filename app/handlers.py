"""Exception handlers: problem details for the API, HTML error pages for people."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.imsx import is_ob3_api, status_response
from app.errors import (
    PROBLEM_BASE,
    AppError,
    DatabaseUnavailable,
    RateLimited,
    database_unavailable,
    page_text,
)
from app.web.auth import SignInRequired
from app.web.templating import templates

log = logging.getLogger("app.errors")
HTML_INVALID_INPUT = page_text(
    "Something in the address or the form was not as expected. Go back and check what you entered."
)
PROBLEM_JSON = "application/problem+json"
MACHINE_PATHS = frozenset({"/healthz", "/readyz"})

_HTTP_PROBLEMS = {
    400: ("bad-request", "Bad request"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path in MACHINE_PATHS or is_ob3_api(path):
        return True
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


def _render(
    request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    if is_ob3_api(request.url.path):
        return status_response(status, str(body.get("detail", "")), headers)
    if wants_json(request):
        return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)
    template = f"errors/{status}.html" if status in (403, 404, 429) else "errors/error.html"
    return templates.TemplateResponse(
        request, template, {"problem": body}, status_code=status, headers=headers
    )


async def app_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    if isinstance(exc, SignInRequired) and not wants_json(request):
        return RedirectResponse(exc.location, status_code=303)
    headers = (
        {"Retry-After": str(exc.retry_after)}
        if isinstance(exc, RateLimited | DatabaseUnavailable)
        else None
    )
    return _render(request, exc.status_code, exc.to_problem(request.url.path), headers)


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"location": ".".join(str(p) for p in err.get("loc", ())), "message": err.get("msg", "")}
        for err in exc.errors()
    ]
    body = {
        "type": PROBLEM_BASE + "validation-failed",
        "title": "The input is not valid",
        "status": 422,
        "detail": "; ".join(f"{e['location']}: {e['message']}" for e in errors[:5]),
        "errors": errors,
    }
    if wants_json(request):
        return _render(request, 422, body)
    # A page: an address that does not parse is a page that does not exist; any other input
    # gets a sentence in the page's language, not the validator's English.
    if any(e["location"].startswith("path") for e in errors):
        return _render(request, 404, {**body, "status": 404, "detail": "Not found"})
    return _render(request, 422, {**body, "detail": HTML_INVALID_INPUT})


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    problem, title = _HTTP_PROBLEMS.get(exc.status_code, ("http-error", "Error"))
    body = {
        "type": PROBLEM_BASE + problem,
        "title": title,
        "status": exc.status_code,
        "detail": str(exc.detail),
    }
    return _render(request, exc.status_code, body, dict(exc.headers or {}) or None)


async def database_unavailable_handler(request: Request, exc: Exception) -> Response:
    """The database is unreachable, a connection was cut, a lock or statement timed out, no
    connection was free in time: a 503 the client may retry, never a 500 or a hang."""
    log.warning(
        "database unavailable on %s %s: %s",
        request.method,
        request.url.path,
        type(getattr(exc, "orig", None) or exc).__name__,
    )
    return await app_error_handler(request, database_unavailable())


def _log_unhandled(request: Request, exc: Exception) -> None:
    """Log an unhandled error with its traceback, but never a database error's message
    details: PostgreSQL's DETAIL repeats row values (a narrative, a name, an e-mail address),
    which the logs must not hold. Its primary message and the code's frames are enough."""
    if isinstance(exc, DBAPIError):
        orig = exc.orig
        diag = getattr(orig, "diag", None)
        primary = getattr(diag, "message_primary", None) or str(orig).split("\n", 1)[0]
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error(
            "unhandled database error on %s %s: %s: %s\nTraceback (frames only):\n%s",
            request.method,
            request.url.path,
            type(orig).__name__,
            primary,
            frames,
        )
        return
    log.exception("unhandled error on %s %s", request.method, request.url.path)


async def unhandled_error_handler(request: Request, exc: Exception) -> Response:
    _log_unhandled(request, exc)
    body = {
        "type": PROBLEM_BASE + "internal-error",
        "title": "Internal error",
        "status": 500,
        "detail": "Something went wrong on our side. Nothing was saved. Please try again.",
    }
    return _render(request, 500, body)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, app_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(OperationalError, database_unavailable_handler)
    app.add_exception_handler(PoolTimeout, database_unavailable_handler)
    app.add_exception_handler(Exception, unhandled_error_handler)
