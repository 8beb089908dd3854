"""Awarding a badge: the coach's observation becomes a signed credential in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from app.audit import service as audit
from app.catalog import repository as catalog_repo
from app.config import Settings
from app.credentials.service import issue_credential
from app.errors import Forbidden, NotFound, ValidationFailed
from app.models import Award, BadgeDefinition, BadgeVersion, Credential, Organization, Participant
from app.models.users import User

MAX_NARRATIVE = 2000


@dataclass(frozen=True)
class AwardRequest:
    participant_id: int
    badge_slug: str
    criteria_observed: list[str]
    narrative: str
    idempotency_key: str
    activity_start: date | None = None
    activity_end: date | None = None


def _current_version(session: Session, slug: str) -> tuple[BadgeDefinition, BadgeVersion]:
    badge = session.exec(select(BadgeDefinition).where(BadgeDefinition.slug == slug)).first()
    if badge is None or badge.archived_at is not None:
        raise NotFound(f"No badge {slug!r} in the catalog.")
    assert badge.id is not None
    version = catalog_repo.latest_version(session, badge.id)
    assert version is not None
    return badge, version


def badge_criteria(session: Session, slug: str) -> list[str]:
    """The criterion ids of the current version of a badge."""
    _, version = _current_version(session, slug)
    return [c["id"] for c in version.definition["criteria"]]


def award_badge(
    session: Session,
    settings: Settings,
    *,
    coach: User,
    request: AwardRequest,
    now: datetime,
    ip_address: str | None = None,
) -> tuple[Award, Credential]:
    """Record an award and issue its credential; a repeated idempotency key returns the first."""
    organization = session.get(Organization, coach.organization_id)
    assert organization is not None and organization.id is not None
    existing = session.exec(
        select(Award)
        .where(Award.organization_id == organization.id)
        .where(Award.idempotency_key == request.idempotency_key)
    ).first()
    if existing is not None:
        credential = session.exec(
            select(Credential).where(Credential.award_id == existing.id)
        ).one()
        return existing, credential

    participant = session.get(Participant, request.participant_id)
    if participant is None or participant.erased_at is not None:
        raise NotFound("No such participant.")
    if participant.organization_id != organization.id:
        # Same answer as a missing participant: do not reveal other organizations' data.
        raise NotFound("No such participant.")
    if coach.organization_id != organization.id or not coach.is_active:
        raise Forbidden("You cannot award badges for this organization.")

    badge, version = _current_version(session, request.badge_slug)
    criteria_ids = [c["id"] for c in version.definition["criteria"]]
    observed = list(dict.fromkeys(request.criteria_observed))
    unknown = [c for c in observed if c not in criteria_ids]
    if unknown:
        raise ValidationFailed(f"Unknown criteria for this badge: {', '.join(unknown)}.")
    missing = [c for c in criteria_ids if c not in observed]
    if missing:
        raise ValidationFailed(
            "Every criterion must be confirmed as observed before awarding.", missing=missing
        )
    narrative = request.narrative.strip()
    if not narrative:
        raise ValidationFailed("Describe briefly what the person did, where and when.")
    if len(narrative) > MAX_NARRATIVE:
        raise ValidationFailed(f"The description can have at most {MAX_NARRATIVE} characters.")
    if (
        request.activity_start
        and request.activity_end
        and (request.activity_end < request.activity_start)
    ):
        raise ValidationFailed("The activity cannot end before it starts.")
    if request.activity_start and request.activity_start > now.date():
        raise ValidationFailed("The activity dates cannot be in the future.")

    assert participant.id is not None and coach.id is not None and version.id is not None
    award = Award(
        organization_id=organization.id,
        participant_id=participant.id,
        badge_version_id=version.id,
        coach_id=coach.id,
        criteria_observed=observed,
        narrative=narrative,
        activity_start=request.activity_start,
        activity_end=request.activity_end,
        idempotency_key=request.idempotency_key,
        created_at=now,
    )
    session.add(award)
    session.flush()
    credential = issue_credential(
        session,
        settings,
        award=award,
        organization=organization,
        participant=participant,
        badge=badge,
        version=version,
        now=now,
    )
    audit.record(
        session,
        action="award.create",
        organization_id=organization.id,
        actor_user_id=coach.id,
        object_type="credential",
        object_id=credential.public_id,
        ip_address=ip_address,
        details={"badge": badge.slug, "revision": version.revision},
    )
    return award, credential
