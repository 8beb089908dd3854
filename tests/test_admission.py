"""Admission: requests beyond the limit wait their turn; one that waits too long gets a
503 with Retry-After; health checks are never held back."""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app.admission import AdmissionMiddleware
from tests.live import run_async


def _app(limit: int, wait_seconds: float) -> tuple[AdmissionMiddleware, asyncio.Event]:
    release = asyncio.Event()

    async def slow(request: Request) -> PlainTextResponse:
        await release.wait()
        return PlainTextResponse("done")

    async def fast(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    inner = Starlette(
        routes=[Route("/slow", slow), Route("/healthz", fast), Route("/api/v1/x", fast)]
    )
    return AdmissionMiddleware(inner, limit=limit, wait_seconds=wait_seconds), release


def test_requests_wait_their_turn_and_a_long_wait_is_a_503() -> None:
    async def scenario() -> None:
        app, release = _app(limit=1, wait_seconds=0.2)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            first = asyncio.create_task(client.get("/slow"))
            await asyncio.sleep(0.05)
            # The only slot is taken: the health check passes, a page waits and gives up.
            assert (await client.get("/healthz")).text == "ok"
            busy = await client.get("/slow")
            assert busy.status_code == 503 and busy.headers["retry-after"] == "5"
            assert "ruuhkaa" in busy.text and "överbelastad" in busy.text
            api = await client.get("/api/v1/x")
            assert api.status_code == 503
            assert api.headers["content-type"] == "application/problem+json"
            assert api.json()["type"].endswith("/service-unavailable")
            # Once the slot is free, the next request goes in.
            waiting = asyncio.create_task(client.get("/api/v1/x"))
            release.set()
            assert (await first).text == "done"
            assert (await waiting).text == "ok"

    run_async(scenario)
