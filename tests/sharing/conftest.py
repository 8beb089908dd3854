"""A participant with issued badges, shared by the sharing tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session

from app.config import Settings
from tests.factories import issue_badge, make_org, make_participant, make_user

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def world(session: Session, settings: Settings, real_catalog: None) -> dict[str, Any]:
    org = make_org(session, settings)
    coach = make_user(session, org)
    participant = make_participant(session, org, email="aino@example.fi")
    other = make_participant(session, org)
    return {
        "org": org,
        "coach": coach,
        "participant": participant,
        "other": other,
        "wood": issue_badge(
            session,
            settings,
            coach=coach,
            participant=participant,
            now=NOW,
            narrative="Teki linnunpöntön ohjeen mukaan.",
        ),
        "kitchen": issue_badge(
            session, settings, coach=coach, participant=participant, slug="keittio-1", now=NOW
        ),
        "others_badge": issue_badge(session, settings, coach=coach, participant=other, now=NOW),
    }
