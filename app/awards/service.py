"""Awarding a badge: the coach's observation becomes a signed credential in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.audit import service as audit
from app.awards.photos import pending_photo
from app.catalog import repository as catalog_repo
from app.config import Settings
from app.credentials.service import (
    Issuance,
    issue_credential,
    issue_credentials,
    revoke_credential,
)
from app.db import insert_rows
from app.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed, page_text
from app.models import Award, BadgeDefinition, BadgeVersion, Credential, Organization, Participant
from app.models.users import User

# The rules of an award, in one place: the forms, the group job, the CSV upload and the CLI
# all check their input here (`check_award`, `check_group`, `check_correction`).
MAX_NARRATIVE = 2000
MAX_SENTENCE = 500
MAX_REASON = 500
# Open Badge Factory's largest issuing at once; a group award runs as a job.
MAX_GROUP = 2500


class AwardInputInvalid(ValidationFailed):
    """Input that breaks one or more award rules: `errors` holds one error per form field
    (`members`, `sentences`, `criteria`, `narrative`, `activity_start`, `activity_end`,
    `reason`); the message is the first of them, for the API and the CLI."""

    def __init__(self, errors: dict[str, AppError]) -> None:
        first = next(iter(errors.values()))
        super().__init__(
            first.template,
            params=first.params,
            fields={name: error.detail for name, error in errors.items()},
        )
        self.errors = errors


@dataclass(frozen=True)
class AwardPlan:
    """What an award will record, once its input has passed the rules."""

    badge: BadgeDefinition
    version: BadgeVersion
    criteria: list[str]
    narrative: str
    activity_start: date | None
    activity_end: date | None


def check_award(
    session: Session,
    *,
    badge_slug: str,
    criteria_observed: list[str],
    narrative: str,
    activity_start: date | None,
    activity_end: date | None,
    today: date,
    group: bool = False,
    errors: dict[str, AppError] | None = None,
) -> AwardPlan:
    """Check an award's input against the badge's current version; raise
    `AwardInputInvalid` with every broken rule by field (`errors`: the caller's own, such as
    a date it could not read, reported together with these)."""
    errors = dict(errors or {})
    badge, version = _current_version(session, badge_slug)
    criteria_ids = [c["id"] for c in version.definition["criteria"]]
    observed = list(dict.fromkeys(criteria_observed))
    unknown = [c for c in observed if c not in criteria_ids]
    if unknown:
        errors["criteria"] = ValidationFailed(
            "Unknown criteria for this badge: {criteria}.", params={"criteria": ", ".join(unknown)}
        )
    elif [c for c in criteria_ids if c not in observed]:
        errors["criteria"] = ValidationFailed(
            "Confirm every criterion as observed before awarding."
        )
    text = narrative.strip()
    if not text:
        message = (
            page_text("Describe briefly what the group did, where and when.")
            if group
            else page_text("Describe briefly what the person did, where and when.")
        )
        errors["narrative"] = ValidationFailed(message)
    elif len(text) > MAX_NARRATIVE:
        errors["narrative"] = ValidationFailed(
            "The description can have at most {n} characters.", params={"n": MAX_NARRATIVE}
        )
    if activity_start and activity_end and activity_end < activity_start:
        errors["activity_end"] = ValidationFailed("The activity cannot end before it starts.")
    if activity_start and activity_start > today:
        errors["activity_start"] = ValidationFailed("The activity dates cannot be in the future.")
    if errors:
        raise AwardInputInvalid(errors)
    # In the catalog's order, whatever order the form sent them in.
    return AwardPlan(
        badge=badge,
        version=version,
        criteria=[c for c in criteria_ids if c in observed],
        narrative=text,
        activity_start=activity_start,
        activity_end=activity_end,
    )


def _check_reason(reason: str, missing: str) -> dict[str, AppError]:
    """A reason is given and within its limit (`missing`: what to say when it is empty)."""
    if not reason.strip():
        return {"reason": ValidationFailed(missing)}
    if len(reason) > MAX_REASON:
        return {
            "reason": ValidationFailed(
                "The reason can have at most {n} characters.", params={"n": MAX_REASON}
            )
        }
    return {}


def check_correction(reason: str) -> dict[str, AppError]:
    """The rules of a correction's reason (errors by field, empty when it passes)."""
    return _check_reason(
        reason, page_text("Say briefly what was wrong in the badge being corrected.")
    )


def check_revocation(reason: str, *, already_revoked: bool) -> dict[str, AppError]:
    """The rules of revoking a badge (errors by field, empty when it passes)."""
    errors = _check_reason(
        reason,
        page_text("Give the reason for revoking. It is kept internally and never shown publicly."),
    )
    if not errors and already_revoked:
        return {"reason": ValidationFailed("The badge has already been revoked.")}
    return errors


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

    plan = check_award(
        session,
        badge_slug=request.badge_slug,
        criteria_observed=request.criteria_observed,
        narrative=request.narrative,
        activity_start=request.activity_start,
        activity_end=request.activity_end,
        today=now.date(),
    )
    return record_award(
        session,
        settings,
        organization=organization,
        coach=coach,
        participant=participant,
        plan=plan,
        narrative=plan.narrative,
        idempotency_key=request.idempotency_key,
        photo_public_id=request.photo_public_id,
        now=now,
        ip_address=ip_address,
    )


def _new_award(
    organization: Organization,
    coach: User,
    participant: Participant,
    plan: AwardPlan,
    *,
    narrative: str,
    idempotency_key: str,
    now: datetime,
) -> Award:
    assert organization.id is not None and participant.id is not None
    assert coach.id is not None and plan.version.id is not None
    return Award(
        organization_id=organization.id,
        participant_id=participant.id,
        badge_version_id=plan.version.id,
        coach_id=coach.id,
        criteria_observed=plan.criteria,
        narrative=narrative,
        activity_start=plan.activity_start,
        activity_end=plan.activity_end,
        idempotency_key=idempotency_key,
        created_at=now,
    )


def _audit_awards(
    session: Session,
    *,
    organization: Organization,
    coach: User,
    plan: AwardPlan,
    credential_public_ids: list[str],
    now: datetime,
    ip_address: str | None = None,
) -> None:
    """One "award.create" event per credential (a single award's, or a group chunk's)."""
    audit.record_many(
        session,
        action="award.create",
        organization_id=organization.id,
        actor_user_id=coach.id,
        object_type="credential",
        object_ids=credential_public_ids,
        ip_address=ip_address,
        details={"badge": plan.badge.slug, "revision": plan.version.revision},
        now=now,
    )


def record_award(
    session: Session,
    settings: Settings,
    *,
    organization: Organization,
    coach: User,
    participant: Participant,
    plan: AwardPlan,
    narrative: str,
    idempotency_key: str,
    now: datetime,
    photo_public_id: str | None = None,
    ip_address: str | None = None,
) -> tuple[Award, Credential]:
    """Write an award that has passed the rules, and issue its credential."""
    assert organization.id is not None and participant.id is not None
    award = _new_award(
        organization,
        coach,
        participant,
        plan,
        narrative=narrative,
        idempotency_key=idempotency_key,
        now=now,
    )
    try:
        # A savepoint: when the same form is sent twice at once (a double tap), the second
        # insert waits for the first request's commit, then hits the unique key; it then
        # answers with what the first one issued instead of failing.
        with session.begin_nested():
            session.add(award)
            session.flush()
    except IntegrityError:
        earlier = _already_awarded(session, organization.id, idempotency_key)
        if earlier is None:
            raise
        return earlier
    if photo_public_id:
        photo = pending_photo(session, organization.id, participant.id, photo_public_id)
        photo.award_id = award.id
        photo.attached_at = now
        session.add(photo)
    credential = issue_credential(
        session,
        settings,
        award=award,
        organization=organization,
        participant=participant,
        badge=plan.badge,
        version=plan.version,
        now=now,
    )
    _audit_awards(
        session,
        organization=organization,
        coach=coach,
        plan=plan,
        credential_public_ids=[credential.public_id],
        now=now,
        ip_address=ip_address,
    )
    return award, credential


@dataclass(frozen=True)
class _PersonsAward:
    """What one person's credential says of a group award (credentials.service.AwardFacts)."""

    criteria_observed: list[str]
    narrative: str
    activity_start: date | None
    activity_end: date | None


def record_group_awards(
    session: Session,
    settings: Settings,
    *,
    organization: Organization,
    coach: User,
    plan: AwardPlan,
    people: list[tuple[Participant, str, str]],
    now: datetime,
    issuance: Issuance,
) -> list[int]:
    """Write the awards of a group award's chunk (each person, their narrative and their
    idempotency key), their credentials and audit events, in a few statements without ORM
    objects; the credentials' ids, in order. The awards and audit events are saved while
    the credentials' canonicalization runs.

    The input has passed `check_award` when the job was queued, and only the job's holder
    writes its keys, so there is no savepoint per award: a conflict fails the chunk, which
    the job tries again (see app/awards/jobs.py).
    """
    assert organization.id is not None and coach.id is not None
    assert plan.version.id is not None

    def save_awards(public_ids: list[str]) -> list[int]:
        table: Table = Award.__table__  # type: ignore[attr-defined]
        award_ids = insert_rows(
            session,
            table,
            [
                {
                    "organization_id": organization.id,
                    "participant_id": participant.id,
                    "badge_version_id": plan.version.id,
                    "coach_id": coach.id,
                    "criteria_observed": plan.criteria,
                    "narrative": narrative,
                    "activity_start": plan.activity_start,
                    "activity_end": plan.activity_end,
                    "state": "issued",
                    "idempotency_key": key,
                    "created_at": now,
                }
                for participant, narrative, key in people
            ],
        )
        _audit_awards(
            session,
            organization=organization,
            coach=coach,
            plan=plan,
            credential_public_ids=public_ids,
            now=now,
        )
        return award_ids

    return issue_credentials(
        session,
        settings,
        people=[
            (
                _PersonsAward(plan.criteria, narrative, plan.activity_start, plan.activity_end),
                participant,
            )
            for participant, narrative, _key in people
        ],
        organization=organization,
        badge=plan.badge,
        version=plan.version,
        now=now,
        issuance=issuance,
        save_awards=save_awards,
    )


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
    problems = check_correction(reason)
    if problems:
        raise AwardInputInvalid(problems)
    revoke_credential(
        session,
        settings,
        credential=credential,
        reason=reason.strip(),
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


def check_group(members: list[GroupMember]) -> dict[str, AppError]:
    """The rules of a group award's people (errors by field, empty when they pass)."""
    errors: dict[str, AppError] = {}
    if not members:
        errors["members"] = ValidationFailed("Choose at least one participant.")
    elif len(members) > MAX_GROUP:
        errors["members"] = ValidationFailed(
            "At most {n} participants at a time.", params={"n": MAX_GROUP}
        )
    elif len({m.participant_id for m in members}) != len(members):
        errors["members"] = ValidationFailed("Each participant can be chosen only once.")
    if any(len(m.sentence.strip()) > MAX_SENTENCE for m in members):
        errors["sentences"] = ValidationFailed(
            "A personal sentence can have at most {n} characters.", params={"n": MAX_SENTENCE}
        )
    return errors


def group_narrative(shared: str, sentence: str) -> str:
    """A person's narrative in a group award: the shared text and their own sentence."""
    return f"{shared}\n\n{sentence.strip()}" if sentence.strip() else shared
