"""Input that no part of the service can store or look up, refused before any route runs.

PostgreSQL refuses text with a NUL character and both databases refuse integers beyond 64
bits; either reached the database from a path, a query or a form and came back as a 500.
`refuse_unusable_input` runs for every route (an application-wide dependency) and answers
with a 4xx instead; `app.db` checks statement parameters too, for input that arrives
another way (JSON bodies, the command line).
"""

from __future__ import annotations

from fastapi import Request

from app.api.imsx import is_ob3_api
from app.errors import NotFound, nul_in_text

# Every id fits a signed 64-bit integer (PostgreSQL bigint, SQLite INTEGER): 19 digits can
# already exceed it, and no id of ours has that many.
MAX_ID_DIGITS = 18
NUL = "\x00"
NUL_MESSAGE = (
    "The text contains a control character (NUL) that cannot be saved. Remove it and try again."
)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def too_long_for_an_id(value: str) -> bool:
    return value.isdigit() and len(value) > MAX_ID_DIGITS


def _query_may_hold_nul(query: bytes) -> bool:
    # A decoded query holds a NUL only where the raw one has "%00" or a NUL byte: `+` is a
    # space, other escapes are other bytes, and invalid UTF-8 becomes U+FFFD. Most queries
    # (and every verification request) are settled by this test, without parsing.
    return b"%00" in query or b"\x00" in query


async def refuse_unusable_input(request: Request) -> None:
    """A NUL or an impossible id in the path is 404 (no such thing exists); a NUL in the
    query or in a submitted form is 400 with a message saying what to remove."""
    # Runs on every request: the cheap tests first, and Request's parsed views (the query,
    # the URL, the headers) only where they can find something.
    scope = request.scope
    for value in scope.get("path_params", {}).values():
        if isinstance(value, str) and (NUL in value or too_long_for_an_id(value)):
            raise NotFound("No such page.")
    if _query_may_hold_nul(scope.get("query_string", b"")):
        for key, value in request.query_params.multi_items():
            if NUL in key or NUL in value:
                raise nul_in_text()
    if (
        request.method not in ("GET", "HEAD", "OPTIONS")
        and request.headers.get("content-type", "").startswith(FORM_TYPES)
        # The APIs read their bodies themselves.
        and not request.url.path.startswith("/api/")
        and not is_ob3_api(request.url.path)
    ):
        # The form is parsed once: FastAPI already did so for the route's Form parameters.
        form = await request.form()
        for key, item in form.multi_items():
            if NUL in key or (isinstance(item, str) and NUL in item):
                raise nul_in_text()
