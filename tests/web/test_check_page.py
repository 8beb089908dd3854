"""The public "Check a badge" page (issue #16, Displayer): any issuer's badge, pasted, as a
file or by its address, verified and shown as ours are; bad input gets the form back with a
message in the page's language and what was typed kept."""

from __future__ import annotations

import copy
import html
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.credentials.export import export_credential
from app.models import Credential
from app.sharing.view import document_view
from app.vc.verify import VerificationResult
from app.verification.summary import catalog_index
from tests.factories import issue_badge, make_org, make_participant, make_user

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
GENUINE = "Aito ja voimassa."
CHANGED = "Allekirjoitus ei ole kunnossa. Merkkiä on voitu muuttaa."
ED25519_2020 = json.loads(
    (Path(__file__).parents[1] / "vc" / "ed25519_2020" / "documents.json").read_text()
)["credential"]


@pytest.fixture
def issued(session: Session, settings: Settings, real_catalog: None) -> Credential:
    org = make_org(session, settings)
    credential = issue_badge(
        session, settings, coach=make_user(session, org), participant=make_participant(session, org)
    )
    session.commit()
    return credential


def _check(client: TestClient, files: dict[str, Any] | None = None, **fields: str) -> Any:
    token = CSRF_RE.search(client.get("/check").text)
    assert token is not None
    return client.post("/check", data={"csrf_token": token.group(1), **fields}, files=files)


def _errors(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'class="error-text"[^>]*>([^<]+)', page)]


def test_a_pasted_badge_is_checked_and_can_be_checked_again(
    client: TestClient, issued: Credential
) -> None:
    text = json.dumps(issued.json_ld)
    answer = _check(client, text=text)
    assert answer.status_code == 200
    assert GENUINE in answer.text and "Puutyön perusteet" in answer.text
    assert "Tarkista uudelleen" in answer.text
    # What was given is on the page for checking it again, and nothing else of the visitor.
    kept = re.search(r'type="hidden" name="text" value="([^"]*)"', answer.text)
    assert kept is not None and html.unescape(kept.group(1)) == text

    changed = copy.deepcopy(issued.json_ld)
    changed["name"] = "Hitsauksen mestari"
    answer = _check(client, text=json.dumps(changed))
    assert answer.status_code == 200
    assert GENUINE not in answer.text and CHANGED in answer.text


def test_a_baked_image_and_another_issuers_badge(
    client: TestClient, session: Session, issued: Credential
) -> None:
    png, _ = export_credential(session, issued.public_id, "png")
    answer = _check(client, files={"upload": ("merkki.png", png, "image/png")})
    assert answer.status_code == 200 and GENUINE in answer.text

    # An Ed25519Signature2020 badge of an issuer this service does not know, made with
    # another implementation: genuine, under its own issuer's name, with notes (it has no
    # revocation status to check).
    answer = _check(client, text=json.dumps(ED25519_2020))
    assert answer.status_code == 200
    assert "Aito. Lue alla olevat huomiot." in answer.text and "Esimerkkiopisto" in answer.text
    assert "Allekirjoitus on kunnossa. Merkkiä ei ole muutettu." in answer.text
    assert "Avain kuuluu myöntäjälle." in answer.text


def test_by_address_only_public_badges_of_ours_and_no_private_hosts(
    client: TestClient, session: Session, issued: Credential
) -> None:
    url = issued.json_ld["id"]
    answer = _check(client, url=url)
    assert answer.status_code == 422
    assert _errors(answer.text) == ["Osoitteessa ei ole julkista merkkiä."]
    assert f'value="{url}"' in answer.text  # kept

    issued.is_public = True
    session.add(issued)
    session.commit()
    answer = _check(client, url=url)
    assert GENUINE in answer.text
    # What the coach wrote stays off, as on the badge's public page.
    assert "Teki työn hyvin." not in answer.text

    answer = _check(client, url="https://127.0.0.1/merkki.json")
    assert answer.status_code == 422
    assert _errors(answer.text) == ["Tästä osoitteesta ei voi hakea turvallisesti."]


def test_bad_input_gets_the_form_back_in_the_pages_language(client: TestClient) -> None:
    answer = _check(client)
    assert answer.status_code == 422
    assert _errors(answer.text) == ["Liitä merkki, valitse sen tiedosto tai anna sen osoite."]

    answer = _check(client, text="{}", url="https://school.example/b/1")
    assert _errors(answer.text) == ["Anna merkki vain yhdellä tavalla."] * 2
    assert "https://school.example/b/1" in answer.text and ">{}</textarea>" in answer.text

    client.get("/lang/sv?next=/check")
    answer = _check(client, url="http://school.example/b/1")
    assert answer.status_code == 422
    assert _errors(answer.text) == ["Ge märkets fullständiga adress. Den börjar med https://."]

    # Larger than a form field's usual limit (1 MiB), and larger than ours (2 MB): the form
    # says so, keeping the text, rather than an error page losing it.
    long_text = "x" * (2 * 1024 * 1024 + 1)
    answer = _check(client, text=long_text, files={"upload": ("", b"", "application/octet-stream")})
    assert answer.status_code == 422
    assert _errors(answer.text) == ["Texten är för lång. Högst 2 MB."]
    assert long_text in answer.text
    answer = _check(client, url="https://school.example/" + "b" * 2000)
    assert _errors(answer.text) == ["Adressen är för lång. Högst 2 000 tecken."]

    answer = _check(client, text="ei merkki")
    assert answer.status_code == 200
    assert "Märkets fil kunde inte läsas." in answer.text


def test_checks_are_limited_per_address(app: FastAPI, client: TestClient) -> None:
    app.state.settings.rate_limit_anonymous = 2
    assert _check(client, text="{}").status_code == 200
    assert _check(client, text="{}").status_code == 200
    limited = _check(client, text="{}")
    assert limited.status_code == 429 and limited.headers.get("retry-after")


def test_another_issuers_image_is_shown_only_from_inside_the_badge(session: Session) -> None:
    """Fetching it from its host would tell the host who looks at the badge."""
    now = datetime(2026, 12, 5, tzinfo=UTC)
    catalog = catalog_index(session)

    def image_of(image: Any) -> str | None:
        document = copy.deepcopy(ED25519_2020)
        document["credentialSubject"]["achievement"]["image"] = image
        return document_view(
            document,
            VerificationResult(),
            public_id="given",
            catalog=catalog,
            session=session,
            now=now,
            holder_name=None,
            show_evidence=True,
            foreign=True,
            own_origin="https://passi.test",
        ).image_url

    assert image_of({"id": "https://tracker.example/pixel.png", "type": "Image"}) is None
    assert image_of("data:image/png;base64,iVBORw0KGgo=") == "data:image/png;base64,iVBORw0KGgo="
    assert image_of("https://passi.test/badges/puutyo-1/v1/image.svg") is not None
