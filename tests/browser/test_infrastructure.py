"""The browser-test helpers themselves catch what they are meant to catch."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.support import (
    TABLET_LANDSCAPE,
    browser_problems,
    check_a11y,
    on_devices,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page


@on_devices(TABLET_LANDSCAPE)
def test_check_a11y_fails_on_a_serious_violation(page: Page) -> None:
    page.goto("/")
    # A button without a name (axe rule button-name, impact critical).
    page.evaluate("document.querySelector('main').append(document.createElement('button'))")
    with pytest.raises(pytest.fail.Exception) as failure:
        check_a11y(page, "selftest-unnamed-button")
    message = str(failure.value)
    assert "button-name (critical)" in message
    assert message.endswith("\n    at button")


@on_devices(TABLET_LANDSCAPE)
def test_the_service_csp_stays_on_and_violations_are_recorded(page: Page) -> None:
    page.goto("/")
    with pytest.raises(Exception, match="Content Security Policy"):
        page.add_script_tag(content="document.title = 'inline'")
    problems = browser_problems(page)
    assert any(p.startswith("CSP violation on ") for p in problems), problems
    problems.clear()  # provoked on purpose; otherwise the test would fail at teardown
