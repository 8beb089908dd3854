"""Queries for participants, always within one organization."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.errors import NotFound
from app.models import Award, Participant


def get_for_org(session: Session, organization_id: int, participant_id: int) -> Participant:
    """A participant of the organization; 404 for others' (indistinguishable from missing)."""
    row = session.get(Participant, participant_id)
    if row is None or row.organization_id != organization_id or row.erased_at is not None:
        raise NotFound("No such participant.")
    return row


def names_for_org(session: Session, organization_id: int, ids: list[int]) -> dict[int, str]:
    """The names of these participants of the organization, by id (one query)."""
    if not ids:
        return {}
    rows = session.exec(
        select(Participant.id, Participant.display_name)
        .where(Participant.organization_id == organization_id)
        .where(col(Participant.id).in_(set(ids)))
    ).all()
    return {pid: name for pid, name in rows if pid is not None}


def search(
    session: Session, organization_id: int, query: str, limit: int = 50
) -> Sequence[Participant]:
    """Participants whose name or e-mail contains the query (case-insensitive)."""
    stmt = (
        select(Participant)
        .where(Participant.organization_id == organization_id)
        .where(col(Participant.erased_at).is_(None))
    )
    query = query.strip()
    if query:
        pattern = (
            "%" + query.lower().replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        )
        stmt = stmt.where(
            func.lower(Participant.display_name).like(pattern, escape="\\")
            | func.lower(func.coalesce(Participant.email, "")).like(pattern, escape="\\")
        )
    return session.exec(stmt.order_by(func.lower(Participant.display_name)).limit(limit)).all()


def recent(session: Session, organization_id: int, limit: int = 8) -> Sequence[Participant]:
    """The participants most recently awarded or added, for quick picking."""
    last_award = (
        select(Award.participant_id, func.max(Award.created_at).label("at"))
        .where(Award.organization_id == organization_id)
        .group_by(col(Award.participant_id))
        .subquery()
    )
    stmt = (
        select(Participant)
        .outerjoin(last_award, last_award.c.participant_id == Participant.id)
        .where(Participant.organization_id == organization_id)
        .where(col(Participant.erased_at).is_(None))
        .order_by(
            func.coalesce(last_award.c.at, Participant.created_at).desc(),
            col(Participant.id).desc(),
        )
        .limit(limit)
    )
    return session.exec(stmt).all()
