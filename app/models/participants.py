"""Participants and the links they share.

Only what a badge needs: the name as the person wants it on the badge, an optional e-mail and
the workshop period. Never health, social or benefit information.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from app.models.base import created_at_field, new_public_id, optional_datetime_field


class Participant(SQLModel, table=True):
    __tablename__ = "participant"

    id: int | None = Field(default=None, primary_key=True)
    # Stable, non-identifying id used in credentials: urn:uuid:<public_id>.
    public_id: str = Field(default_factory=new_public_id, max_length=36, unique=True, index=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    display_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    period_start: date | None = None
    period_end: date | None = None
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    erased_at: datetime | None = optional_datetime_field()


class ShareLink(SQLModel, table=True):
    """A revocable link to one credential, or to the whole passport when credential_id is null."""

    __tablename__ = "share_link"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    credential_id: int | None = Field(default=None, foreign_key="credential.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    show_name: bool = Field(default=True)
    show_evidence: bool = Field(default=False)
    open_count: int = Field(default=0)
    created_at: datetime = created_at_field()
    expires_at: datetime | None = optional_datetime_field()
    revoked_at: datetime | None = optional_datetime_field()
