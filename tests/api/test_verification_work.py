"""Bounded verification work for anyone (issue #11): proofs per credential, endorsements and
the work of a whole request, with the work counted toward the caller's limit."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection
from sqlmodel import Session

from app.api.verifications import MAX_WORK_PER_REQUEST
from app.clients.service import create_client
from app.config import Settings
from app.vc.dataintegrity import MAX_PROOFS
from tests.api.test_limits import _client
from tests.factories import issued_credential

NOW = datetime.now(UTC).replace(microsecond=0)
pytestmark = pytest.mark.usefixtures("real_catalog")


def _issued(session: Session, settings: Settings) -> dict[str, Any]:
    return dict(issued_credential(session, settings, now=NOW).json_ld)


def _checks(body: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["code"] for c in body["checks"]}


def test_a_credential_with_thousands_of_proofs_is_refused_unchecked(
    client: TestClient, session: Session, settings: Settings
) -> None:
    credential = _issued(session, settings)
    proofs = credential["proof"] if isinstance(credential["proof"], list) else [credential["proof"]]
    many = dict(credential, proof=[copy.deepcopy(proofs[0]) for _ in range(6000)])
    body = client.post("/api/v1/verifications", json={"credential": many}).json()
    assert body["verified"] is False
    assert _checks(body)["proof"] == "too_many_proofs"
    few = dict(credential, proof=[copy.deepcopy(proofs[0]) for _ in range(MAX_PROOFS)])
    body = client.post("/api/v1/verifications", json={"credential": few}).json()
    assert _checks(body)["proof"] != "too_many_proofs"


@pytest.fixture
def one_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    """The requests of a test fall in one rate-limit minute (a test that ran across the turn
    of a minute saw its count start again)."""
    monkeypatch.setattr("app.api.limits.utcnow", lambda: NOW.replace(second=30))


def test_a_batch_is_bounded_and_counted_item_by_item(
    settings: Settings, connection: Connection, session: Session, one_minute: None
) -> None:
    credential = _issued(session, settings)
    endorsed = dict(credential, endorsement=[credential] * 10)  # 10 (unsigned-for-it) copies
    _, key = create_client(session, name="Koulu", requests_per_minute=1000)
    session.commit()
    client = _client(settings, connection)
    headers = {"x-api-key": key}
    response = client.post(
        "/api/v1/verifications/batch",
        json={"items": [{"credential": endorsed}] * 100},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == 100
    # The request's work budget: the first items and some endorsements are checked, then
    # endorsements go unchecked and the last items are refused as too much work.
    codes = [_checks(r) for r in results]
    assert any(c.get("endorsements") == "endorsements_not_checked" for c in codes)
    checked = sum(1 for c in codes if "work" not in c)
    assert 0 < checked < 100
    assert codes[-1]["work"] == "work_limit"
    # Every unit of that work counted: about MAX_WORK_PER_REQUEST of the 1000.
    single = client.post("/api/v1/verifications", json={"jwt": "a.b.c"}, headers=headers)
    remaining = int(single.headers["x-ratelimit-remaining"])
    assert remaining <= 1000 - MAX_WORK_PER_REQUEST - 1


def test_an_anonymous_batch_past_the_limit_is_refused_up_front(
    settings: Settings, connection: Connection, one_minute: None
) -> None:
    client = _client(settings, connection, rate_limit_anonymous=30)
    response = client.post("/api/v1/verifications/batch", json={"items": [{"jwt": "a.b.c"}] * 31})
    assert response.status_code == 429
    assert "count as 31 requests" in response.json()["detail"]
    ok = client.post("/api/v1/verifications/batch", json={"items": [{"jwt": "a.b.c"}] * 5})
    assert ok.status_code == 200
    # 1 refused + 5 counted: 24 of 30 remain.
    assert ok.headers["x-ratelimit-remaining"] == "24"
    after = client.post("/api/v1/verifications", json={"jwt": "a.b.c"})
    assert after.headers["x-ratelimit-remaining"] == "23"
