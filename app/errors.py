"""Domain errors that carry their HTTP status. No web framework imports here.

The API renders them as RFC 9457 problem details, the web pages as `templates/errors/*.html`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

PROBLEM_BASE = "https://osaamispassi.fi/problems/"


class AppError(Exception):
    """Base class: a message a person can act on, an HTTP status and a stable problem type."""

    status_code: ClassVar[int] = 500
    problem: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(
        self, detail: str, *, params: Mapping[str, Any] | None = None, **extra: Any
    ) -> None:
        """`detail` is a literal message; with `params` it is a template whose `{name}`
        fields they fill. Pages translate the template, then fill it (app/web/forms.py),
        so the literal is what the message catalogs hold."""
        self.template = detail
        self.params = dict(params or {})
        self.detail = detail.format(**self.params) if self.params else detail
        super().__init__(self.detail)
        self.extra = extra

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.problem

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type_uri,
            "title": self.title,
            "status": self.status_code,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


def page_text(message: str) -> str:
    """Mark a literal stored or passed on as a message that pages translate when they show
    it (the message catalogs hold it; see app/i18n/messages.py)."""
    return message


class BadRequest(AppError):
    status_code = 400
    problem = "bad-request"
    title = "Bad request"


class UnusableInput(BadRequest):
    """Text that no part of the service can store or look up (a NUL character)."""

    problem = "unusable-input"
    title = "The input contains a character that cannot be used"


def nul_in_text() -> UnusableInput:
    """The error for text with a NUL character (the message is translated on pages)."""
    return UnusableInput(
        "The text contains an invisible control character that cannot be saved. Remove it "
        "(or type the text again) and try again."
    )


class ValidationFailed(AppError):
    status_code = 422
    problem = "validation-failed"
    title = "The input is not valid"


class Unauthorized(AppError):
    status_code = 401
    problem = "unauthorized"
    title = "Sign-in required"


class Forbidden(AppError):
    status_code = 403
    problem = "forbidden"
    title = "Not allowed"


class NotFound(AppError):
    status_code = 404
    problem = "not-found"
    title = "Not found"


class Conflict(AppError):
    status_code = 409
    problem = "conflict"
    title = "Conflict"


class Gone(AppError):
    status_code = 410
    problem = "gone"
    title = "Gone"


class PayloadTooLarge(AppError):
    status_code = 413
    problem = "payload-too-large"
    title = "Payload too large"


class UnsupportedMediaType(AppError):
    status_code = 415
    problem = "unsupported-media-type"
    title = "Unsupported media type"


class RateLimited(AppError):
    status_code = 429
    problem = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after


class ServiceUnavailable(AppError):
    status_code = 503
    problem = "service-unavailable"
    title = "Service unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    """The database did not answer in time or could not be reached."""

    retry_after = 5


def database_unavailable() -> DatabaseUnavailable:
    """The 503 for a database that is unreachable or too busy (translated on pages)."""
    return DatabaseUnavailable(
        "The service cannot reach its database just now, or it is very busy. Nothing was "
        "saved. Try again in a moment."
    )


class ConfigurationError(AppError):
    """Raised at start-up; never rendered to a client."""

    status_code = 500
    problem = "configuration-error"
    title = "Configuration error"
