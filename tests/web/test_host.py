"""The Open Badges 3.0 Host API (issue #16): a client registers (RFC 7591), the participant
allows it on the consent page, and the client reads and adds her badges and reads and
changes her profile with the tokens it gets (authorization code with PKCE S256, refresh
tokens, revocation). Done as a client would, through HTTP, on both databases."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jsonschema
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col, select

from app.config import Settings
from app.host.scopes import CREDENTIAL_READ, CREDENTIAL_UPSERT, PROFILE_READ, PROFILE_UPDATE
from app.models import ForeignBadge, HostAuthorizationCode, HostClient, HostToken, Participant
from app.models.base import utcnow
from app.participants.privacy import erase_participant, export_participant_data
from tests.conftest import STANDARDS
from tests.factories import school_badge
from tests.web.conftest import World, csrf_of
from tests.web.test_foreign_badges import _other_holder
from tests.web.test_passport import open_passport, passport_token

ALL_SCOPES = f"{CREDENTIAL_READ} {CREDENTIAL_UPSERT} {PROFILE_READ} {PROFILE_UPDATE}"
REDIRECT = "https://wallet.example/callback"
API = "/ims/ob/v3p0"


def metadata(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "client_name": "Esimerkkilompakko",
        "client_uri": "https://wallet.example",
        "logo_uri": "https://wallet.example/logo.png",
        "tos_uri": "https://wallet.example/terms",
        "policy_uri": "https://wallet.example/privacy",
        "software_id": "c6d2a1b4-7e1f-4f61-9d5e-0a1b2c3d4e5f",
        "software_version": "1.0.0",
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": ALL_SCOPES,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class Ob3Client:
    """A service using the API as the specification describes (what `ob3 push` does too)."""

    http: TestClient
    client_id: str = ""
    client_secret: str = ""
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))

    def register(self, **changes: Any) -> Any:
        answer = self.http.post(f"{API}/auth/register", json=metadata(**changes))
        if answer.status_code == 201:
            self.client_id = answer.json()["client_id"]
            self.client_secret = answer.json()["client_secret"]
        return answer

    def authorize_url(self, scope: str = ALL_SCOPES, **changes: str | None) -> str:
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT,
            "scope": scope,
            "state": "tila-123",
            "code_challenge": challenge_of(self.verifier),
            "code_challenge_method": "S256",
        }
        params.update(changes)
        return f"{API}/auth/authorize?" + urlencode({k: v for k, v in params.items() if v})

    def basic(self) -> dict[str, str]:
        pair = f"{self.client_id}:{self.client_secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    def token(self, **form: str) -> Any:
        return self.http.post(f"{API}/auth/token", data=form, headers=self.basic())

    def exchange(self, code: str, verifier: str | None = None) -> Any:
        return self.token(
            grant_type="authorization_code",
            code=code,
            redirect_uri=REDIRECT,
            code_verifier=verifier or self.verifier,
        )


def consent(holder: TestClient, url: str, decision: str = "allow") -> Any:
    """The participant opens the consent page and answers; the redirect back to the client."""
    page = holder.get(url, follow_redirects=False)
    assert page.status_code == 200, page.text
    fields = dict(
        (name, value)
        for name, value in _hidden_fields(page.text)
        if name not in ("csrf_token", "decision")
    )
    return holder.post(
        f"{API}/auth/authorize",
        data={**fields, "csrf_token": csrf_of(page.text), "decision": decision},
        follow_redirects=False,
    )


def _hidden_fields(html: str) -> list[tuple[str, str]]:
    import html as html_lib
    import re

    return [
        (html_lib.unescape(n), html_lib.unescape(v))
        for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    ]


def code_of(answer: Any) -> str:
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["tila-123"]
    return query["code"][0]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def holder(client_factory: Callable[[], TestClient], session: Session, world: World) -> TestClient:
    client = client_factory()
    open_passport(client, passport_token(session, world))
    return client


@pytest.fixture
def ob3(client_factory: Callable[[], TestClient]) -> Ob3Client:
    service = Ob3Client(client_factory())
    assert service.register().status_code == 201
    return service


def tokens_for(ob3: Ob3Client, holder: TestClient, scope: str = ALL_SCOPES) -> dict[str, Any]:
    answer = ob3.exchange(code_of(consent(holder, ob3.authorize_url(scope))))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _openapi_validator(name: str) -> jsonschema.protocols.Validator:
    document = json.loads((STANDARDS / "schemas" / "ob_v3p0_openapi.json").read_text())
    schema = {**document["components"]["schemas"][name], "components": document["components"]}
    return jsonschema.Draft202012Validator(schema)


# --- discovery and registration ------------------------------------------------------------


def test_discovery_describes_the_oauth_endpoints(client: TestClient, settings: Settings) -> None:
    answer = client.get(f"{API}/discovery")
    assert answer.status_code == 200
    document = answer.json()
    _openapi_validator("ServiceDescriptionDocument").validate(document)
    scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
    origin = settings.public_origin
    assert scheme["x-imssf-registrationUrl"] == f"{origin}{API}/auth/register"
    flow = scheme["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == f"{origin}{API}/auth/authorize"
    assert flow["tokenUrl"] == f"{origin}{API}/auth/token"
    assert set(flow["scopes"]) == set(ALL_SCOPES.split())
    for url in (document["info"]["termsOfService"], document["info"]["x-imssf-privacyPolicyUrl"]):
        assert client.get(urlsplit(url).path).status_code == 200


def test_registration_gives_an_id_and_a_secret_kept_only_as_a_hash(
    client: TestClient, session: Session
) -> None:
    service = Ob3Client(client)
    answer = service.register()
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["client_name"] == "Esimerkkilompakko" and body["scope"] == ALL_SCOPES
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["client_secret_expires_at"] == 0
    # No registration access token: there is no RFC 7592 management to misuse.
    assert "registration_access_token" not in body
    row = session.exec(select(HostClient).where(HostClient.client_id == body["client_id"])).one()
    assert row.secret_hash == hashlib.sha256(body["client_secret"].encode()).hexdigest()
    assert body["client_secret"] not in json.dumps(row.client_metadata)


@pytest.mark.parametrize(
    "changes",
    [
        {"client_name": None},
        {"client_uri": None},
        {"logo_uri": None},
        {"tos_uri": None},
        {"policy_uri": None},
        {"software_id": None},
        {"software_version": None},
        {"redirect_uris": None},
        {"scope": None},
        {"redirect_uris": ["http://wallet.example/callback"]},
        {"redirect_uris": ["https://wallet.example/callback#x"]},
        {"tos_uri": "javascript:alert(1)"},
        {"client_name": "Lompakko\u202eexe.txt"},
        {"client_name": "Lompakko\x00"},
        {"client_name": "L" * 101},
        {"scope": "https://purl.imsglobal.org/spec/ob/v3p0/scope/everything"},
        {"token_endpoint_auth_method": "none"},
        {"grant_types": ["client_credentials"]},
        {"response_types": ["token"]},
    ],
)
def test_registration_refuses_missing_or_unsafe_metadata(
    client: TestClient, session: Session, changes: dict[str, Any]
) -> None:
    answer = Ob3Client(client).register(**changes)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_client_metadata"
    assert answer.json()["error_description"]
    assert session.exec(select(HostClient)).first() is None


def test_registration_refuses_a_body_that_is_not_json(client: TestClient) -> None:
    answer = client.post(f"{API}/auth/register", content=b"client_name=x")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_client_metadata"


# --- the whole dance -----------------------------------------------------------------------


def test_the_whole_dance_reads_and_writes_the_participants_badges_and_profile(
    ob3: Ob3Client, holder: TestClient, world: World, settings: Settings, session: Session
) -> None:
    page = holder.get(ob3.authorize_url())
    assert "Esimerkkilompakko" in page.text and "wallet.example" in page.text
    # The form's answer redirects to the service: the page's policy lets it, and only it.
    policy = page.headers["content-security-policy"]
    assert "form-action 'self' https://wallet.example;" in policy + ";"
    assert "script-src 'self'" in policy
    tokens = tokens_for(ob3, holder)
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert set(tokens["scope"].split()) == set(ALL_SCOPES.split())
    access = bearer(tokens["access_token"])

    listed = ob3.http.get(f"{API}/credentials", headers=access)
    assert listed.status_code == 200, listed.text
    _openapi_validator("GetOpenBadgeCredentialsResponse").validate(listed.json())
    assert listed.json()["credential"] == [world.credential.json_ld]
    assert listed.headers["X-Total-Count"] == "1"

    profile = ob3.http.get(f"{API}/profile", headers=access)
    assert profile.status_code == 200
    _openapi_validator("Profile").validate(profile.json())
    assert profile.json()["id"] == f"urn:uuid:{world.participant.public_id}"
    assert profile.json()["name"] == world.participant.display_name

    changed = ob3.http.put(
        f"{API}/profile", headers=access, json={**profile.json(), "name": "Uusi  Nimi "}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Uusi Nimi"
    session.refresh(world.participant)
    assert world.participant.display_name == "Uusi Nimi"

    badge, _ = school_badge(settings)
    sent = json.dumps(badge, ensure_ascii=False).encode()
    added = ob3.http.post(
        f"{API}/credentials",
        headers={**access, "Content-Type": "application/json"},
        content=sent,
    )
    assert added.status_code == 201, added.text
    assert added.content == sent
    again = ob3.http.post(
        f"{API}/credentials", headers={**access, "Content-Type": "application/json"}, content=sent
    )
    assert again.status_code == 200
    kept = session.exec(select(ForeignBadge)).one()
    assert kept.data == sent and kept.participant_id == world.participant.id
    listed = ob3.http.get(f"{API}/credentials", headers=access).json()
    assert badge in listed["credential"] and len(listed["credential"]) == 2


def test_refresh_tokens_rotate_and_a_replayed_one_ends_the_chain(
    ob3: Ob3Client, holder: TestClient
) -> None:
    tokens = tokens_for(ob3, holder)
    first = ob3.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert first.status_code == 200, first.text
    fresh = first.json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    # The old access token ended with the refresh; the new one works.
    assert ob3.http.get(f"{API}/profile", headers=bearer(tokens["access_token"])).status_code == 401
    assert ob3.http.get(f"{API}/profile", headers=bearer(fresh["access_token"])).status_code == 200
    # The rotated refresh token again: refused, and the new tokens end too.
    replay = ob3.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert ob3.http.get(f"{API}/profile", headers=bearer(fresh["access_token"])).status_code == 401
    again = ob3.token(grant_type="refresh_token", refresh_token=fresh["refresh_token"])
    assert again.status_code == 400


def test_a_replayed_code_is_refused_and_revokes_what_it_gave(
    ob3: Ob3Client, holder: TestClient
) -> None:
    code = code_of(consent(holder, ob3.authorize_url()))
    first = ob3.exchange(code)
    assert first.status_code == 200
    replay = ob3.exchange(code)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    access = bearer(first.json()["access_token"])
    assert ob3.http.get(f"{API}/profile", headers=access).status_code == 401


def test_revocation_ends_the_tokens(ob3: Ob3Client, holder: TestClient) -> None:
    tokens = tokens_for(ob3, holder)
    answer = ob3.http.post(
        f"{API}/auth/revoke", data={"token": tokens["access_token"]}, headers=ob3.basic()
    )
    assert answer.status_code == 200
    assert ob3.http.get(f"{API}/profile", headers=bearer(tokens["access_token"])).status_code == 401
    refresh = ob3.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refresh.status_code == 400


def test_the_token_endpoint_needs_the_clients_secret(ob3: Ob3Client, holder: TestClient) -> None:
    code = code_of(consent(holder, ob3.authorize_url()))
    ob3.client_secret = "wrong"
    answer = ob3.exchange(code)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


# --- PKCE, redirect URIs and scopes ----------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"code_challenge": None, "code_challenge_method": None},
        {"code_challenge_method": "plain"},
        {"code_challenge_method": None},
        {"scope": "https://purl.imsglobal.org/spec/ob/v3p0/scope/everything"},
        {"scope": None},
        {"response_type": "token"},
    ],
)
def test_an_authorization_request_without_pkce_s256_or_with_bad_scopes_goes_back_refused(
    ob3: Ob3Client, holder: TestClient, changes: dict[str, str | None]
) -> None:
    answer = holder.get(ob3.authorize_url(**changes), follow_redirects=False)
    assert answer.status_code == 303, answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert answer.headers["location"].startswith(REDIRECT)
    assert query["error"][0] in ("invalid_request", "invalid_scope", "unsupported_response_type")
    assert query["state"] == ["tila-123"]


def test_scopes_the_client_did_not_register_are_refused(
    client_factory: Callable[[], TestClient], holder: TestClient
) -> None:
    reader = Ob3Client(client_factory())
    assert reader.register(scope=CREDENTIAL_READ).status_code == 201
    answer = holder.get(reader.authorize_url(scope=ALL_SCOPES), follow_redirects=False)
    assert answer.status_code == 303
    assert "error=invalid_scope" in answer.headers["location"]


@pytest.mark.parametrize(
    "changes",
    [
        {"redirect_uri": "https://attacker.example/callback"},
        {"redirect_uri": REDIRECT + "/more"},
        {"client_id": "no-such-client"},
    ],
)
def test_an_unknown_client_or_redirect_uri_is_never_redirected_to(
    ob3: Ob3Client, holder: TestClient, changes: dict[str, str]
) -> None:
    answer = holder.get(ob3.authorize_url(**changes), follow_redirects=False)
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert 'href="https://attacker.example' not in answer.text


def test_a_wrong_code_verifier_gets_no_token(ob3: Ob3Client, holder: TestClient) -> None:
    code = code_of(consent(holder, ob3.authorize_url()))
    answer = ob3.exchange(code, verifier=secrets.token_urlsafe(48))
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    no_verifier = ob3.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert no_verifier.status_code == 400


def test_the_token_request_must_name_the_same_redirect_uri(
    ob3: Ob3Client, holder: TestClient
) -> None:
    code = code_of(consent(holder, ob3.authorize_url()))
    answer = ob3.token(
        grant_type="authorization_code",
        code=code,
        redirect_uri="https://wallet.example/other",
        code_verifier=ob3.verifier,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_an_expired_code_gets_no_token(
    ob3: Ob3Client, holder: TestClient, session: Session
) -> None:
    code = code_of(consent(holder, ob3.authorize_url()))
    session.execute(
        update(HostAuthorizationCode).values(expires_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    assert ob3.exchange(code).status_code == 400


def test_refusing_on_the_consent_page_tells_the_client(ob3: Ob3Client, holder: TestClient) -> None:
    answer = consent(holder, ob3.authorize_url(), decision="deny")
    assert answer.status_code == 303
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["tila-123"]


def test_a_participant_not_signed_in_signs_in_and_comes_back(
    ob3: Ob3Client, client_factory: Callable[[], TestClient], session: Session, world: World
) -> None:
    browser = client_factory()
    url = ob3.authorize_url()
    first = browser.get(url, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/passport/sign-in"
    assert "Palvelu pyytää pääsyä passiisi." in browser.get("/passport/sign-in").text
    signed_in = browser.get(f"/passport/{passport_token(session, world)}", follow_redirects=False)
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == url
    assert code_of(consent(browser, url))


# --- the resource endpoints' refusals --------------------------------------------------------


def _imsx(answer: Any, status: int, minor: str) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    jsonschema.validate(
        body,
        json.loads((STANDARDS / "schemas" / "ob_v3p0_imsx_statusinfo_schema.json").read_text()),
    )
    assert body["imsx_codeMajor"] == "failure"
    assert body["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == minor


def test_no_expired_or_unknown_token_reads_nothing(
    ob3: Ob3Client, holder: TestClient, session: Session
) -> None:
    _imsx(ob3.http.get(f"{API}/credentials"), 401, "unauthorizedrequest")
    _imsx(ob3.http.get(f"{API}/profile", headers=bearer("made-up")), 401, "unauthorizedrequest")
    tokens = tokens_for(ob3, holder)
    session.execute(update(HostToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    answer = ob3.http.get(f"{API}/credentials", headers=bearer(tokens["access_token"]))
    _imsx(answer, 401, "unauthorizedrequest")
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_a_token_without_the_scope_is_forbidden(ob3: Ob3Client, holder: TestClient) -> None:
    tokens = tokens_for(ob3, holder, scope=CREDENTIAL_READ)
    access = bearer(tokens["access_token"])
    assert ob3.http.get(f"{API}/credentials", headers=access).status_code == 200
    _imsx(ob3.http.get(f"{API}/profile", headers=access), 403, "forbidden")
    _imsx(
        ob3.http.put(f"{API}/profile", headers=access, json={"type": ["Profile"]}), 403, "forbidden"
    )
    sent = ob3.http.post(
        f"{API}/credentials", headers={**access, "Content-Type": "text/plain"}, content=b"a.b.c"
    )
    _imsx(sent, 403, "forbidden")


def test_another_participants_badges_are_never_visible(
    ob3: Ob3Client,
    holder: TestClient,
    client_factory: Callable[[], TestClient],
    session: Session,
    world: World,
) -> None:
    mine = bearer(tokens_for(ob3, holder)["access_token"])
    theirs = bearer(tokens_for(ob3, _other_holder(client_factory, session, world))["access_token"])
    assert ob3.http.get(f"{API}/credentials", headers=mine).json()["credential"] == [
        world.credential.json_ld
    ]
    assert ob3.http.get(f"{API}/credentials", headers=theirs).json()["credential"] == [
        world.other_credential.json_ld
    ]
    # Our badge of the other participant cannot be put in this passport.
    answer = ob3.http.post(
        f"{API}/credentials",
        headers={**mine, "Content-Type": "application/json"},
        content=json.dumps(world.other_credential.json_ld).encode(),
    )
    _imsx(answer, 400, "invalid_data")
    # Nor can a profile with another person's id be written.
    other_id = f"urn:uuid:{world.other_participant.public_id}"
    answer = ob3.http.put(
        f"{API}/profile", headers=mine, json={"id": other_id, "type": ["Profile"], "name": "X"}
    )
    _imsx(answer, 400, "invalid_data")


def test_paging_with_limit_offset_since_and_link_headers(
    ob3: Ob3Client, holder: TestClient, settings: Settings, session: Session
) -> None:
    access = bearer(tokens_for(ob3, holder)["access_token"])
    for name in ("Yksi", "Kaksi", "Kolme"):
        badge, _ = school_badge(settings, name=name)
        answer = ob3.http.post(
            f"{API}/credentials",
            headers={**access, "Content-Type": "application/json"},
            content=json.dumps(badge).encode(),
        )
        assert answer.status_code == 201, answer.text
    page = ob3.http.get(f"{API}/credentials?limit=2&offset=0", headers=access)
    assert page.headers["X-Total-Count"] == "4" and len(page.json()["credential"]) == 2
    assert 'rel="next"' in page.headers["Link"] and 'rel="prev"' not in page.headers["Link"]
    second = ob3.http.get(f"{API}/credentials?limit=2&offset=2", headers=access)
    assert len(second.json()["credential"]) == 2 and 'rel="prev"' in second.headers["Link"]
    seen = page.json()["credential"] + second.json()["credential"]
    assert len({json.dumps(c, sort_keys=True) for c in seen}) == 4
    future = ob3.http.get(f"{API}/credentials?since=2999-01-01T00:00:00Z", headers=access)
    assert future.headers["X-Total-Count"] == "0" and future.json() == {}
    for query in ("limit=0", "limit=x", "offset=-1", "since=eilen"):
        _imsx(
            ob3.http.get(f"{API}/credentials?{query}", headers=access),
            400,
            "invalid_query_parameter",
        )


def test_an_upsert_that_does_not_verify_is_refused_and_nothing_kept(
    ob3: Ob3Client, holder: TestClient, settings: Settings, session: Session
) -> None:
    access = bearer(tokens_for(ob3, holder)["access_token"])
    badge, _ = school_badge(settings)
    badge["name"] = "Muutettu"
    forged = ob3.http.post(
        f"{API}/credentials",
        headers={**access, "Content-Type": "application/json"},
        content=json.dumps(badge).encode(),
    )
    _imsx(forged, 400, "invalid_data")
    garbage = ob3.http.post(
        f"{API}/credentials", headers={**access, "Content-Type": "text/plain"}, content=b"not a jws"
    )
    _imsx(garbage, 400, "invalid_data")
    wrong_type = ob3.http.post(
        f"{API}/credentials", headers={**access, "Content-Type": "image/png"}, content=b"x"
    )
    _imsx(wrong_type, 415, "invalid_data")
    assert session.exec(select(ForeignBadge)).first() is None


def test_a_jwt_badge_comes_back_as_a_compact_jws(
    ob3: Ob3Client, holder: TestClient, settings: Settings
) -> None:
    from app.vc.jwt import encode_vc_jwt

    access = bearer(tokens_for(ob3, holder)["access_token"])
    badge, signer = school_badge(settings)
    unsigned = {k: v for k, v in badge.items() if k != "proof"}
    jws = encode_vc_jwt(unsigned, signer=signer)
    added = ob3.http.post(
        f"{API}/credentials", headers={**access, "Content-Type": "text/plain"}, content=jws.encode()
    )
    assert added.status_code == 201, added.text
    assert added.text == jws and added.headers["content-type"].startswith("text/plain")
    listed = ob3.http.get(f"{API}/credentials", headers=access).json()
    assert listed["compactJwsString"] == [jws]


def test_a_badge_moved_from_one_passport_to_another_comes_back_byte_identical(
    ob3: Ob3Client,
    holder: TestClient,
    client_factory: Callable[[], TestClient],
    session: Session,
    settings: Settings,
    world: World,
) -> None:
    """Exported from one passport through the API and imported into another through it."""
    badge, _ = school_badge(settings)
    sent = json.dumps(badge, ensure_ascii=False, indent=2).encode()
    mine = bearer(tokens_for(ob3, holder)["access_token"])
    assert (
        ob3.http.post(
            f"{API}/credentials", headers={**mine, "Content-Type": "application/json"}, content=sent
        ).status_code
        == 201
    )
    other = _other_holder(client_factory, session, world)
    theirs = bearer(tokens_for(ob3, other)["access_token"])
    exported = next(
        c
        for c in ob3.http.get(f"{API}/credentials", headers=mine).json()["credential"]
        if c["id"] == badge["id"]
    )
    imported = ob3.http.post(
        f"{API}/credentials",
        headers={**theirs, "Content-Type": "application/json"},
        content=json.dumps(exported, ensure_ascii=False, indent=2).encode(),
    )
    assert imported.status_code == 201, imported.text
    kept = session.exec(
        select(ForeignBadge).where(ForeignBadge.participant_id == world.other_participant.id)
    ).one()
    downloaded = other.get(f"/passport/other-badges/{kept.public_id}/download")
    assert downloaded.content == sent


# --- the participant's view ----------------------------------------------------------------


def test_the_settings_list_the_service_and_withdrawing_ends_its_access_at_once(
    ob3: Ob3Client, holder: TestClient
) -> None:
    tokens = tokens_for(ob3, holder, scope=f"{CREDENTIAL_READ} {PROFILE_READ}")
    page = holder.get("/passport/settings")
    assert "Esimerkkilompakko" in page.text and "wallet.example" in page.text
    answer = holder.post(
        "/passport/settings/services/withdraw",
        data={"csrf_token": csrf_of(page.text), "client_id": ob3.client_id},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert ob3.http.get(f"{API}/profile", headers=bearer(tokens["access_token"])).status_code == 401
    assert (
        ob3.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"]).status_code
        == 400
    )
    assert "Esimerkkilompakko" not in holder.get("/passport/settings").text.split("<h2>")[1]


def test_export_names_the_services_and_erasure_ends_their_access(
    ob3: Ob3Client, holder: TestClient, session: Session, settings: Settings, world: World
) -> None:
    tokens = tokens_for(ob3, holder)
    data = export_participant_data(session, participant=world.participant, now=utcnow())
    assert [s["service"] for s in data["services_with_access"]] == ["Esimerkkilompakko"]
    assert tokens["access_token"] not in json.dumps(data)
    erase_participant(
        session, settings, participant=world.participant, actor_user_id=None, now=utcnow()
    )
    session.commit()
    assert (
        session.exec(
            select(HostToken).where(col(HostToken.participant_id) == world.participant.id)
        ).first()
        is None
    )
    assert ob3.http.get(f"{API}/profile", headers=bearer(tokens["access_token"])).status_code == 401
    assert session.get(Participant, world.participant.id) is not None


def test_maintenance_removes_ended_tokens_and_codes_a_day_on(
    ob3: Ob3Client, holder: TestClient, session: Session, settings: Settings
) -> None:
    from app.maintenance import clean_up

    ended = tokens_for(ob3, holder)
    live = tokens_for(ob3, holder)
    assert ob3.http.post(
        f"{API}/auth/revoke", data={"token": ended["refresh_token"]}, headers=ob3.basic()
    ).is_success
    later = utcnow() + timedelta(days=1, minutes=10)
    report = clean_up(session, settings, now=later)
    # The revoked chain and its code, expired a day ago, go; the live token and the code it
    # came from (which a replay would need to find) stay.
    assert report.api_grants == 2
    (kept,) = session.exec(select(HostToken)).all()
    assert kept.access_token_hash == hashlib.sha256(live["access_token"].encode()).hexdigest()
    (code,) = session.exec(select(HostAuthorizationCode)).all()
    assert code.id == kept.authorization_code_id
