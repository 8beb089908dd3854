"""Badges from other issuers that a participant keeps in the passport (issue #16).

Kept exactly as they were given (the JSON, the VC-JWT or the baked image), never signed or
changed by this service, and verified again every time they are shown. What the passport
lists (the name, the issuer's name, the date) is read from the badge when it is added.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import created_at_field, new_public_id, optional_datetime_field


class ForeignBadge(SQLModel, table=True):
    __tablename__ = "foreign_badge"
    __table_args__ = (UniqueConstraint("participant_id", "digest"),)

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=new_public_id, max_length=36, unique=True, index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    # The badge as given: a credential's JSON, a compact VC-JWT, or a baked PNG or SVG.
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    media_type: str = Field(max_length=40)
    # SHA-256 of `data`: the same badge is kept once in a passport.
    digest: str = Field(max_length=64)
    # Where it was fetched from, when it was given by its address.
    source_url: str | None = Field(default=None, max_length=2000)
    name: str = Field(max_length=300)
    issuer_id: str = Field(max_length=2000)
    # The credential's own `id`, when it has one: the Host API's upsert replaces a badge
    # with the same id from the same issuer.
    credential_uri: str | None = Field(default=None, max_length=2000)
    issuer_name: str = Field(max_length=300)
    issued_at: datetime | None = optional_datetime_field()
    added_at: datetime = created_at_field()
