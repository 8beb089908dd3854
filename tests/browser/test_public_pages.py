"""The public pages in a real browser on the coaches' tablet (both ways round) and a phone:
language, headings, layout without sideways scrolling, WCAG 2.1 AA (axe-core)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from tests.browser.support import DESKTOP, Device, check_a11y, expect, on_devices, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser.conftest import LiveServer


def assert_fits_width(page: Page, device: Device) -> None:
    """Nothing sticks out sideways: no horizontal scrolling on the device."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= device.width, (
        f"{page.url} is {scroll_width} px wide on a {device.width} px wide {device.name}"
    )


def test_home_page(page: Page, device: Device) -> None:
    response = page.goto("/")
    assert response is not None and response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page).to_have_title("Osaamispassi")
    expect(page.get_by_role("heading", level=1)).to_have_text("Osaamispassi")
    expect(page.get_by_role("link", name="Rajapinta oppilaitoksille")).to_have_attribute(
        "href", "/api/docs"
    )
    # A way in for participants too, not only for coaches and schools.
    expect(page.get_by_role("link", name="Avaa omat merkkisi (osallistujat)")).to_have_attribute(
        "href", "/passport/sign-in"
    )
    expect(page.locator("main p").first).to_contain_text("osaamismerkeiksi")
    assert_fits_width(page, device)
    screenshot(page, f"home-{device.name}")
    check_a11y(page, f"home-{device.name}")
    # The language switch on every page: Swedish, then back to Finnish.
    page.get_by_role("link", name="På svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.locator("main p").first).to_contain_text("kompetensmärken")
    check_a11y(page, f"home-sv-{device.name}")
    page.get_by_role("link", name="Suomeksi").click()
    expect(page.locator("html")).to_have_attribute("lang", "fi")


def test_issuer_page(page: Page, device: Device, live_server: LiveServer) -> None:
    response = page.goto("/orgs/demo")
    assert response is not None and response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page).to_have_title("Demosäätiö – Osaamispassi")
    expect(page.get_by_role("heading", level=1)).to_have_text("Demosäätiö")
    host = quote(live_server.url.removeprefix("http://"), safe="")
    expect(page.locator("dd code")).to_have_text(f"did:web:{host}:orgs:demo")
    expect(page.get_by_role("link", name="https://demo.example.fi")).to_be_visible()
    assert_fits_width(page, device)
    screenshot(page, f"issuer-{device.name}")
    check_a11y(page, f"issuer-{device.name}")


def test_skip_link_moves_focus_to_the_content(page: Page, device: Device) -> None:
    """The first Tab reaches the skip link, which becomes visible and leads to <main>."""
    page.goto("/orgs/demo")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Siirry sisältöön")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


@on_devices(DESKTOP)
def test_api_docs_list_the_operations_under_the_strict_policy(page: Page, device: Device) -> None:
    """Swagger UI from the service itself, started without inline script: the operations are
    listed, and the browser reports no Content-Security-Policy violation. On a developer's
    desktop only: what it checks does not depend on the screen, and the tour of every page
    (test_every_page_en.py) checks the page's layout and accessibility at every size."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    response = page.goto("/api/docs")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    operations = page.locator(".opblock-summary-path")
    expect(operations.filter(has_text="/api/v1/verifications").first).to_be_visible()
    assert operations.count() >= 5
    # An operation opens with its description.
    operations.filter(has_text="/api/v1/verifications").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert violations == []
    screenshot(page, f"api-docs-{device.name}")
