"""Queries for the catalog tables."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.models import (
    BadgeDefinition,
    BadgeVersion,
    Qualification,
    QualificationUnit,
    SkillRequirement,
)


def qualification_by_slug(session: Session, slug: str) -> Qualification | None:
    return session.exec(select(Qualification).where(Qualification.slug == slug)).first()


def units_of(session: Session, qualification_id: int) -> dict[str, QualificationUnit]:
    rows = session.exec(
        select(QualificationUnit).where(QualificationUnit.qualification_id == qualification_id)
    ).all()
    return {u.code: u for u in rows}


def requirements_by_key(session: Session) -> dict[str, SkillRequirement]:
    return {r.key: r for r in session.exec(select(SkillRequirement)).all()}


def badges_by_slug(session: Session) -> dict[str, BadgeDefinition]:
    return {b.slug: b for b in session.exec(select(BadgeDefinition)).all()}


def latest_version(session: Session, badge_id: int) -> BadgeVersion | None:
    return session.exec(
        select(BadgeVersion)
        .where(BadgeVersion.badge_id == badge_id)
        .order_by(col(BadgeVersion.revision).desc())
    ).first()


def active_badge_versions(session: Session) -> Sequence[tuple[BadgeDefinition, BadgeVersion]]:
    """The newest version of every badge that is not archived."""
    newest = (
        select(BadgeVersion.badge_id, func.max(BadgeVersion.revision).label("revision"))
        .group_by(col(BadgeVersion.badge_id))
        .subquery()
    )
    stmt = (
        select(BadgeDefinition, BadgeVersion)
        .join(BadgeVersion, col(BadgeVersion.badge_id) == BadgeDefinition.id)
        .join(
            newest,
            (newest.c.badge_id == BadgeVersion.badge_id)
            & (newest.c.revision == BadgeVersion.revision),
        )
        .where(col(BadgeDefinition.archived_at).is_(None))
        .order_by(
            col(BadgeDefinition.category), col(BadgeDefinition.pathway), col(BadgeDefinition.level)
        )
    )
    return [(b, v) for b, v in session.exec(stmt).all()]


def count_badges(session: Session) -> int:
    return session.exec(
        select(func.count())
        .select_from(BadgeDefinition)
        .where(col(BadgeDefinition.archived_at).is_(None))
    ).one()
