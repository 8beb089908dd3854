"""The coach's read models of earned badges: one badge is read alone (not by reading all of
its holder's), only within its organization, and each badge version's definition is read
once per page, however many badges of it a participant holds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session

from app.awards import queries
from app.awards.service import AwardRequest, award_badge, badge_criteria
from app.catalog.schemas import Badge
from app.config import Settings
from app.errors import NotFound
from tests.factories import make_org, make_participant, make_user

NOW = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)


class CountingBadge:
    """Badge, counting how many definitions are read."""

    reads = 0

    @classmethod
    def model_validate(cls, data: Any) -> Badge:
        cls.reads += 1
        return Badge.model_validate(data)


def test_one_badge_is_read_alone_and_each_definition_once(
    session: Session, settings: Settings, real_catalog: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = make_org(session, settings)
    coach = make_user(session, org)
    participant = make_participant(session, org)
    assert participant.id is not None
    issued = []
    for n, slug in enumerate(["puutyo-1"] * 5 + ["siivous-1"]):
        request = AwardRequest(
            participant_id=participant.id,
            badge_slug=slug,
            criteria_observed=badge_criteria(session, slug),
            narrative="Teki työn valmiiksi.",
            idempotency_key=f"queries-{n}",
        )
        issued.append(award_badge(session, settings, coach=coach, request=request, now=NOW)[1])
    monkeypatch.setattr(queries, "Badge", CountingBadge)
    monkeypatch.setattr(CountingBadge, "reads", 0)

    everything = queries.participant_badges(session, participant.id)
    assert {e.credential.id for e in everything} == {c.id for c in issued}
    assert len(everything) == 6
    assert CountingBadge.reads == 2  # two badge versions, six badges

    CountingBadge.reads = 0
    first = issued[0]
    one = queries.credential_detail(session, org.id, first.public_id)  # type: ignore[arg-type]
    assert CountingBadge.reads == 1
    same = next(e for e in everything if e.credential.id == first.id)
    assert (one.credential.id, one.award.id, one.badge.slug, one.revision, one.coach_name) == (
        same.credential.id,
        same.award.id,
        same.badge.slug,
        same.revision,
        same.coach_name,
    )
    assert one.definition == same.definition

    other = make_org(session, settings)
    with pytest.raises(NotFound):
        queries.credential_detail(session, other.id, first.public_id)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        queries.credential_detail(session, org.id, "no-such-badge")  # type: ignore[arg-type]
