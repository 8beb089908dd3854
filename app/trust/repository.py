"""Queries for the trust registry."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.models import TrustedIssuer


def by_issuer_id(session: Session, issuer_id: str) -> TrustedIssuer | None:
    return session.exec(select(TrustedIssuer).where(TrustedIssuer.issuer_id == issuer_id)).first()


def all_issuers(session: Session) -> Sequence[TrustedIssuer]:
    return session.exec(select(TrustedIssuer).order_by(col(TrustedIssuer.issuer_id))).all()
