"""Reading a request body within a limit, before anything parses it."""

from __future__ import annotations

from fastapi import Request

from app.errors import PayloadTooLarge


async def read_body(request: Request, limit: int) -> bytes:
    """The body, or PayloadTooLarge as soon as it is longer than `limit` bytes (declared or
    sent: a chunked body has no declared length)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The request body may be at most {limit // 1024} KiB.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"The request body may be at most {limit // 1024} KiB.")
    # Starlette replays a cached body to later readers (the form parser); a private
    # attribute, pinned by the upload tests.
    request._body = bytes(body)
    return request._body
