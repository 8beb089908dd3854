"""User-facing languages: Finnish first, Swedish and English.

Messages are written in English in code and templates (`_("...")`) and translated by gettext
catalogs under `locales/<lang>/LC_MESSAGES/messages.po`. The catalogs are compiled in memory at
start-up with Babel, so there is no build step and no compiled file in the repository.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import lru_cache
from gettext import NullTranslations

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from app.config import PROJECT_ROOT

LANGUAGES: tuple[str, ...] = ("fi", "sv", "en")
DEFAULT_LANGUAGE = "fi"
LANGUAGE_NAMES = {"fi": "Suomeksi", "sv": "På svenska", "en": "In English"}
LOCALES_DIR = PROJECT_ROOT / "locales"

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> NullTranslations:
    """The compiled catalog of a language (English is the source language)."""
    po_file = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == "en" or not po_file.is_file():
        return NullTranslations()
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer)


def gettext(message: str) -> str:
    return translations(current_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, n)


_ = gettext


def pick(texts: dict[str, str] | object, language: str | None = None) -> str:
    """The text of a {fi, sv, en} mapping (catalog data) in the current language."""
    return picked(texts, language)[0]


def picked(texts: dict[str, str] | object, language: str | None = None) -> tuple[str, str]:
    """The text of a {fi, sv, en} mapping and the language it is in: the current language,
    else Finnish (ePerusteet has few English texts), else the first there is."""
    language = language or current_language.get()
    if isinstance(texts, dict):
        for candidate in (language, DEFAULT_LANGUAGE):
            if texts.get(candidate):
                return str(texts[candidate]), candidate
        for candidate, value in texts.items():
            return str(value), str(candidate)
        return "", language
    for candidate in (language, DEFAULT_LANGUAGE):
        value = getattr(texts, candidate, None)
        if value:
            return str(value), candidate
    return "", language


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The language from the user's choice (cookie), else the browser's, else Finnish."""
    if cookie in LANGUAGES:
        return cookie
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for part in (accept_language or "").split(","):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower().split("-")[0]
        q = 1.0
        for param in pieces[1:]:
            name, _sep, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag in LANGUAGES and q > best_q:
            best, best_q = tag, q
    return best
