"""Downloads: every form of a participant's own badge verifies; the JSON follows the schema."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session

from app.config import Settings
from app.errors import NotFound, ValidationFailed
from app.passport.downloads import download_clr, download_credential
from app.vc.baking import detect_and_unbake
from app.verification.service import verify
from tests.sharing.conftest import NOW, world  # noqa: F401 (fixture)

LATER = NOW + timedelta(days=1)


@pytest.mark.parametrize(
    ("fmt", "media_type", "input_format"),
    [
        ("json", "application/vc+ld+json", "json"),
        ("jwt", "application/vc+jwt", "jwt"),
        ("png", "image/png", "png"),
        ("svg", "image/svg+xml", "svg"),
    ],
)
def test_each_form_verifies_with_the_project_verifier(
    session: Session,
    settings: Settings,
    world: dict[str, Any],  # noqa: F811
    credential_schema_validator: Any,
    fmt: str,
    media_type: str,
    input_format: str,
) -> None:
    wood = world["wood"]
    download = download_credential(
        session, participant=world["participant"], credential_public_id=wood.public_id, fmt=fmt
    )
    assert download.media_type == media_type
    assert download.filename == f"osaamismerkki-puutyo-1-{wood.public_id[:8]}.{fmt}"
    result = verify(session, settings, download.body, now=LATER)
    assert result.verified, [c for c in result.checks if c.status == "failed"]
    assert result.input_format == input_format
    assert result.credential is not None and result.credential["id"] == wood.json_ld["id"]
    if fmt == "json":
        document = json.loads(download.body)
        assert [e.message for e in credential_schema_validator.iter_errors(document)] == []
    if fmt in ("png", "svg"):
        baked = detect_and_unbake(download.body)
        assert baked is not None and baked[0] == fmt


def test_only_own_badges_and_known_formats(
    session: Session,
    world: dict[str, Any],  # noqa: F811
) -> None:
    with pytest.raises(NotFound):
        download_credential(
            session,
            participant=world["participant"],
            credential_public_id=world["others_badge"].public_id,
            fmt="json",
        )
    with pytest.raises(ValidationFailed):
        download_credential(
            session,
            participant=world["participant"],
            credential_public_id=world["wood"].public_id,
            fmt="pdf",
        )


def test_clr_download_verifies(
    session: Session,
    settings: Settings,
    world: dict[str, Any],  # noqa: F811
) -> None:
    download = download_clr(session, settings, participant=world["participant"], now=LATER)
    assert download.media_type == "application/vc+ld+json"
    assert download.filename == "osaamispassi-2026-11-03.json"
    result = verify(session, settings, download.body, now=LATER)
    assert result.verified and len(result.inner) == 2
