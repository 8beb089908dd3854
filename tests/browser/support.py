"""Helpers for browser tests: devices, the prerequisites check, screenshots and axe-core.

Import from here in test modules (`from tests.browser.support import ...`). Playwright is
imported lazily so that this module, and the test modules importing it, can be collected
(and skipped with a clear message) on machines without Playwright.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, ConsoleMessage, Error, Page, Response

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
A11Y_REPORTS = ARTIFACTS / "a11y"

# Debian's Chromium package; Playwright's own browser downloads are never used.
CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"

# WCAG 2.0 and 2.1, levels A and AA (axe-core tag names).
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
FAILING_IMPACTS = ("serious", "critical")


@dataclass(frozen=True)
class Device:
    """A browser context's screen: CSS pixels, pixel ratio, touch."""

    name: str
    width: int
    height: int
    device_scale_factor: float
    is_mobile: bool = True
    has_touch: bool = True

    def context_options(self) -> dict[str, Any]:
        return {
            "viewport": {"width": self.width, "height": self.height},
            "screen": {"width": self.width, "height": self.height},
            "device_scale_factor": self.device_scale_factor,
            "is_mobile": self.is_mobile,
            "has_touch": self.has_touch,
        }


# The coaches' 10-inch Android tablet (800×1280 CSS pixels at 1.5x) both ways round, and a
# participant's phone (390×844 at 3x, the size of common current phones).
TABLET_PORTRAIT = Device("tablet-portrait", 800, 1280, 1.5)
TABLET_LANDSCAPE = Device("tablet-landscape", 1280, 800, 1.5)
PHONE = Device("phone", 390, 844, 3)
DEVICES = (TABLET_PORTRAIT, TABLET_LANDSCAPE, PHONE)
# An employer's or a school's desktop (pages opened from a link or a QR code on a phone, or
# on a laptop).
DESKTOP = Device("desktop", 1440, 900, 1, is_mobile=False, has_touch=False)


def on_devices(*devices: Device) -> pytest.MarkDecorator:
    """Run a test that uses the `page` (or `device`) fixture only on the given devices,
    e.g. `@on_devices(TABLET_LANDSCAPE)`. Without it, such a test runs on all DEVICES."""
    return pytest.mark.parametrize("device", devices, ids=[d.name for d in devices], indirect=True)


def missing_prerequisites() -> list[str]:
    """What is missing for browser tests, each with how to install it (empty: all there)."""
    missing = []
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        missing.append(
            f"Debian's Chromium is not installed at {CHROMIUM}; install it with "
            "`sudo apt-get install -y --no-install-recommends chromium fonts-dejavu-core` "
            "(`playwright install` downloads are not used)"
        )
    for module, package in (
        ("playwright", "playwright"),
        ("axe_playwright_python", "axe-playwright-python"),
    ):
        if importlib.util.find_spec(module) is None:
            missing.append(
                f"the Python package {package} is not installed; install the pinned "
                "versions with `make install` (or `.venv/bin/pip install -r requirements.lock`)"
            )
    return missing


def _artifact_path(folder: Path, name: str, suffix: str) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
        raise ValueError(f"artifact name {name!r}: use letters, digits, '.', '_' and '-'")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}{suffix}"


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG as artifacts/screenshots/<name>.png and return its path."""
    path = _artifact_path(SCREENSHOTS, name, ".png")
    page.screenshot(path=str(path), full_page=True)
    return path


# The check: only the violations come back from the page (the passes and the rest, tens of
# kilobytes a page, are not used).
AXE_RUN = """async ([context, options]) => {
  const results = await axe.run(context || document, options);
  return results.violations;
}"""


def axe_script_path() -> Path:
    """The axe-core script (axe.min.js) bundled with the axe-playwright-python package."""
    from axe_playwright_python.base import AXE_FILE_PATH

    return Path(AXE_FILE_PATH)


@functools.cache
def _axe_script() -> str:
    return axe_script_path().read_text(encoding="utf-8")


def preload_axe(context: BrowserContext) -> None:
    """Load axe-core into every document the context opens, before the page's own scripts.

    For a context that checks many pages: evaluating the 570 kB script after each load (what
    check_a11y does otherwise) costs more than the check of a small page. Init scripts come
    through the DevTools protocol, which the page's Content-Security-Policy does not restrict,
    so the policy stays on; axe only defines `window.axe`.
    """
    context.add_init_script(path=str(axe_script_path()))


def check_a11y(page: Page, name: str, *, context: str | None = None) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.1 A and AA rules) on the page as it is now.

    Fails the test listing every violation of impact serious or critical (rule, help,
    target selectors). All violations, minor and moderate included, are written to
    artifacts/a11y/<name>.json and returned. `context` limits the check to a CSS selector.

    axe is evaluated through the DevTools protocol (page.evaluate), which the page's
    Content-Security-Policy does not restrict, so the test contexts keep the CSP on. It is
    injected only when the document does not have it yet (see preload_axe), and only the
    violations come back from the page.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_script())
    options = {"runOnly": {"type": "tag", "values": list(WCAG_TAGS)}, "resultTypes": ["violations"]}
    violations: list[dict[str, Any]] = page.evaluate(AXE_RUN, [context, options])
    report = _artifact_path(A11Y_REPORTS, name, ".json")
    report.write_text(
        json.dumps({"url": page.url, "violations": violations}, indent=2, ensure_ascii=False),
        encoding="utf-8",
    )
    serious = [v for v in violations if v.get("impact") in FAILING_IMPACTS]
    if serious:
        pytest.fail(
            f"axe-core: {len(serious)} serious/critical WCAG 2.1 A/AA violation(s) on "
            f"{page.url} ({name}; full report {report.relative_to(ROOT)}):\n"
            + format_violations(serious),
            pytrace=False,
        )
    return violations


def format_violations(violations: Sequence[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            # One selector per frame (iframes, shadow roots), outermost first.
            target = " >> ".join(t if isinstance(t, str) else json.dumps(t) for t in node["target"])
            lines.append(f"    at {target}")
    return "\n".join(lines)


# Problems seen by each page: uncaught script errors, Content-Security-Policy violations and
# failed sub-resource loads. The `new_page` fixture records them and fails the test at
# teardown if any remain; a test that provokes one on purpose clears the list.
_PROBLEMS: WeakKeyDictionary[Page, list[str]] = WeakKeyDictionary()
# Browsers ask for /favicon.ico on their own; the service has none (yet).
IGNORED_FAILED_PATHS = frozenset({"/favicon.ico"})


def browser_problems(page: Page) -> list[str]:
    """The page's recorded problems (a mutable list)."""
    return _PROBLEMS.setdefault(page, [])


def record_problems(page: Page) -> None:
    problems = browser_problems(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            problems.append(f"CSP violation on {page.url}: {message.text}")

    def on_page_error(error: Error) -> None:
        problems.append(f"uncaught script error on {page.url}: {error}")

    def on_response(response: Response) -> None:
        request = response.request
        if response.status < 400 or request.is_navigation_request():
            return
        if urlsplit(response.url).path in IGNORED_FAILED_PATHS:
            return
        problems.append(f"{request.method} {response.url} answered {response.status}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("response", on_response)


def expect(actual: Any) -> Any:
    """Playwright's auto-waiting `expect`, imported when called so that test modules can be
    collected (and skipped with a message) where Playwright is missing."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(actual)
