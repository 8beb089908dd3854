"""Times on the pages are Finnish time, written as each language writes them (issue #14)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.i18n import current_language
from app.web.templating import format_date, format_datetime


@pytest.mark.parametrize(
    ("language", "winter", "summer"),
    [
        ("fi", "4.12.2026 klo 0.30", "1.7.2026 klo 15.05"),
        ("sv", "4.12.2026 kl. 0.30", "1.7.2026 kl. 15.05"),
        ("en", "4.12.2026 00:30 Finnish time", "1.7.2026 15:05 Finnish time"),
    ],
)
def test_a_moment_is_shown_in_finnish_time(language: str, winter: str, summer: str) -> None:
    token = current_language.set(language)
    try:
        # 22:30 UTC in December is already the next day in Finland (UTC+2); July is UTC+3.
        assert format_datetime(datetime(2026, 12, 3, 22, 30, tzinfo=UTC)) == winter
        assert format_datetime(datetime(2026, 7, 1, 12, 5, tzinfo=UTC)) == summer
        assert format_date(datetime(2026, 12, 3, 22, 30, tzinfo=UTC)) == "4.12.2026"
        assert format_date(date(2026, 12, 3)) == "3.12.2026"
    finally:
        current_language.reset(token)
