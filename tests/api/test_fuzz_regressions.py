"""Bugs the schemathesis run found, pinned as plain tests."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.net.fetch import FetchPolicy, UrlNotAllowed, check_url
from app.trust.service import add_trusted_issuer
from tests.verification.test_foreign_issuers import DID, _issuer_keys

PROBLEM = "application/problem+json"


def test_a_huge_badge_revision_is_a_404_not_a_500(client: TestClient) -> None:
    """An id beyond 64 bits cannot exist: the input guard answers 404 before validation."""
    for path in (
        "/badges/puutyo-1/v9223372036854775808",
        "/badges/x/v9223372036854775808/image.svg",
    ):
        response = client.get(path, headers={"accept": "application/json"})
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize("url", ["https://a.example:99999/x", "https://[::1/x"])
def test_unparseable_urls_are_refused(url: str) -> None:
    with pytest.raises(UrlNotAllowed, match="not valid"):
        check_url(url, FetchPolicy())


def test_null_inputs_are_not_counted_as_given(client: TestClient) -> None:
    response = client.post("/api/v1/verifications", json={"jwt": "a.b.c", "url": None})
    assert response.status_code == 400
    assert "not null" in response.json()["detail"]


def test_registry_times_carry_their_time_zone(
    client: TestClient, session: Session, settings: Settings
) -> None:
    add_trusted_issuer(
        session, settings=settings, issuer_id=DID, name="Koulu", documents={"": _issuer_keys()[1]}
    )
    session.commit()
    (entry,) = client.get("/api/v1/trusted-issuers").json()
    assert entry["updated_at"].endswith(("Z", "+00:00")), entry


def test_multipart_errors_are_problems(client: TestClient) -> None:
    fields = {f"f{i}": (None, "x") for i in range(7)}
    response = client.post("/api/v1/verifications", files={"file": ("b.json", b"{}"), **fields})
    assert response.status_code == 400
    assert response.json()["type"].endswith("/bad-request")
