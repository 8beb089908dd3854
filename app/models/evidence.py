"""Evidence photos taken by coaches: stored privately, shown only to the organization and,
if the participant chooses, on a share page. Never embedded in a signed credential."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from app.models.base import created_at_field, new_public_id, optional_datetime_field


class EvidencePhoto(SQLModel, table=True):
    __tablename__ = "evidence_photo"

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=new_public_id, max_length=36, unique=True, index=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    # Null until the award it was taken for is issued; unattached photos are pruned.
    award_id: int | None = Field(default=None, foreign_key="award.id", index=True)
    uploaded_by_id: int = Field(foreign_key="user_account.id")
    content_type: str = Field(max_length=30)
    width: int
    height: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = created_at_field()
    # When it became the award's photo (at the award, or added later from the results of a
    # group award or the badge's page). A share link shows only photos attached before the
    # participant made it: those are the ones she saw in its preview.
    attached_at: datetime | None = optional_datetime_field()
