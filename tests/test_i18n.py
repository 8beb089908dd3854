"""Languages: complete fi/sv catalogs, the language switch, negotiation, `lang` per page."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from app.i18n import LANGUAGES, negotiate
from app.i18n.messages import catalog_path, extract

PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)[ds]")


@pytest.fixture(scope="module")
def extracted() -> list[str | tuple[str, ...]]:
    return [m.id for m in extract() if m.id]


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_text_is_translated_with_the_same_placeholders(
    language: str, extracted: list[str | tuple[str, ...]]
) -> None:
    with open(catalog_path(language), "rb") as handle:
        catalog = read_po(handle, locale=language)
    missing, wrong = [], []
    for msgid in extracted:
        message = catalog.get(msgid)
        strings = message.string if message else None
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            missing.append(msgid)
            continue
        source = msgid if isinstance(msgid, str) else msgid[0]
        for text in strings if isinstance(strings, tuple) else (strings,):
            if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(source)):
                wrong.append((msgid, text))
    assert not missing, f"run `make messages` and translate: {missing}"
    assert not wrong, wrong


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_the_catalogs_hold_no_text_the_code_no_longer_marks(
    language: str, extracted: list[str | tuple[str, ...]]
) -> None:
    """A text that stops being extracted while the code still shows it (passed on as a plain
    string instead of through `page_text`, say) would lose its translation at the next
    `make messages`; a stale entry says so first."""
    with open(catalog_path(language), "rb") as handle:
        catalog = read_po(handle, locale=language)
    marked = {msgid if isinstance(msgid, str) else msgid[0] for msgid in extracted}
    stale = [
        m.id for m in catalog if m.id and (m.id if isinstance(m.id, str) else m.id[0]) not in marked
    ]
    assert not stale, (
        "no longer extracted: mark them for translation where the code still uses them "
        f"(page_text), or run `make messages` to drop them: {stale}"
    )


def test_negotiation_prefers_the_choice_then_the_browser_then_finnish() -> None:
    assert negotiate(None, None) == "fi"
    assert negotiate(None, "de-DE,de;q=0.9") == "fi"
    assert negotiate(None, "sv-FI,sv;q=0.9,en;q=0.8") == "sv"
    assert negotiate(None, "de;q=1.0,en;q=0.5,sv;q=0.7") == "sv"
    assert negotiate("en", "sv") == "en"
    assert negotiate("xx", None) == "fi"


def test_language_switch_remembers_the_choice(client: TestClient) -> None:
    page = client.get("/login")
    assert '<html lang="fi">' in page.text and "Kirjaudu sisään" in page.text
    response = client.get("/lang/sv?next=/login", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert "osp_lang=sv" in response.headers["set-cookie"]
    swedish = client.get("/login")
    assert '<html lang="sv">' in swedish.text and "Logga in" in swedish.text
    client.get("/lang/en")
    english = client.get("/login")
    assert '<html lang="en">' in english.text and "Sign in" in english.text


def test_language_switch_ignores_unknown_languages_and_foreign_targets(client: TestClient) -> None:
    response = client.get("/lang/de?next=https://evil.example/", follow_redirects=False)
    assert response.headers["location"] == "/"
    assert "set-cookie" not in response.headers or "osp_lang" not in response.headers["set-cookie"]


def test_every_page_links_to_every_language(client: TestClient) -> None:
    page = client.get("/login").text
    for code in LANGUAGES:
        assert f'href="/lang/{code}?next=%2Flogin"' in page


def test_picked_says_which_language_it_fell_back_to() -> None:
    from app.i18n import current_language, picked

    token = current_language.set("en")
    try:
        assert picked({"fi": "Puutyö", "sv": "Träarbete", "en": ""}) == ("Puutyö", "fi")
        assert picked({"fi": "Puutyö", "en": "Woodwork"}) == ("Woodwork", "en")
        assert picked({"sv": "Träarbete"}) == ("Träarbete", "sv")
        assert picked({"fi": "Puutyö", "sv": "Träarbete"}, "sv") == ("Träarbete", "sv")
    finally:
        current_language.reset(token)


def test_text_in_another_language_than_the_page_is_marked_with_its_language() -> None:
    from app.i18n import current_language
    from app.web.templating import say

    token = current_language.set("en")
    try:
        assert str(say({"fi": "Työ <turvallisesti>", "en": ""})) == (
            '<span lang="fi">Työ &lt;turvallisesti&gt;</span>'
        )
        assert str(say({"fi": "Puutyö", "en": "Woodwork"})) == "Woodwork"
    finally:
        current_language.reset(token)
