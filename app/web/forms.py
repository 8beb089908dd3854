"""Small helpers for the HTML forms: errors a person can act on, translated."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from fastapi.responses import Response

from app.errors import AppError
from app.i18n import gettext

# The framework's bound on a text field of a form: far above every rule of the services, so
# that a value over a rule's limit reaches the rule and is answered on the form with what was
# typed kept (the browser's maxlength stops most of them first). Only a value beyond this
# bound, which no person types, gets the generic error page.
FORM_TEXT_BOUND = 20_000


def error_text(exc: AppError) -> str:
    """The domain error's message in the page's language (messages are catalog entries)."""
    text = gettext(exc.template)
    return text.format(**exc.params) if exc.params else text


def error_texts(errors: Mapping[str, AppError]) -> dict[str, str]:
    """A service's errors by form field, in the page's language."""
    return {name: error_text(error) for name, error in errors.items()}


def form_date(value: str, errors: dict[str, str], name: str) -> date | None:
    """Parse an optional YYYY-MM-DD field, noting a translated error instead of raising."""
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[name] = gettext("Give the date as day, month and year, e.g. 2026-12-01.")
        return None


def private_download(body: bytes | str, *, media_type: str, filename: str) -> Response:
    """A file to save (never shown inline), kept out of every cache."""
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )
