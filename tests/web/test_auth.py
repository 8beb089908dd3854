"""Sign-in, sessions, CSRF, throttling, idle sign-out and "switch coach"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.models import AuditEvent, WebSession
from app.models.base import utcnow
from app.tokens import hash_token
from tests.web.conftest import World, csrf_of, post_form, sign_in


def test_sign_in_sets_a_secure_httponly_session_and_shows_the_dashboard(
    client: TestClient, world: World
) -> None:
    response = sign_in(client, world.coach.email)
    assert response.status_code == 303 and response.headers["location"] == "/coach"
    cookie = next(h for h in response.headers.get_list("set-cookie") if "osp_session=" in h)
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    page = client.get("/coach")
    assert page.status_code == 200
    assert world.coach.display_name in page.text


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client: TestClient, world: World, session: Session
) -> None:
    response = sign_in(client, world.coach.email, "wrong-password")
    assert response.status_code == 401
    assert "Sähköpostiosoite tai salasana on väärin" in response.text
    unknown = sign_in(client, "nobody@example.fi", "wrong-password")
    assert unknown.status_code == 401
    assert "Sähköpostiosoite tai salasana on väärin" in unknown.text
    failures = session.exec(select(AuditEvent).where(AuditEvent.action == "login.failure")).all()
    assert len(failures) == 2
    assert client.get("/coach", follow_redirects=False).status_code == 303


def test_repeated_failures_lock_the_account_with_a_clear_message(
    client: TestClient, world: World, session: Session
) -> None:
    for _ in range(5):
        assert sign_in(client, world.coach.email, "wrong-password").status_code == 401
    locked = sign_in(client, world.coach.email)  # even the right password waits
    assert locked.status_code == 429
    assert "lukittu 15 minuutiksi" in locked.text
    assert int(locked.headers["retry-after"]) == 15 * 60
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "login.locked")).first()
    # Another account on the same address is not locked by these five failures.
    assert sign_in(client, world.admin.email).status_code == 303


def test_forms_without_a_valid_csrf_token_are_refused(client: TestClient, world: World) -> None:
    client.get("/login")
    response = client.post(
        "/login",
        data={"csrf_token": "0" * 64, "email": world.coach.email, "password": "x"},
    )
    assert response.status_code == 403
    assert "Mitään ei tallennettu" in response.text
    missing = client.post("/login", data={"email": world.coach.email, "password": "x"})
    assert missing.status_code == 403


def test_csrf_token_of_another_browser_is_refused(
    client_factory: Callable[[], TestClient], world: World
) -> None:
    attacker, victim = client_factory(), client_factory()
    token = csrf_of(attacker.get("/login").text)
    assert sign_in(victim, world.coach.email).status_code == 303
    response = victim.post(
        f"/coach/participants/{world.participant.id}/edit",
        data={"csrf_token": token, "display_name": "Hijacked"},
    )
    assert response.status_code == 403


def test_pages_need_sign_in_and_come_back_after_it(client: TestClient, world: World) -> None:
    response = client.get("/coach/participants?q=a", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/coach/participants%3Fq%3Da"


def test_sign_in_never_redirects_to_another_site(client: TestClient, world: World) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={
            "csrf_token": token,
            "email": world.coach.email,
            "password": "test-password-123",
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/coach"


def test_idle_session_ends_and_says_why(
    coach_client: TestClient, world: World, session: Session
) -> None:
    row = session.exec(select(WebSession).where(WebSession.user_id == world.coach.id)).one()
    row.last_seen_at = utcnow() - timedelta(minutes=16)
    session.add(row)
    session.commit()
    response = coach_client.get("/coach", follow_redirects=False)
    assert response.status_code == 303
    assert "idle=1" in response.headers["location"]
    # (That the idle session row is deleted, in a transaction of its own, is tested against
    # a committed database in tests/auth/test_sessions.py.)
    page = coach_client.get(response.headers["location"])
    assert "ei käytetty vähään aikaan" in page.text


def test_sign_out_deletes_the_session_so_the_old_cookie_is_worthless(
    coach_client: TestClient, world: World, session: Session
) -> None:
    cookie = coach_client.cookies.get("osp_session")
    assert cookie
    response = post_form(coach_client, "/coach", "/logout", {}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert (
        session.exec(select(WebSession).where(WebSession.token_hash == hash_token(cookie))).first()
        is None
    )
    coach_client.cookies.set("osp_session", cookie, domain="passi.test")
    assert coach_client.get("/coach", follow_redirects=False).status_code == 303


def test_switch_coach_signs_the_previous_coach_out(
    coach_client: TestClient, world: World, session: Session
) -> None:
    response = post_form(coach_client, "/coach", "/logout", {"switch": "1"})
    assert response.url.path == "/login"
    assert "Edellinen valmentaja on kirjattu ulos" in response.text
    assert (
        session.exec(select(WebSession).where(col(WebSession.user_id) == world.coach.id)).first()
        is None
    )
    assert sign_in(coach_client, world.admin.email).status_code == 303
    assert world.admin.display_name in coach_client.get("/coach").text


def test_deactivated_user_is_signed_out_at_once(
    coach_client: TestClient, admin_client: TestClient, world: World
) -> None:
    response = post_form(
        admin_client, "/admin/users", f"/admin/users/{world.coach.id}/active", {"active": "0"}
    )
    assert response.status_code == 200
    assert coach_client.get("/coach", follow_redirects=False).status_code == 303
    assert sign_in(coach_client, world.coach.email).status_code == 401


def test_a_cookie_with_an_odd_name_does_not_hide_the_others(
    client: TestClient, world: World
) -> None:
    """Another app on the host may set a cookie whose name the standard library refuses;
    the CSRF cookie must still be read, or every form fails."""
    client.get("/login")  # the CSRF seed cookie is set
    client.cookies.set("bad name[1]", "x", domain="passi.test")
    client.cookies.set("w,eird", "y", domain="passi.test")
    again = client.get("/login")
    assert "osp_csrf" not in again.headers.get("set-cookie", ""), "the seed was not read"
    response = sign_in(client, world.coach.email)
    assert response.status_code == 303, response.text
    page = post_form(
        client,
        f"/coach/participants/{world.participant.id}/edit",
        f"/coach/participants/{world.participant.id}/edit",
        {"display_name": "Aino Uusi"},
    )
    assert page.status_code in (200, 303), page.text


def test_a_planted_csrf_cookie_and_its_token_fail_in_a_signed_in_browser(
    client_factory: Callable[[], TestClient], world: World
) -> None:
    """The attacker gets a CSRF cookie and its token from their own visit, plants the cookie
    in the victim's browser (cookie tossing) and submits with the token: the token is bound
    to the victim's session, which the attacker does not have."""
    attacker, victim = client_factory(), client_factory()
    token = csrf_of(attacker.get("/login").text)
    planted = attacker.cookies.get("osp_csrf")
    assert planted
    assert sign_in(victim, world.coach.email).status_code == 303
    victim.cookies.set("osp_csrf", planted, domain="passi.test")
    response = victim.post(
        f"/coach/participants/{world.participant.id}/edit",
        data={"csrf_token": token, "display_name": "Hijacked"},
    )
    assert response.status_code == 403
    # The victim's own forms still work with the planted seed (their session binds them).
    page = post_form(
        victim,
        f"/coach/participants/{world.participant.id}/edit",
        f"/coach/participants/{world.participant.id}/edit",
        {"display_name": "Aino Uusi"},
    )
    assert page.status_code in (200, 303), page.text
