"""Awards (what a coach observed), the signed credentials and the status lists."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import created_at_field, json_field, new_public_id, optional_datetime_field


class Award(SQLModel, table=True):
    """A coach's record that a participant showed the criteria of one badge version."""

    __tablename__ = "award"
    __table_args__ = (UniqueConstraint("organization_id", "idempotency_key"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    badge_version_id: int = Field(foreign_key="badge_version.id", index=True)
    coach_id: int = Field(foreign_key="user_account.id", index=True)
    criteria_observed: list[str] = json_field(default=[])
    narrative: str = Field(sa_column=Column(Text, nullable=False))
    activity_start: date | None = None
    activity_end: date | None = None
    state: str = Field(default="issued", max_length=20)  # issued, revoked, replaced
    idempotency_key: str = Field(max_length=64)
    created_at: datetime = created_at_field()


class StatusList(SQLModel, table=True):
    """A W3C Bitstring Status List of one organization and purpose."""

    __tablename__ = "status_list"
    __table_args__ = (UniqueConstraint("organization_id", "purpose", "sequence"),)

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=new_public_id, max_length=36, unique=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    purpose: str = Field(max_length=20)  # revocation, suspension
    sequence: int = Field(default=1)
    size: int = Field(default=131072)
    bits: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    version: int = Field(default=1)  # bumped on every change of the bits
    # The signed list credential for `signed_version`; re-signed when the bits change.
    signed_credential: dict[str, Any] | None = json_field(nullable=True)
    signed_version: int = Field(default=0)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class Credential(SQLModel, table=True):
    """A signed OpenBadgeCredential, in both proof forms."""

    __tablename__ = "credential"
    __table_args__ = (UniqueConstraint("status_list_id", "status_index"),)

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=new_public_id, max_length=36, unique=True, index=True)
    award_id: int = Field(foreign_key="award.id", unique=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    json_ld: dict[str, Any] = json_field()
    jwt: str = Field(sa_column=Column(Text, nullable=False))
    status_list_id: int = Field(foreign_key="status_list.id", index=True)
    status_index: int
    issued_at: datetime = created_at_field()
    valid_from: datetime = created_at_field()
    valid_until: datetime | None = optional_datetime_field()
    revoked_at: datetime | None = optional_datetime_field()
    revocation_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    suspended_at: datetime | None = optional_datetime_field()
    is_public: bool = Field(default=False)
    replaced_by_id: int | None = Field(default=None, foreign_key="credential.id")


class AwardJob(SQLModel, table=True):
    """A group award running outside the request: one badge to many participants.

    Processed in chunks by whichever instance holds the claim (`claim_token` until
    `claimed_until`); see docs/decisions/0014-group-award-jobs.md.
    """

    __tablename__ = "award_job"
    __table_args__ = (UniqueConstraint("organization_id", "idempotency_key"),)

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=new_public_id, max_length=36, unique=True, index=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    coach_id: int = Field(foreign_key="user_account.id", index=True)
    badge_version_id: int = Field(foreign_key="badge_version.id")
    criteria_observed: list[str] = json_field(default=[])
    narrative: str = Field(sa_column=Column(Text, nullable=False))
    activity_start: date | None = None
    activity_end: date | None = None
    idempotency_key: str = Field(max_length=64)
    state: str = Field(default="queued", max_length=20, index=True)  # queued, running, done, failed
    total: int = Field(default=0)
    awarded: int = Field(default=0)
    failed: int = Field(default=0)
    attempts: int = Field(default=0)
    claim_token: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = optional_datetime_field()
    # A short message for the coach when the job stopped (never a stack trace or a secret).
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = created_at_field()
    started_at: datetime | None = optional_datetime_field()
    finished_at: datetime | None = optional_datetime_field()


class AwardJobItem(SQLModel, table=True):
    """One person of a group award, with what happened for them."""

    __tablename__ = "award_job_item"
    __table_args__ = (
        UniqueConstraint("job_id", "participant_id"),
        # The next chunk: a job's pending people in their order.
        Index("ix_award_job_item_next", "job_id", "state", "position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="award_job.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    position: int
    sentence: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    state: str = Field(default="pending", max_length=20)  # pending, awarded, failed
    # The reason a person did not get the badge, as a message template (translated on pages).
    error: str | None = Field(default=None, max_length=500)
    credential_id: int | None = Field(default=None, foreign_key="credential.id")
