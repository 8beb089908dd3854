"""Queries for organizations and their keys."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.models import Organization, SigningKey
from app.models.organizations import KeyStatus


def by_slug(session: Session, slug: str) -> Organization | None:
    return session.exec(select(Organization).where(Organization.slug == slug)).first()


def by_id(session: Session, organization_id: int) -> Organization | None:
    return session.get(Organization, organization_id)


def keys_of(session: Session, organization_id: int) -> Sequence[SigningKey]:
    return session.exec(
        select(SigningKey)
        .where(SigningKey.organization_id == organization_id)
        .order_by(col(SigningKey.id))
    ).all()


def active_key(session: Session, organization_id: int, purpose: str) -> SigningKey | None:
    return session.exec(
        select(SigningKey)
        .where(SigningKey.organization_id == organization_id)
        .where(SigningKey.purpose == purpose)
        .where(SigningKey.status == KeyStatus.active)
        .order_by(col(SigningKey.id).desc())
    ).first()
