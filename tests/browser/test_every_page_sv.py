"""The tour of every page (see test_every_page.py) in Swedish: a module of its own, so that
pytest-xdist can run it beside the other languages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tests.browser.test_every_page import tour

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser.conftest import LiveServer


def test_every_page_in_swedish(new_page: Callable[..., Page], live_server: LiveServer) -> None:
    tour(new_page, live_server, "sv")
