"""LinkedIn "Add to profile" URLs."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

from app.sharing.linkedin import add_to_profile_url


def test_url_carries_every_field_encoded() -> None:
    url = add_to_profile_url(
        name="Puutyön perusteet & turvallisuus",
        organization_name="Säätiö Eduro",
        issued_at=datetime(2026, 3, 9, tzinfo=UTC),
        cert_url="https://passi.test/credentials/0b6f?x=1&y=2",
        cert_id="0b6f",
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    assert parse_qsl(parts.query) == [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", "Puutyön perusteet & turvallisuus"),
        ("organizationName", "Säätiö Eduro"),
        ("issueYear", "2026"),
        ("issueMonth", "3"),
        ("certUrl", "https://passi.test/credentials/0b6f?x=1&y=2"),
        ("certId", "0b6f"),
    ]
    assert "&y=2" not in parts.query  # the nested query is encoded, not spliced in


def test_expiry_and_company_id() -> None:
    url = add_to_profile_url(
        name="Keittiö 1",
        organization_name="ignored when the id is known",
        issued_at=datetime(2026, 11, 2, tzinfo=UTC),
        expires_at=datetime(2029, 11, 2, tzinfo=UTC),
        cert_url="https://passi.test/credentials/1",
        cert_id="1",
        organization_id=12345,
    )
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["organizationId"] == "12345" and "organizationName" not in query
    assert (query["expirationYear"], query["expirationMonth"]) == ("2029", "11")
