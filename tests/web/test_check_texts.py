"""The checks on the public page, in the person's language: plain words for every outcome
the verifier can report, never its English messages or internal names (issue #14)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import PROJECT_ROOT
from app.models.base import utcnow
from app.sharing import service as sharing
from tests.web.conftest import World

TEMPLATE = PROJECT_ROOT / "templates" / "public" / "credential.html"
VERIFIER = PROJECT_ROOT / "app" / "vc" / "verify.py"


def _emitted_codes() -> set[str]:
    """Every outcome code written in the verifier (a literal after the check and status)."""
    source = VERIFIER.read_text(encoding="utf-8")
    codes = set(re.findall(r'\.add\(\s*"[a-z_]+",\s*[a-z_"]+,\s*"([a-z_]+)"', source))
    codes |= set(re.findall(r'return "([a-z_]+)", "The issuer has', source))
    codes |= set(re.findall(r'^KEY_[A-Z_]+ = "([a-z_]+)"', source, flags=re.M))
    return codes


def test_every_outcome_the_verifier_reports_has_words_on_the_page() -> None:
    codes = _emitted_codes()
    assert {"signature_valid", "revoked", "key_unbound", "parsed", "context_ok"} <= codes
    template = TEMPLATE.read_text(encoding="utf-8")
    mapping = template[template.index("{% set check_texts = {") :]
    missing = sorted(code for code in codes if f'"{code}":' not in mapping)
    assert missing == [], f"no plain text on the public page for {missing}"


@pytest.mark.parametrize(
    ("language", "words", "details"),
    [
        ("fi", "Allekirjoitus: Kunnossa.", "Tarkistuksen tiedot"),
        ("sv", "Signatur: I ordning.", "Detaljer om kontrollen"),
    ],
)
def test_the_checks_are_in_the_pages_language(
    client_factory: Callable[[], TestClient],
    world: World,
    session: Session,
    language: str,
    words: str,
    details: str,
) -> None:
    _, token = sharing.create_share_link(
        session,
        participant=world.participant,
        credential_public_id=world.credential.public_id,
        now=utcnow(),
    )
    session.commit()
    visitor = client_factory()
    page = visitor.get(f"/s/{token}", headers={"Accept-Language": language})
    assert page.status_code == 200
    assert details in page.text
    checks = page.text[page.text.index('<ul class="checks">') :]
    checks = checks[: checks.index("</ul>")]
    text = " ".join(re.sub(r"<[^>]+>", " ", checks).split())
    assert words in text
    # No internal check names and none of the verifier's English sentences.
    for leak in ("parse:", "context:", "type:", "The credential", "Read a credential", "JSON-LD"):
        assert leak not in text, f"{leak!r} on the {language} page: {text}"
    assert 'lang="en"' not in checks


def test_the_badge_is_shown_in_the_viewers_language_with_finnish_time(
    client_factory: Callable[[], TestClient], world: World, session: Session
) -> None:
    import yaml

    badge = yaml.safe_load((PROJECT_ROOT / "badges" / "puutyo-1.yaml").read_text())
    _, token = sharing.create_share_link(
        session,
        participant=world.participant,
        credential_public_id=world.credential.public_id,
        now=utcnow(),
    )
    session.commit()
    visitor = client_factory()
    swedish = visitor.get(f"/s/{token}", headers={"Accept-Language": "sv"}).text
    assert f">{badge['name']['sv']}</h1>" in swedish
    assert badge["description"]["sv"] in swedish
    for criterion in badge["criteria"]:
        assert f"<li>{criterion['text']['sv']}</li>" in swedish
    assert "Handledaren såg i verkstaden att innehavaren:" in swedish
    assert "märkeskatalogens översättning" in swedish
    assert "Kontrollerat" in swedish and " kl. " in swedish and "UTC" not in swedish
    # The qualification unit by its name; its code only as a detail for schools.
    assert "(tutkinnonosat_" not in swedish and "kod tutkinnonosat_" in swedish
    finnish = visitor.get(f"/s/{token}", headers={"Accept-Language": "fi"}).text
    assert f">{badge['name']['fi']}</h1>" in finnish
    assert "Valmentaja näki työpajalla, että merkin saaja:" in finnish
    assert "käännös" not in finnish and " klo " in finnish
