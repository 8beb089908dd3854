"""Awarding a badge: the coach's observation becomes a signed credential in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.audit import service as audit
from app.awards.photos import pending_photo
from app.catalog import repository as catalog_repo
from app.config import Settings
from app.credentials.service import issue_credential, revoke_credential
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
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
    photo_public_id: str | None = None


def _current_version(session: Session, slug: str) -> tuple[BadgeDefinition, BadgeVersion]:
    badge = session.exec(select(BadgeDefinition).where(BadgeDefinition.slug == slug)).first()
    if badge is None or badge.archived_at is not None:
        raise NotFound("No badge {slug} in the catalog.", params={"slug": slug})
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
    earlier = _already_awarded(session, organization.id, request.idempotency_key)
    if earlier is not None:
        return earlier

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
        raise ValidationFailed(
            "Unknown criteria for this badge: {criteria}.", params={"criteria": ", ".join(unknown)}
        )
    missing = [c for c in criteria_ids if c not in observed]
    if missing:
        raise ValidationFailed(
            "Every criterion must be confirmed as observed before awarding.", missing=missing
        )
    narrative = request.narrative.strip()
    if not narrative:
        raise ValidationFailed("Describe briefly what the person did, where and when.")
    if len(narrative) > MAX_NARRATIVE:
        raise ValidationFailed(
            "The description can have at most {n} characters.", params={"n": MAX_NARRATIVE}
        )
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
    try:
        # A savepoint: when the same form is sent twice at once (a double tap), the second
        # insert waits for the first request's commit, then hits the unique key; it then
        # answers with what the first one issued instead of failing.
        with session.begin_nested():
            session.add(award)
            session.flush()
    except IntegrityError:
        earlier = _already_awarded(session, organization.id, request.idempotency_key)
        if earlier is None:
            raise
        return earlier
    if request.photo_public_id:
        photo = pending_photo(session, organization.id, participant.id, request.photo_public_id)
        photo.award_id = award.id
        session.add(photo)
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


def correct_award(
    session: Session,
    settings: Settings,
    *,
    coach: User,
    credential: Credential,
    request: AwardRequest,
    reason: str,
    now: datetime,
    ip_address: str | None = None,
) -> tuple[Award, Credential]:
    """Fix a mistake in one step: revoke the credential and issue its replacement.

    Both happen in the caller's transaction, so either the participant has the corrected
    badge and the old one is revoked, or nothing changed.
    """
    if credential.organization_id != coach.organization_id:
        raise NotFound("No such badge.")
    old_award = session.get(Award, credential.award_id)
    assert old_award is not None
    if request.participant_id != old_award.participant_id:
        raise ValidationFailed("A correction is for the same participant.")
    if credential.replaced_by_id is not None:
        raise Conflict("This badge has already been corrected.")
    revoke_credential(
        session,
        settings,
        credential=credential,
        reason=reason.strip() or "Corrected",
        actor_user_id=coach.id,
        now=now,
    )
    award, replacement = award_badge(
        session, settings, coach=coach, request=request, now=now, ip_address=ip_address
    )
    old_award.state = "replaced"
    credential.replaced_by_id = replacement.id
    session.add(old_award)
    session.add(credential)
    session.flush()
    return award, replacement


@dataclass(frozen=True)
class GroupMember:
    participant_id: int
    sentence: str = ""


def _already_awarded(
    session: Session, organization_id: int, idempotency_key: str
) -> tuple[Award, Credential] | None:
    existing = session.exec(
        select(Award)
        .where(Award.organization_id == organization_id)
        .where(Award.idempotency_key == idempotency_key)
    ).first()
    if existing is None:
        return None
    credential = session.exec(select(Credential).where(Credential.award_id == existing.id)).one()
    return existing, credential


def award_group(
    session: Session,
    settings: Settings,
    *,
    coach: User,
    badge_slug: str,
    criteria_observed: list[str],
    narrative: str,
    members: list[GroupMember],
    idempotency_key: str,
    now: datetime,
    activity_start: date | None = None,
    activity_end: date | None = None,
    ip_address: str | None = None,
) -> list[tuple[Award, Credential]]:
    """One badge to several participants after a group session: all are issued or none."""
    if not members:
        raise ValidationFailed("Choose at least one participant.")
    if len({m.participant_id for m in members}) != len(members):
        raise ValidationFailed("Each participant can be chosen only once.")
    issued = []
    for member in members:
        text = narrative.strip()
        if member.sentence.strip():
            text = f"{text}\n\n{member.sentence.strip()}"
        issued.append(
            award_badge(
                session,
                settings,
                coach=coach,
                request=AwardRequest(
                    participant_id=member.participant_id,
                    badge_slug=badge_slug,
                    criteria_observed=criteria_observed,
                    narrative=text,
                    # One key per person, derived from the form's key: a resent form
                    # returns the same credentials instead of issuing twice.
                    idempotency_key=f"{idempotency_key[:40]}:{member.participant_id}",
                    activity_start=activity_start,
                    activity_end=activity_end,
                ),
                now=now,
                ip_address=ip_address,
            )
        )
    return issued
