"""The participant's passport pages: opening by link (and PIN, and one-time e-mail link), the
badges, downloads, share links, printing, data rights; tokens that must all be 404."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.clr.service import verify_clr
from app.config import Settings
from app.models import Credential, OutboxMessage, Participant, ShareLink
from app.models.base import utcnow
from app.passport import service as passport
from app.sharing import service as sharing
from app.verification.service import verify
from tests.factories import issue_badge, make_participant
from tests.web.conftest import World, csrf_of, post_form

TOKEN_RE = re.compile(r"https://passi\.test/passport/([A-Za-z0-9_-]{43})")
SHARE_RE = re.compile(r"https://passi\.test/s/([A-Za-z0-9_-]{43})")


def passport_token(session: Session, world: World, participant: Participant | None = None) -> str:
    participant = participant or world.participant
    assert participant.id is not None
    token = passport.issue_passport_token(
        session, coach=world.coach, participant_id=participant.id, now=utcnow()
    )
    session.commit()
    return token


def open_passport(client: TestClient, token: str) -> None:
    answer = client.get(f"/passport/{token}", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/passport"


@pytest.fixture
def holder(client_factory: Callable[[], TestClient], session: Session, world: World) -> TestClient:
    client = client_factory()
    open_passport(client, passport_token(session, world))
    return client


def _same_404(answer: Any, token: str) -> str:
    assert answer.status_code == 404
    return str(answer.text).replace(token, "TOKEN")


# --- opening the passport ------------------------------------------------------------------


def test_coach_link_opens_the_passport_and_leaves_the_address_bar(
    coach_client: TestClient,
    client_factory: Callable[[], TestClient],
    world: World,
) -> None:
    pid = world.participant.id
    before = coach_client.get(f"/coach/participants/{pid}/passport-link")
    assert before.status_code == 200 and "Tee linkki" in before.text
    made = post_form(
        coach_client,
        f"/coach/participants/{pid}/passport-link",
        f"/coach/participants/{pid}/passport-link",
        {},
    )
    assert made.status_code == 200 and made.headers["cache-control"] == "private, no-store"
    match = TOKEN_RE.search(made.text)
    assert match and 'role="img"' in made.text
    phone = client_factory()
    answer = phone.get(f"/passport/{match.group(1)}", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/passport"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("osp_passport=")
    for attribute in ("HttpOnly", "Secure", "SameSite=lax", "Path=/"):
        assert attribute.lower() in cookie.lower()
    page = phone.get("/passport")
    assert page.status_code == 200
    assert "Puutyö" in page.text and f"/passport/badges/{world.credential.public_id}" in page.text
    assert world.participant.display_name in page.text
    # The coach's sign-in is not the participant's, and vice versa.
    assert phone.get("/coach", follow_redirects=False).status_code == 303


def test_renewing_invalidates_the_old_link(
    coach_client: TestClient,
    client_factory: Callable[[], TestClient],
    session: Session,
    world: World,
) -> None:
    old = passport_token(session, world)
    lost_phone = client_factory()
    open_passport(lost_phone, old)
    pid = world.participant.id
    warning = coach_client.get(f"/coach/participants/{pid}/passport-link")
    assert "lakkaa toimimasta" in warning.text
    made = post_form(coach_client, warning.url.path, warning.url.path, {})
    match = TOKEN_RE.search(made.text)
    assert match and match.group(1) != old
    assert "Vanha linkki ei enää toimi" in made.text
    phone = client_factory()
    guessed = "A" * 43
    old_answer = _same_404(phone.get(f"/passport/{old}"), old)
    guess_answer = _same_404(phone.get(f"/passport/{guessed}"), guessed)
    assert old_answer == guess_answer
    open_passport(phone, match.group(1))
    # The session opened with the old link ended with it.
    assert lost_phone.get("/passport", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("token", ["x", "A" * 43, "not a token!", "A" * 101, "..%2F..%2Fetc"])
def test_guessed_tokens_are_404(client: TestClient, world: World, token: str) -> None:
    assert client.get(f"/passport/{token}").status_code == 404
    assert client.get(f"/s/{token}").status_code == 404
    assert client.get(f"/s/{token}/qr.svg").status_code == 404


def test_token_lookups_are_rate_limited_per_address(app: FastAPI, client: TestClient) -> None:
    app.state.settings.token_lookups_per_minute = 3
    answers = [client.get(f"/s/{'B' * 43}").status_code for _ in range(4)]
    assert answers == [404, 404, 404, 429]
    limited = client.get(f"/passport/{'C' * 43}")
    assert limited.status_code == 429 and "retry-after" in limited.headers
    assert "Liian monta" in limited.text


def test_pin_is_asked_and_wrong_pins_are_counted(
    holder: TestClient,
    client_factory: Callable[[], TestClient],
    session: Session,
    world: World,
) -> None:
    mismatch = post_form(
        holder, "/passport/settings", "/passport/pin", {"pin": "1234", "pin_again": "1235"}
    )
    assert mismatch.status_code == 422 and "eivät ole samat" in mismatch.text
    short = post_form(
        holder, "/passport/settings", "/passport/pin", {"pin": "12", "pin_again": "12"}
    )
    assert short.status_code == 422
    saved = post_form(
        holder,
        "/passport/settings",
        "/passport/pin",
        {"pin": "2468", "pin_again": "2468"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    token = passport_token(session, world)
    phone = client_factory()
    form = phone.get(f"/passport/{token}", follow_redirects=False)
    assert form.status_code == 200
    assert "osp_passport" not in form.headers.get("set-cookie", "")
    assert 'name="pin"' in form.text
    wrong = phone.post(f"/passport/{token}", data={"csrf_token": csrf_of(form.text), "pin": "0000"})
    assert wrong.status_code == 401 and "Voit yrittää vielä 4 kertaa." in wrong.text
    session.expire_all()
    participant = session.get(Participant, world.participant.id)
    assert participant is not None and participant.pin_failures == 1
    right = phone.post(
        f"/passport/{token}",
        data={"csrf_token": csrf_of(form.text), "pin": "2468"},
        follow_redirects=False,
    )
    assert right.status_code == 303 and right.headers["location"] == "/passport"
    assert phone.get("/passport").status_code == 200


def test_too_many_wrong_pins_lock_the_link(
    holder: TestClient, client_factory: Callable[[], TestClient], session: Session, world: World
) -> None:
    post_form(holder, "/passport/settings", "/passport/pin", {"pin": "2468", "pin_again": "2468"})
    token = passport_token(session, world)
    phone = client_factory()
    csrf = csrf_of(phone.get(f"/passport/{token}").text)
    codes = [
        phone.post(f"/passport/{token}", data={"csrf_token": csrf, "pin": "1111"}).status_code
        for _ in range(6)
    ]
    assert codes == [401, 401, 401, 401, 401, 429]
    # Even the right PIN waits until the window has passed.
    locked = phone.post(f"/passport/{token}", data={"csrf_token": csrf, "pin": "2468"})
    assert locked.status_code == 429


def test_one_time_sign_in_link(
    client_factory: Callable[[], TestClient], session: Session, world: World
) -> None:
    participant = make_participant(session, world.org, email="osallistuja@example.fi")
    session.commit()
    phone = client_factory()
    known = post_form(
        phone, "/passport/sign-in", "/passport/sign-in", {"email": "Osallistuja@example.fi"}
    )
    unknown = post_form(
        phone, "/passport/sign-in", "/passport/sign-in", {"email": "ei-ole@example.fi"}
    )
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    message = session.exec(
        select(OutboxMessage).where(OutboxMessage.participant_id == participant.id)
    ).one()
    assert message.body is not None
    token = re.search(r"/passport/sign-in/([A-Za-z0-9_-]{43})", message.body)
    assert token
    page = phone.get(f"/passport/sign-in/{token.group(1)}")
    assert page.status_code == 200 and "kerran" in page.text
    used = phone.post(
        f"/passport/sign-in/{token.group(1)}",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert used.status_code == 303 and used.headers["location"] == "/passport"
    # Used once: another browser (with a valid form token of its own) gets 404.
    other = client_factory()
    again = other.post(
        f"/passport/sign-in/{token.group(1)}",
        data={"csrf_token": csrf_of(other.get("/passport/sign-in").text)},
    )
    assert again.status_code == 404
    bad = post_form(phone, "/passport/sign-in", "/passport/sign-in", {"email": "no-at-sign"})
    assert bad.status_code == 422


def test_expired_sign_in_link_is_404(
    client: TestClient, session: Session, settings: Settings, world: World
) -> None:
    make_participant(session, world.org, email="vanha@example.fi")
    passport.request_sign_in_link(
        session, settings, email="vanha@example.fi", now=utcnow() - timedelta(hours=1)
    )
    session.commit()
    body = session.exec(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()  # type: ignore[union-attr]
    assert body is not None and body.body is not None
    token = body.body.split("/passport/sign-in/")[1].split()[0]
    csrf = csrf_of(client.get(f"/passport/sign-in/{token}").text)
    assert client.post(f"/passport/sign-in/{token}", data={"csrf_token": csrf}).status_code == 404


def test_signed_out_and_sign_out(holder: TestClient, client: TestClient) -> None:
    answer = client.get("/passport", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/passport/sign-in"
    out = post_form(holder, "/passport", "/passport/sign-out", {}, follow_redirects=False)
    assert out.status_code == 303
    assert holder.get("/passport", follow_redirects=False).status_code == 303


# --- the passport --------------------------------------------------------------------------


def test_revoked_badges_are_marked_and_replaced_ones_hidden(
    holder: TestClient, session: Session, settings: Settings, world: World
) -> None:
    from app.credentials.service import revoke_credential

    second = issue_badge(session, settings, coach=world.coach, participant=world.participant)
    revoke_credential(
        session, settings, credential=second, reason="Väärä", actor_user_id=None, now=utcnow()
    )
    session.commit()
    page = holder.get("/passport").text
    assert page.count("Peruttu. Tämä merkki ei ole enää voimassa.") == 1
    assert "Seuraava askel" in page


def test_toward_a_qualification(holder: TestClient) -> None:
    page = holder.get("/passport/qualifications")
    assert page.status_code == 200
    assert "tutkinnonosat_" in page.text and "Merkkisi näyttävät" in page.text
    assert "eperusteet" in page.text
    # Progress, not a long list: a bar per unit, what is shown, what to show next (the
    # catalog's badges that would show the open skills), the open skills folded away.
    assert re.search(r'<progress max="\d+" value="\d+"', page.text)
    assert "Seuraava askel" in page.text and "Voit näyttää tämän merkillä" in page.text
    assert re.search(r"<summary>\d+ taitoa? vielä näyttämättä</summary>", page.text)


def test_another_participants_badge_is_404_everywhere(holder: TestClient, world: World) -> None:
    other = world.other_credential.public_id
    mine = world.credential.public_id
    assert holder.get(f"/passport/badges/{mine}").status_code == 200
    for path in (f"/passport/badges/{other}", f"/passport/badges/{other}/download/json"):
        assert holder.get(path).status_code == 404
    csrf = csrf_of(holder.get("/passport").text)
    for action, data in (
        ("/passport/shares", {"credential": other}),
        (f"/passport/badges/{other}/public", {"public": "1"}),
    ):
        assert holder.post(action, data={"csrf_token": csrf, **data}).status_code == 404
    assert holder.get(f"/passport/badges/{mine}/download/pdf").status_code == 404


@pytest.mark.parametrize(
    ("fmt", "media_type"),
    [
        ("json", "application/vc+ld+json"),
        ("jwt", "application/vc+jwt"),
        ("png", "image/png"),
        ("svg", "image/svg+xml"),
    ],
)
def test_downloads_verify_and_follow_the_schema(
    holder: TestClient,
    session: Session,
    settings: Settings,
    world: World,
    credential_schema_validator: Any,
    fmt: str,
    media_type: str,
) -> None:
    answer = holder.get(f"/passport/badges/{world.credential.public_id}/download/{fmt}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(media_type)
    assert answer.headers["content-disposition"].endswith(f'.{fmt}"')
    result = verify(session, settings, answer.content, now=utcnow())
    assert result.verified, [c for c in result.checks if c.status == "failed"]
    assert result.credential is not None
    assert result.credential["id"] == world.credential.json_ld["id"]
    document = {k: v for k, v in result.credential.items() if k not in ("iss", "jti", "nbf", "sub")}
    errors = [e.message for e in credential_schema_validator.iter_errors(document)]
    assert errors == []


def test_clr_download_verifies_and_each_badge_inside_too(
    holder: TestClient, session: Session, settings: Settings, world: World
) -> None:
    issue_badge(
        session, settings, coach=world.coach, participant=world.participant, slug="siivous-1"
    )
    session.commit()
    answer = post_form(holder, "/passport", "/passport/clr", {})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vc+ld+json")
    clr = json.loads(answer.content)
    assert "ClrCredential" in clr["type"]
    result = verify_clr(session, settings, clr, now=utcnow())
    assert result.verified and len(result.inner) == 2
    assert all(inner.verified for inner in result.inner)
    for wrapped in clr["credentialSubject"]["verifiableCredential"]:
        assert verify(session, settings, wrapped, now=utcnow()).verified


# --- sharing -------------------------------------------------------------------------------


def _share(holder: TestClient, page: str, data: dict[str, str]) -> str:
    made = post_form(holder, page, "/passport/shares", data)
    assert made.status_code == 200, made.text
    match = SHARE_RE.search(made.text)
    assert match
    return match.group(1)


def test_share_a_badge_open_it_signed_out_and_revoke_it(
    holder: TestClient, client: TestClient, session: Session, world: World
) -> None:
    cid = world.credential.public_id
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    token = _share(
        holder,
        f"/passport/badges/{cid}",
        {"credential": cid, "expires": tomorrow, "show_name": "1"},
    )
    opened = client.get(f"/s/{token}")
    assert opened.status_code == 200
    assert "result-green" in opened.text and "Aito ja voimassa" in opened.text
    assert world.participant.display_name in opened.text
    assert 'name="robots" content="noindex"' in opened.text
    assert 'property="og:title"' in opened.text
    assert opened.headers["cache-control"] == "no-store"
    assert opened.headers["referrer-policy"] == "no-referrer"
    assert "tutkinnonosat_" in opened.text and "eperusteet" in opened.text
    # The criteria narrative's Markdown list is an HTML list, not lines with hyphens.
    assert "<li>Osaa noudattaa puutyöpajan turvaohjeita" in opened.text
    assert "- Osaa noudattaa" not in opened.text
    assert "Teki työn hyvin." not in opened.text  # evidence is off by default
    # Openings are written by the app's own thread within a second (OpenCounts); at once here.
    assert client.app.state.open_counts.flush()
    listing = holder.get("/passport/shares").text
    assert "Avattu 1 kerran." in listing
    link = session.exec(
        select(ShareLink).where(ShareLink.credential_id == world.credential.id)
    ).one()
    revoked = post_form(
        holder, "/passport/shares", f"/passport/shares/{link.id}/revoke", {}, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert _same_404(client.get(f"/s/{token}"), token) == _same_404(
        client.get(f"/s/{'Z' * 43}"), "Z" * 43
    )


def test_share_with_name_off_and_evidence_on(
    holder: TestClient, client: TestClient, world: World
) -> None:
    cid = world.credential.public_id
    token = _share(holder, f"/passport/badges/{cid}", {"credential": cid, "show_evidence": "1"})
    page = client.get(f"/s/{token}").text
    assert world.participant.display_name not in page
    assert "Teki työn hyvin." in page


def test_expiry_in_the_past_is_refused(holder: TestClient, world: World) -> None:
    cid = world.credential.public_id
    answer = post_form(
        holder,
        f"/passport/badges/{cid}",
        "/passport/shares",
        {"credential": cid, "expires": "2020-01-01"},
    )
    assert answer.status_code == 422 and 'aria-invalid="true"' in answer.text
    nonsense = post_form(holder, "/passport/shares", "/passport/shares", {"expires": "tomorrow"})
    assert nonsense.status_code == 422


def test_expired_share_is_404(
    holder: TestClient, client: TestClient, session: Session, world: World
) -> None:
    token = _share(holder, "/passport/shares", {"show_name": "1"})
    link = session.exec(
        select(ShareLink).where(ShareLink.participant_id == world.participant.id)
    ).one()
    link.expires_at = utcnow() - timedelta(minutes=1)
    session.add(link)
    session.commit()
    assert client.get(f"/s/{token}").status_code == 404
    assert client.get(f"/s/{token}/qr.svg").status_code == 404


def test_revoked_badge_shows_red(
    holder: TestClient, client: TestClient, session: Session, settings: Settings, world: World
) -> None:
    from app.credentials.service import revoke_credential

    cid = world.credential.public_id
    token = _share(holder, f"/passport/badges/{cid}", {"credential": cid})
    revoke_credential(
        session, settings, credential=world.credential, reason="x", actor_user_id=None, now=utcnow()
    )
    session.commit()
    page = client.get(f"/s/{token}")
    assert page.status_code == 200
    assert "result-red" in page.text and "Myöntäjä on perunut tämän merkin." in page.text


def test_whole_passport_share_and_content_negotiation(
    holder: TestClient, client: TestClient, world: World
) -> None:
    whole = _share(holder, "/passport/shares", {"show_name": "1"})
    page = client.get(f"/s/{whole}")
    assert page.status_code == 200 and "Osaamispassi" in page.text
    assert client.get(f"/s/{whole}", headers={"accept": "application/ld+json"}).status_code == 406
    cid = world.credential.public_id
    one = _share(holder, f"/passport/badges/{cid}", {"credential": cid})
    for accept in ("application/vc+ld+json", "application/ld+json, text/html;q=0.5"):
        answer = client.get(f"/s/{one}", headers={"accept": accept})
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/vc+ld+json")
        assert answer.json() == world.credential.json_ld
    html = client.get(f"/s/{one}", headers={"accept": "text/html,application/ld+json"})
    assert html.headers["content-type"].startswith("text/html")


def test_qr_image_is_cacheable_and_encodes_the_link(holder: TestClient, client: TestClient) -> None:
    import zxingcpp

    from tests.sharing.test_qr import rasterize

    token = _share(holder, "/passport/shares", {"show_name": "1"})
    image = client.get(f"/s/{token}/qr.svg")
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/svg+xml")
    assert image.headers["cache-control"] == "private, max-age=31536000, immutable"
    decoded = zxingcpp.read_barcodes(rasterize(image.text))
    assert [r.text for r in decoded] == [f"https://passi.test/s/{token}"]


def test_public_badge_page_only_when_public(
    holder: TestClient, client: TestClient, world: World
) -> None:
    cid = world.credential.public_id
    json_accept = {"accept": "application/vc+ld+json"}
    assert client.get(f"/credentials/{cid}").status_code == 404
    assert client.get(f"/credentials/{cid}", headers=json_accept).status_code == 404
    assert client.get(f"/credentials/{cid}/qr.svg").status_code == 404
    made = post_form(
        holder, f"/passport/badges/{cid}", f"/passport/badges/{cid}/public", {"public": "1"}
    )
    assert made.status_code == 200 and "linkedin.com/profile/add" in made.text
    assert "certUrl=https%3A%2F%2Fpassi.test%2Fcredentials%2F" in made.text
    page = client.get(f"/credentials/{cid}")
    assert page.status_code == 200 and "result-green" in page.text
    machine = client.get(f"/credentials/{cid}", headers=json_accept)
    assert machine.json() == world.credential.json_ld
    assert client.get(f"/credentials/{cid}/qr.svg").headers["cache-control"].startswith("public")
    post_form(holder, f"/passport/badges/{cid}", f"/passport/badges/{cid}/public", {"public": "0"})
    assert client.get(f"/credentials/{cid}").status_code == 404
    other = world.other_credential.public_id
    assert client.get(f"/credentials/{other}").status_code == 404


def test_printable_passport_makes_a_link_per_badge(
    holder: TestClient, client: TestClient, session: Session, world: World
) -> None:
    form = holder.get("/passport/print")
    assert form.status_code == 200
    page = post_form(holder, "/passport/print", "/passport/print", {"days": "30", "show_name": "1"})
    assert page.status_code == 200
    assert page.text.count('src="data:image/svg+xml;base64,') == 1
    links = session.exec(
        select(ShareLink).where(ShareLink.participant_id == world.participant.id)
    ).all()
    assert len(links) == 1 and links[0].expires_at is not None
    assert links[0].made_for == "print"


def test_printing_again_can_stop_the_codes_of_earlier_printouts(
    holder: TestClient, client: TestClient, session: Session, world: World
) -> None:
    def printed(data: dict[str, str]) -> str:
        return post_form(holder, "/passport/print", "/passport/print", data).text

    first = printed({"days": "30", "show_name": "1"})
    assert "Koodi on uusi jakolinkki. Näet sen sivulla Jakolinkit." in first
    shared = _share(holder, "/passport/shares", {"show_name": "1"})  # shared by hand
    kept = printed({"days": "30", "show_name": "1"})  # the old paper still works
    assert "lopetettiin" not in kept
    listing = holder.get("/passport/shares").text
    assert listing.count("Tulosteen koodi, tehty") == 2
    session.expire_all()
    links = session.exec(
        select(ShareLink).where(ShareLink.participant_id == world.participant.id)
    ).all()
    assert sorted(link.made_for for link in links) == ["print", "print", "share"]
    third = printed({"days": "30", "show_name": "1", "stop_earlier": "1"})
    assert "2 aiemman tulosteen koodit poistettiin käytöstä." in third
    session.expire_all()
    working = {
        link.made_for: link
        for link in session.exec(
            select(ShareLink)
            .where(ShareLink.participant_id == world.participant.id)
            .where(col(ShareLink.revoked_at).is_(None))
        ).all()
    }
    # The new printout's code and the link shared by hand work; the old papers' do not.
    assert set(working) == {"print", "share"}
    assert client.get(f"/s/{shared}").status_code == 200
    stopped = session.exec(select(ShareLink).where(col(ShareLink.revoked_at).is_not(None))).all()
    assert len(stopped) == 2 and all(link.made_for == "print" for link in stopped)


def test_tokens_never_reach_the_logs(
    holder: TestClient, client: TestClient, session: Session, world: World, caplog: Any
) -> None:
    caplog.set_level(logging.INFO)
    passport_tok = passport_token(session, world)
    client.get(f"/passport/{passport_tok}")
    share_tok = _share(holder, "/passport/shares", {"show_name": "1"})
    client.get(f"/s/{share_tok}")
    client.get(f"/s/{share_tok}/qr.svg")
    client.get(f"/passport/sign-in/{passport_tok}")
    holder.get("/passport/settings")  # a page of the passport, with no secret in its path
    # Everything the service logs (the test client's own httpx log is not the service's).
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "GET /s/…" in logged and "GET /passport/…" in logged
    assert "GET /passport/sign-in/…" in logged and "GET /passport/settings 200" in logged
    assert passport_tok not in logged and share_tok not in logged


# --- data rights ---------------------------------------------------------------------------


def test_download_my_data(holder: TestClient, world: World) -> None:
    answer = post_form(holder, "/passport/settings", "/passport/data/export", {})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    data = answer.json()
    assert data["participant"]["display_name"] == world.participant.display_name
    assert [c["id"] for c in data["credentials"]] == [world.credential.public_id]


def test_erase_my_data_needs_confirmation(
    holder: TestClient, client: TestClient, session: Session, world: World
) -> None:
    token = _share(holder, "/passport/shares", {"show_name": "1"})
    unconfirmed = post_form(holder, "/passport/data/erase", "/passport/data/erase", {})
    assert unconfirmed.status_code == 422
    session.expire_all()
    assert session.get(Participant, world.participant.id).erased_at is None  # type: ignore[union-attr]
    erased = post_form(holder, "/passport/data/erase", "/passport/data/erase", {"confirm": "1"})
    assert erased.status_code == 200 and "poistettiin" in erased.text
    session.expire_all()
    participant = session.get(Participant, world.participant.id)
    assert participant is not None and participant.erased_at is not None
    credential = session.get(Credential, world.credential.id)
    assert credential is not None and credential.revoked_at is not None
    assert client.get(f"/s/{token}").status_code == 404
    assert holder.get("/passport", follow_redirects=False).status_code == 303


def test_admin_exports_and_erases_a_participant(
    admin_client: TestClient, session: Session, world: World
) -> None:
    pid = world.participant.id
    page = admin_client.get(f"/admin/participants/{pid}/data")
    assert page.status_code == 200
    export = post_form(admin_client, page.url.path, f"/admin/participants/{pid}/export", {})
    assert export.json()["participant"]["display_name"] == world.participant.display_name
    refused = post_form(admin_client, page.url.path, f"/admin/participants/{pid}/erase", {})
    assert refused.status_code == 422
    done = post_form(
        admin_client,
        page.url.path,
        f"/admin/participants/{pid}/erase",
        {"confirm": "1"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    session.expire_all()
    assert sharing.participant_credentials(session, participant=world.participant) == []
    assert admin_client.get(f"/coach/participants/{pid}").status_code == 404


@pytest.fixture
def evidence_photo(session: Session, settings: Settings, world: World) -> str:
    """A photo the coach took for the world's badge."""
    from app.awards.photos import store_photo
    from tests.web.test_award_flow import _jpeg_with_gps

    assert world.coach.id is not None
    photo = store_photo(
        session,
        participant=world.participant,
        uploaded_by_id=world.coach.id,
        data=_jpeg_with_gps(),
        max_bytes=settings.photo_max_bytes,
        now=utcnow(),
    )
    photo.award_id = world.credential.award_id
    # Attached at the award, a while before the participant makes her links.
    photo.attached_at = utcnow() - timedelta(minutes=5)
    session.add(photo)
    session.commit()
    return photo.public_id


def test_evidence_photo_only_when_the_link_shows_the_photo(
    holder: TestClient, client: TestClient, session: Session, world: World, evidence_photo: str
) -> None:
    from app.models import EvidencePhoto

    cid = world.credential.public_id
    hidden = _share(holder, f"/passport/badges/{cid}", {"credential": cid, "show_name": "1"})
    assert evidence_photo not in client.get(f"/s/{hidden}").text
    assert client.get(f"/s/{hidden}/photos/{evidence_photo}").status_code == 404
    # What the coach wrote, without the photo: the two are separate choices.
    words = _share(holder, f"/passport/badges/{cid}", {"credential": cid, "show_evidence": "1"})
    page = client.get(f"/s/{words}").text
    assert "Teki työn hyvin." in page and evidence_photo not in page
    assert client.get(f"/s/{words}/photos/{evidence_photo}").status_code == 404
    shown = _share(holder, f"/passport/badges/{cid}", {"credential": cid, "show_photo": "1"})
    page = client.get(f"/s/{shown}").text
    assert "Teki työn hyvin." not in page
    assert f'src="/s/{shown}/photos/{evidence_photo}"' in page
    image = client.get(f"/s/{shown}/photos/{evidence_photo}")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.headers["cache-control"] == "private, no-store"
    assert client.get(f"/s/{shown}/photos/{'0' * 36}").status_code == 404
    # Erasure deletes the photos with the rest.
    post_form(holder, "/passport/data/erase", "/passport/data/erase", {"confirm": "1"})
    assert client.get(f"/s/{shown}/photos/{evidence_photo}").status_code == 404
    session.expire_all()
    gone = session.exec(
        select(EvidencePhoto).where(EvidencePhoto.participant_id == world.participant.id)
    ).all()
    assert gone == []


def test_another_participants_photo_is_not_shared(
    holder: TestClient,
    client: TestClient,
    session: Session,
    settings: Settings,
    world: World,
) -> None:
    from app.awards.photos import store_photo
    from tests.web.test_award_flow import _jpeg_with_gps

    assert world.other_coach.id is not None
    photo = store_photo(
        session,
        participant=world.other_participant,
        uploaded_by_id=world.other_coach.id,
        data=_jpeg_with_gps(),
        max_bytes=settings.photo_max_bytes,
        now=utcnow(),
    )
    photo.award_id = world.other_credential.award_id
    photo.attached_at = utcnow() - timedelta(minutes=5)
    session.add(photo)
    session.commit()
    whole = _share(holder, "/passport/shares", {"show_evidence": "1", "show_photo": "1"})
    assert client.get(f"/s/{whole}/photos/{photo.public_id}").status_code == 404
    # Nor shown to this participant as her own.
    assert holder.get(f"/passport/photos/{photo.public_id}").status_code == 404


def test_the_participant_sees_her_photo_and_a_preview_of_exactly_what_a_link_shows(
    holder: TestClient, client: TestClient, session: Session, world: World, evidence_photo: str
) -> None:
    from app.models import ShareLink

    cid = world.credential.public_id
    own = holder.get(f"/passport/badges/{cid}")
    assert f'src="/passport/photos/{evidence_photo}"' in own.text
    assert "Teki työn hyvin." in own.text
    image = holder.get(f"/passport/photos/{evidence_photo}")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.headers["cache-control"] == "private, no-store"
    signed_out = client.get(f"/passport/photos/{evidence_photo}", follow_redirects=False)
    assert signed_out.status_code == 303 and not signed_out.content
    # Both off by default, each its own choice, and a preview button.
    form = own.text[own.text.index('action="/passport/shares"') :]
    form = form[: form.index("</form>")]
    assert 'name="show_evidence" value="1" >' in form and 'name="show_photo" value="1" >' in form
    assert 'name="preview" value="1"' in form
    links_before = len(session.exec(select(ShareLink)).all())
    choices = {"credential": cid, "show_name": "", "show_evidence": "", "show_photo": "1"}
    preview = post_form(
        holder, f"/passport/badges/{cid}", "/passport/shares", {**choices, "preview": "1"}
    )
    assert preview.status_code == 200
    assert "Esikatselu" in preview.text and "result-green" in preview.text
    # Exactly what the link will show: the photo, not the name nor the coach's words.
    assert f'src="/passport/photos/{evidence_photo}"' in preview.text
    assert world.participant.display_name not in preview.text.split('id="main"')[1]
    assert "Teki työn hyvin." not in preview.text
    session.expire_all()
    assert len(session.exec(select(ShareLink)).all()) == links_before  # nothing made yet
    # Back to the form with the choices kept.
    changed = post_form(
        holder, f"/passport/badges/{cid}", "/passport/shares", {**choices, "change": "1"}
    )
    assert changed.status_code == 200 and 'name="show_photo" value="1" checked' in changed.text
    # Made from the preview: the same choices.
    token = _share(holder, f"/passport/badges/{cid}", choices)
    page = client.get(f"/s/{token}").text
    assert f"/s/{token}/photos/{evidence_photo}" in page and "Teki työn hyvin." not in page
    assert world.participant.display_name not in page


def test_each_badge_once_with_its_pathways_levels_as_steps(
    holder: TestClient, world: World
) -> None:
    """The badge's name is on its card only (no heading above it with the same name), and
    its pathway's levels are steps: the one earned, the next, the later ones."""
    page = holder.get("/passport").text
    name = world.credential.json_ld["credentialSubject"]["achievement"]["name"]
    assert page.count(f"<strong>{name}</strong>") == 1
    assert f"<h3>{name}</h3>" not in page
    steps = re.search(r'<ol class="level-steps".*?</ol>', page, re.S)
    assert steps, "no steps"
    states = re.findall(r'class="level-step level-(\w+)"', steps.group(0))
    assert states[0] == "earned" and states[1] == "next" and set(states[2:]) <= {"later"}
    assert f"Taso 1: {name}, suoritettu" in steps.group(0)
    assert "seuraava askel" in steps.group(0)


def test_a_preview_with_the_coachs_words_shows_them(
    holder: TestClient, world: World, evidence_photo: str
) -> None:
    """The preview of a link that shows what the coach wrote (it failed with a 500: the
    page's Markdown function was missing from the preview)."""
    cid = world.credential.public_id
    for choices in (
        {"credential": cid, "show_evidence": "1", "preview": "1"},
        {"credential": "", "show_evidence": "1", "preview": "1"},
    ):
        preview = post_form(holder, "/passport/shares", "/passport/shares", choices)
        assert preview.status_code == 200, preview.text[-300:]
        assert "Teki työn hyvin." in preview.text
