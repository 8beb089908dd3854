"""Participants: the least data that works (name on the badge, optional e-mail, period)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from app.audit import service as audit
from app.errors import ValidationFailed
from app.models import Organization, Participant
from app.names import MAX_NAME, checked_name
from app.users.service import normalise_email


def _checked_name_and_period(
    display_name: str, period_start: date | None, period_end: date | None
) -> str:
    """The name with its spaces tidied; raises for a missing or too long name or a period
    that ends before it starts."""
    if not display_name.strip():
        raise ValidationFailed("Give the name as the person wants it on the badge.")
    display_name = checked_name(display_name, MAX_NAME)
    if period_start and period_end and period_end < period_start:
        raise ValidationFailed("The workshop period cannot end before it starts.")
    return display_name


def create_participant(
    session: Session,
    *,
    organization: Organization,
    display_name: str,
    email: str | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    created_by_id: int | None = None,
) -> Participant:
    """Create a participant of the organization."""
    display_name = _checked_name_and_period(display_name, period_start, period_end)
    assert organization.id is not None
    participant = Participant(
        organization_id=organization.id,
        display_name=display_name,
        email=normalise_email(email) if email and email.strip() else None,
        period_start=period_start,
        period_end=period_end,
        created_by_id=created_by_id,
    )
    session.add(participant)
    session.flush()
    audit.record(
        session,
        action="participant.create",
        organization_id=organization.id,
        actor_user_id=created_by_id,
        object_type="participant",
        object_id=participant.id,
    )
    return participant


def update_participant(
    session: Session,
    *,
    participant: Participant,
    display_name: str,
    email: str | None,
    period_start: date | None,
    period_end: date | None,
    actor_user_id: int | None,
    now: datetime,
) -> Participant:
    """Change a participant's details (the same rules as when creating)."""
    display_name = _checked_name_and_period(display_name, period_start, period_end)
    participant.display_name = display_name
    participant.email = normalise_email(email) if email and email.strip() else None
    participant.period_start = period_start
    participant.period_end = period_end
    participant.updated_at = now
    session.add(participant)
    session.flush()
    audit.record(
        session,
        action="participant.update",
        organization_id=participant.organization_id,
        actor_user_id=actor_user_id,
        object_type="participant",
        object_id=participant.id,
        now=now,
    )
    return participant
