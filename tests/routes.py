"""The app's routes for tests that compare themselves with them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from starlette.routing import Route


def every_route(routes: list[Any]) -> Iterator[Route]:
    """Every route in matching order, also inside included routers (FastAPI 0.165 keeps them
    nested); mounted static files are not routes here."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from every_route(inner.routes)
        elif isinstance(route, Route):
            yield route
