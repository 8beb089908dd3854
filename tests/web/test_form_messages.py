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


def test_staff_and_sign_in_forms_answer_too_long_input_on_the_form(
    admin_client: TestClient, client_factory: Callable[[], TestClient], world: World
) -> None:
    """The forms the first commit did not name: a coach's account, the staff sign-in and the
    participant's e-mail sign-in. Over the limit, the rule's sentence (or the form's usual
    answer) in the page's language with what was typed kept; the limits are in the forms."""
    page = admin_client.get("/admin/users").text
    assert all(f'maxlength="{n}"' in page for n in (200, 320, 1000))
    long_name = "Valmentaja " * 30  # 330 characters
    answer = post_form(
        admin_client,
        "/admin/users",
        "/admin/users",
        {"display_name": long_name, "email": "uusi@example.fi", "password": "x" * 12},
    )
    assert answer.status_code == 422
    assert "enintään 200" in answer.text and "Valmentaja Valmentaja" in answer.text
    answer = post_form(
        admin_client,
        "/admin/users",
        "/admin/users",
        {"display_name": "Uusi", "email": "a" * 400 + "@example.fi", "password": "x" * 12},
    )
    assert answer.status_code == 422
    assert "Tarkista sähköpostiosoite" in answer.text and 'value="aaaa' in answer.text
    answer = post_form(
        admin_client,
        "/admin/users",
        "/admin/users",
        {"display_name": "Uusi", "email": "uusi@example.fi", "password": "x" * 1500},
    )
    assert answer.status_code == 422
    assert "enintään 1000 merkkiä" in answer.text and 'value="uusi@example.fi"' in answer.text

    staff = client_factory()
    login = staff.get("/login").text
    assert 'maxlength="320"' in login and 'maxlength="1000"' in login
    long_email = "b" * 2000 + "@example.fi"
    answer = post_form(staff, "/login", "/login", {"email": long_email, "password": "y" * 3000})
    assert answer.status_code == 401
    assert "<form" in answer.text and f'value="{long_email}"' in answer.text

    phone = client_factory()
    assert 'maxlength="320"' in phone.get("/passport/sign-in").text
    answer = post_form(phone, "/passport/sign-in", "/passport/sign-in", {"email": long_email})
    assert answer.status_code == 422
    assert f'value="{long_email}"' in answer.text


def test_search_fields_say_their_limit(coach_client: TestClient) -> None:
    for path in ("/coach", "/coach/participants", "/coach/award"):
        assert 'type="search" maxlength="200"' in coach_client.get(path).text, path
