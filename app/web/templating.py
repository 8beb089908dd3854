"""The Jinja2 environment shared by the HTML pages: autoescaping, gettext, common context."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from app.awards.service import MAX_REASON
from app.config import PROJECT_ROOT
from app.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    current_language,
    gettext,
    ngettext,
    pick,
    picked,
)
from app.names import MAX_NAME
from app.web.markdown import narrative_html


def _common(request: Request) -> dict[str, Any]:
    from app.web.auth import STAFF_KEY
    from app.web.csrf import csrf_token
    from app.web.holder import HOLDER_KEY

    return {
        "lang": current_language.get(),
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        "csrf_token": csrf_token(request),
        "staff": request.scope.get(STAFF_KEY),
        "holder": request.scope.get(HOLDER_KEY),
        "current_path": request.url.path + (("?" + request.url.query) if request.url.query else ""),
        # The admins' outbox page exists outside production only (app/web/admin.py).
        "dev_outbox": _environment(request) != "production",
    }


def _environment(request: Request) -> str:
    settings = getattr(request.app.state, "settings", None)
    return str(getattr(settings, "environment", "production"))


# Times are shown as they are in Finland, where the service and its users are.
FINNISH_TIME = ZoneInfo("Europe/Helsinki")


def _finnish(value: date | datetime) -> date | datetime:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(FINNISH_TIME)
    return value


def format_date(value: date | datetime | None) -> str:
    """Dates the Finnish way (1.12.2026) in every language: short and unambiguous; a moment
    is dated as in Finland."""
    if value is None:
        return ""
    value = _finnish(value)
    return f"{value.day}.{value.month}.{value.year}"


def format_datetime(value: datetime | None) -> str:
    """A moment in Finnish time: "3.12.2026 klo 14.05" (fi), "kl. 14.05" (sv); in English
    with the zone named, for readers abroad."""
    if value is None:
        return ""
    local = _finnish(value)
    assert isinstance(local, datetime)
    language = current_language.get()
    if language == "fi":
        return f"{format_date(local)} klo {local.hour}.{local.minute:02d}"
    if language == "sv":
        return f"{format_date(local)} kl. {local.hour}.{local.minute:02d}"
    return f"{format_date(local)} {local.hour:02d}:{local.minute:02d} {gettext('Finnish time')}"


def format_iso_date(value: str | None) -> str:
    """A date from an ISO 8601 text (as in a credential), the same way as `format_date`."""
    if not value:
        return ""
    try:
        return format_date(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return value


def with_query(path: str, **params: Any) -> str:
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    return path + ("?" + urlencode(clean) if clean else "")


def say(texts: dict[str, str] | object) -> Markup:
    """Catalog or ePerusteet text for the page's body, marked with its language where it is
    not the page's own (a Finnish unit name on an English page): screen readers then read it
    in Finnish, and the browser hyphenates and translates it as Finnish. Not for attributes
    or titles (use `pick` there)."""
    text, language = picked(texts)
    if language == current_language.get():
        return escape(text)
    return Markup('<span lang="{}">{}</span>').format(language, text)


environment = Environment(
    loader=FileSystemLoader(PROJECT_ROOT / "templates"),
    autoescape=select_autoescape(default=True),
    extensions=["jinja2.ext.i18n"],
)
environment.install_gettext_callables(  # type: ignore[attr-defined]
    gettext, ngettext, newstyle=True
)
environment.globals["pick"] = pick
environment.globals["say"] = say
# Field limits the forms show as `maxlength` (the services check them again).
environment.globals["max_name"] = MAX_NAME
environment.globals["max_reason"] = MAX_REASON
environment.globals["with_query"] = with_query
environment.filters["date"] = format_date
environment.filters["datetime"] = format_datetime
environment.filters["isodate"] = format_iso_date
environment.filters["narrative"] = narrative_html
# A badge's criteria are the same text in every credential of that badge: its HTML is a
# pure function of the text, rendered once (Markdown parsing was a tenth of a page's CPU).
# A global, so that every page showing a badge has it (the share preview lacked it).
environment.globals["narrative"] = lru_cache(maxsize=1024)(narrative_html)
templates = Jinja2Templates(env=environment, context_processors=[_common])
