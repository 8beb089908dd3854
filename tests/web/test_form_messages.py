"""A mistyped e-mail address is answered on the same form, in the page's language, with what
was typed kept, and no English from the validation library (issue #14, item 4)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.web.conftest import World, post_form
from tests.web.test_passport import open_passport, passport_token


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fi", "Tarkista sähköpostiosoite. Sen pitää olla muotoa nimi@esimerkki.fi."),
        ("sv", "Kontrollera e-postadressen. Den ska se ut som namn@exempel.fi."),
    ],
)
def test_a_mistyped_e_mail_address(
    coach_client: TestClient, world: World, language: str, message: str
) -> None:
    coach_client.cookies.set("osp_lang", language)
    answer = post_form(
        coach_client,
        "/coach/participants/new",
        "/coach/participants/new",
        {"display_name": "Maija Meikäläinen", "email": "maija.example.fi"},
    )
    assert answer.status_code == 422
    assert message in answer.text
    assert "@-sign" not in answer.text and "An email address" not in answer.text
    assert 'value="Maija Meikäläinen"' in answer.text and 'value="maija.example.fi"' in answer.text


def test_too_long_input_is_answered_on_the_same_form(
    coach_client: TestClient, world: World
) -> None:
    """Beyond the field's limit (the forms also say `maxlength`), the rule's own message in
    the page's language, what was typed kept; never the generic page with a raw error."""
    name = "Maija " * 300  # 1,800 characters: over the limit of 200
    page = coach_client.get("/coach/participants/new")
    assert 'maxlength="200"' in page.text and 'maxlength="320"' in page.text
    answer = post_form(
        coach_client,
        "/coach/participants/new",
        "/coach/participants/new",
        {"display_name": name, "email": ""},
    )
    assert answer.status_code == 422
    assert "enintään 200" in answer.text
    assert "Maija Maija Maija" in answer.text  # kept in the field
    reason = "Väärä merkki. " * 200  # 2,800 characters: over the limit of 500
    credential_page = f"/coach/credentials/{world.credential.public_id}"
    assert 'maxlength="500"' in coach_client.get(credential_page).text
    answer = post_form(
        coach_client, credential_page, f"{credential_page}/revoke", {"reason": reason}
    )
    assert answer.status_code == 422
    assert "enintään 500" in answer.text and "Väärä merkki. Väärä merkki." in answer.text


def test_a_too_long_pin_is_answered_on_the_settings_page(
    client_factory: Callable[[], TestClient], session: Session, world: World
) -> None:
    holder = client_factory()
    open_passport(holder, passport_token(session, world))
    page = holder.get("/passport/settings")
    assert 'maxlength="8"' in page.text
    answer = post_form(
        holder,
        "/passport/settings",
        "/passport/pin",
        {"pin": "1" * 25, "pin_again": "1" * 25},
    )
    assert answer.status_code == 422
    assert "PIN-koodissa pitää olla 4–8 numeroa." in answer.text
