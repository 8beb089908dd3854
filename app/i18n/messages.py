"""Extracting translatable messages and updating the catalogs: `make messages`.

Domain errors raised with a literal message (`ValidationFailed("...")`) are catalog entries
too, so the pages can show them in the user's language.
"""

from __future__ import annotations

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from app.config import PROJECT_ROOT
from app.i18n import LANGUAGES, LOCALES_DIR

GETTEXT_KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
}
# Domain errors become page text only in the modules behind the HTML pages; the JSON API,
# the CLI and the trust registry answer in English (with stable problem types for programs).
ERROR_KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "ValidationFailed": None,
    "NotFound": None,
    "Conflict": None,
    "Forbidden": None,
    "PayloadTooLarge": None,
    "UnsupportedMediaType": None,
    "CsrfFailed": None,
    "UnusableInput": None,
    "DatabaseUnavailable": None,
    "OfferUsed": None,
    "OfferExpired": None,
    "add_flash": (2,),
    "page_text": None,
}
METHODS = [("app/**.py", "python"), ("templates/**.html", "jinja2")]
PAGE_MODULES = [
    "app/errors.py",
    "app/handlers.py",
    "app/input_guard.py",
    "app/names.py",
    "app/catalog/updates.py",
] + [
    f"app/{package}/**.py"
    for package in (
        "audit",
        "auth",
        "awards",
        "clr",
        "credentials",
        "host",
        "participants",
        "passport",
        "sharing",
        "users",
        "wallets",
        "web",
    )
]


def extract() -> Catalog:
    """Every message of the code and templates, as a catalog template."""
    catalog = Catalog(project="Osaamispassi")
    passes = [
        (METHODS, GETTEXT_KEYWORDS),
        ([(pattern, "python") for pattern in PAGE_MODULES], ERROR_KEYWORDS),
    ]
    for method_map, keywords in passes:
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            PROJECT_ROOT,
            method_map=method_map,
            keywords=keywords,
            comment_tags=(),
            strip_comment_tags=True,
        ):
            catalog.add(message)
    return catalog


def catalog_path(language: str) -> str:
    return str(LOCALES_DIR / language / "LC_MESSAGES" / "messages.po")


def update() -> dict[str, list[str]]:
    """Merge new messages into each language's catalog; returns the untranslated ones."""
    template = extract()
    untranslated: dict[str, list[str]] = {}
    for language in LANGUAGES:
        if language == "en":
            continue
        path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=language)
        else:
            catalog = Catalog(locale=language, project="Osaamispassi")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with path.open("wb") as handle:
            write_po(handle, catalog, no_location=True, sort_output=True, width=100)
        untranslated[language] = [str(m.id) for m in catalog if m.id and not m.string]
    return untranslated


if __name__ == "__main__":
    for language, missing in update().items():
        print(f"{language}: {len(missing)} untranslated", *missing, sep="\n  ")
    print(f"catalogs in {LOCALES_DIR.relative_to(PROJECT_ROOT)}")
