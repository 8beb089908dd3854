"""Rate limits: anonymous callers, API keys, and the same limit across two app instances."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection
from sqlmodel import Session

from app.clients.service import create_client, revoke_client
from app.config import Settings
from app.main import create_app
from tests.conftest import STANDARDS, limit_session_override, session_factory_override

BODY = {"jwt": "a.b.c"}


def _client(settings: Settings, connection: Connection, **overrides: object) -> TestClient:
    application = create_app(settings.model_copy(update=overrides))
    from app.deps import get_limit_session, get_session, get_session_factory

    def session_override():  # type: ignore[no-untyped-def]
        with Session(bind=connection, join_transaction_mode="create_savepoint") as s:
            yield s
            s.commit()

    application.dependency_overrides[get_session] = session_override
    application.dependency_overrides[get_limit_session] = limit_session_override(connection)
    application.dependency_overrides[get_session_factory] = session_factory_override(connection)
    return TestClient(application, base_url="https://passi.test")


def test_anonymous_limit_answers_429_with_retry_after(
    settings: Settings, connection: Connection
) -> None:
    client = _client(settings, connection, rate_limit_anonymous=3)
    statuses = [client.post("/api/v1/verifications", json=BODY).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    refused = client.post("/api/v1/verifications", json=BODY)
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "API key" in refused.json()["detail"]


def test_api_key_gets_its_own_higher_limit(
    settings: Settings, connection: Connection, session: Session
) -> None:
    _, key = create_client(session, name="Koulu", requests_per_minute=6)
    session.commit()
    client = _client(settings, connection, rate_limit_anonymous=1)
    assert client.post("/api/v1/verifications", json=BODY).status_code == 200
    assert client.post("/api/v1/verifications", json=BODY).status_code == 429
    headers = {"authorization": f"Bearer {key}"}
    codes = [
        client.post("/api/v1/verifications", json=BODY, headers=headers).status_code
        for _ in range(7)
    ]
    assert codes == [200] * 6 + [429]
    again = client.post("/api/v1/verifications", json=BODY, headers=headers)
    assert again.status_code == 429 and 1 <= int(again.headers["retry-after"]) <= 60
    assert (
        client.post(
            "/api/v1/verifications", json=BODY, headers={"x-api-key": key + "x"}
        ).status_code
        == 401
    )


def test_answers_carry_the_remaining_count(
    settings: Settings, connection: Connection, session: Session
) -> None:
    _, key = create_client(session, name="Koulu", requests_per_minute=5)
    session.commit()
    client = _client(settings, connection)
    headers = {"x-api-key": key}
    single = client.post("/api/v1/verifications", json=BODY, headers=headers)
    batch = client.post("/api/v1/verifications/batch", json={"items": [BODY]}, headers=headers)
    for answer, remaining in ((single, "4"), (batch, "3")):
        assert answer.status_code == 200, answer.text
        assert answer.headers["x-ratelimit-limit"] == "5"
        assert answer.headers["x-ratelimit-remaining"] == remaining
        assert answer.headers["content-type"] == "application/json"


def test_failed_requests_count_and_the_limit_comes_before_parsing(
    settings: Settings, connection: Connection
) -> None:
    client = _client(settings, connection, rate_limit_anonymous=2)
    url = "/api/v1/verifications"
    assert client.post(url, content=b"x", headers={"content-type": "text/plain"}).status_code == 415
    malformed = {"content-type": "application/json"}
    assert client.post(url, content=b"{", headers=malformed).status_code == 400
    # Both counted: the limit of 2 is used up, and a third request is refused before its
    # body is parsed (malformed or not).
    assert client.post(url, content=b"{", headers=malformed).status_code == 429
    assert client.post(url, json=BODY).status_code == 429
    assert client.post(url + "/batch", json={"items": [BODY]}).status_code == 429


def test_revoked_key_is_refused(
    settings: Settings, connection: Connection, session: Session
) -> None:
    api_client, key = create_client(session, name="Koulu", requests_per_minute=6)
    revoke_client(session, api_client.key_prefix)
    session.commit()
    client = _client(settings, connection)
    response = client.post("/api/v1/verifications", json=BODY, headers={"x-api-key": key})
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_limit_holds_across_two_instances(committed_postgres_url: str) -> None:
    """Two app instances on one PostgreSQL database share the counter (no overrides)."""
    settings = Settings(
        environment="test",
        database_url=committed_postgres_url,
        base_url="https://passi.test",
        contexts_dir=STANDARDS / "contexts",
        rate_limit_anonymous=4,
    )
    first = TestClient(create_app(settings), base_url="https://passi.test")
    second = TestClient(create_app(settings), base_url="https://passi.test")
    codes = [
        (first if n % 2 else second).post("/api/v1/verifications", json=BODY).status_code
        for n in range(8)
    ]
    assert codes.count(200) == 4 and codes.count(429) == 4
    assert codes[:4] == [200] * 4


def test_counter_is_committed_before_the_request_writes(tmp_path: object) -> None:
    """On a real SQLite file (no test overrides) a verification that writes (it caches the
    signed status list) must not wait on the rate-limit counter's write lock."""
    from pathlib import Path

    from app.migrate import upgrade
    from tests.factories import load_real_catalog, make_org, make_participant, make_user

    assert isinstance(tmp_path, Path)
    url = f"sqlite:///{tmp_path / 'real.db'}"
    upgrade(url)
    settings = Settings(
        environment="test",
        database_url=url,
        base_url="https://passi.test",
        contexts_dir=STANDARDS / "contexts",
        schemas_dir=STANDARDS / "schemas",
    )
    from app.awards.service import AwardRequest, award_badge, badge_criteria
    from app.db import make_engine, transaction
    from app.models.base import utcnow

    engine = make_engine(url)
    with transaction(engine) as s:
        load_real_catalog(s)
        org = make_org(s, settings)
        coach = make_user(s, org)
        person = make_participant(s, org)
        criteria = badge_criteria(s, "puutyo-1")
        _, credential = award_badge(
            s,
            settings,
            coach=coach,
            now=utcnow(),
            request=AwardRequest(
                participant_id=person.id,
                badge_slug="puutyo-1",
                criteria_observed=criteria,
                narrative="Teki.",
                idempotency_key="lock",
            ),
        )
        doc = credential.json_ld
    engine.dispose()
    client = TestClient(create_app(settings), base_url="https://passi.test")
    response = client.post("/api/v1/verifications", json={"credential": doc})
    assert response.status_code == 200, response.text
    assert response.json()["verified"] is True


def test_every_verification_route_is_rate_limited() -> None:
    from fastapi.routing import APIRoute

    from app.api import verifications
    from app.api.limits import rate_limit

    routes = [r for r in verifications.router.routes if isinstance(r, APIRoute)]
    assert routes
    for route in routes:
        calls = [d.call for d in route.dependant.dependencies]
        assert rate_limit in calls, route.path
