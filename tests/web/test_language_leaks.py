"""No English on a Finnish or Swedish page: every page a coach, an admin, a participant or an
employer opens is scanned, in fi and in sv, for common English words in its visible text
(an untranslated string, or text written into a template or a service in English)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models.base import utcnow
from app.sharing import service as sharing
from tests.web.conftest import World, sign_in
from tests.web.test_passport import open_passport, passport_token

# Words that are English and neither Finnish nor Swedish.
ENGLISH = re.compile(
    r"\b(the|and|with|your|this|that|badges?|links?|not|has|been|you|sign|coach(es)?|"
    r"participants?|issued|valid|share|shared|please|click|here|error|page|settings|"
    r"download|print|passport|qualification|unit|skills?|check(ed)?|details)\b",
    re.IGNORECASE,
)
# Visible English that belongs there: the language switcher's own name, and the product.
ALLOWED = ("In English", "Osaamispassi", "Open Badges", "LinkedIn")


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    text = html.unescape(page)
    for allowed in ALLOWED:
        text = text.replace(allowed, " ")
    return text


def english_in(page: str) -> list[str]:
    text = visible_text(page)
    found = []
    for match in ENGLISH.finditer(text):
        start = max(0, match.start() - 40)
        found.append(" ".join(text[start : match.end() + 40].split()))
    return found


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_no_english_on_finnish_or_swedish_pages(
    language: str,
    client_factory: Callable[[], TestClient],
    session: Session,
    world: World,
) -> None:
    headers = {"Accept-Language": language}
    cid, pid = world.credential.public_id, world.participant.id
    _, token = sharing.create_share_link(
        session,
        participant=world.participant,
        credential_public_id=cid,
        now=utcnow(),
        show_evidence=True,
    )
    _, whole = sharing.create_share_link(
        session, participant=world.participant, credential_public_id=None, now=utcnow()
    )
    session.commit()
    pages: dict[str, str] = {}

    anonymous = client_factory()
    for path in ("/", "/login", "/passport/sign-in", f"/s/{token}", f"/s/{whole}", "/nowhere"):
        pages[path] = anonymous.get(path, headers=headers).text
    # "Check a badge": the form, and a badge checked there (with its banner and checks).
    pages["/check"] = anonymous.get("/check", headers=headers).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', pages["/check"])
    assert csrf is not None
    pages["/check (a badge)"] = anonymous.post(
        "/check",
        data={"csrf_token": csrf.group(1), "text": json.dumps(world.credential.json_ld)},
        headers=headers,
    ).text

    admin = client_factory()
    assert sign_in(admin, world.admin.email).status_code == 303
    for path in (
        "/coach",
        "/coach/award",
        f"/coach/award/{pid}",
        f"/coach/award/{pid}/puutyo-1",
        "/coach/award/not-a-number",  # an address that does not parse: a plain 404 page
        "/coach/group-award",
        "/coach/group-award/puutyo-1",
        "/coach/participants",
        f"/coach/participants/{pid}",
        f"/coach/credentials/{cid}",
        "/admin/users",
        "/admin/audit",
        "/admin/audit?page=x",  # input that does not parse: a sentence in the page's language
        "/admin/catalog",
    ):
        pages[path] = admin.get(path, headers=headers).text

    holder = client_factory()
    open_passport(holder, passport_token(session, world))
    for path in (
        "/passport",
        "/passport/qualifications",
        f"/passport/badges/{cid}",
        "/passport/shares",
        "/passport/print",
        "/passport/settings",
        "/passport/data/erase",
    ):
        pages[path] = holder.get(path, headers=headers).text

    assert "Palaa takaisin ja tarkista" in pages["/admin/audit?page=x"] or language != "fi"
    leaks = {path: english_in(page) for path, page in pages.items()}
    leaks = {path: found for path, found in leaks.items() if found}
    assert not leaks, "\n".join(f"{path}: {found[:5]}" for path, found in leaks.items())


def test_the_scan_finds_english() -> None:
    assert english_in("<p>Tämä merkki on <b>not valid</b>.</p>")
    assert not english_in("<p>Merkki on voimassa.</p><script>var the = 1;</script>")
