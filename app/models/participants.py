"""Participants and the links they share.

Only what a badge needs: the name as the person wants it on the badge, an optional e-mail and
the workshop period. Never health, social or benefit information.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text
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
    # The personal passport link: only the SHA-256 of its token is stored; a new token
    # replaces the hash, which invalidates the old link at once.
    passport_token_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)
    passport_token_created_at: datetime | None = optional_datetime_field()
    # Optional PIN chosen by the participant (argon2id), asked after opening the passport link.
    pin_hash: str | None = Field(default=None, max_length=300)
    # Failed PIN attempts in the current window, counted here so every app instance sees them.
    pin_failures: int = Field(default=0)
    pin_failures_since: datetime | None = optional_datetime_field()


class ShareLink(SQLModel, table=True):
    """A revocable link to one credential, to one badge of another issuer in the passport
    (foreign_badge_id), or to the whole passport when both are null."""

    __tablename__ = "share_link"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    credential_id: int | None = Field(default=None, foreign_key="credential.id", index=True)
    foreign_badge_id: int | None = Field(default=None, foreign_key="foreign_badge.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    show_name: bool = Field(default=True)
    show_evidence: bool = Field(default=False)  # what the coach wrote
    show_photo: bool = Field(default=False)  # the coach's photos of the work
    # A whole-passport link: the badges from other issuers in the passport are shown too.
    show_foreign: bool = Field(default=False)
    made_for: str = Field(default="share", max_length=10)  # share, print (a printout's code)
    open_count: int = Field(default=0)
    created_at: datetime = created_at_field()
    expires_at: datetime | None = optional_datetime_field()
    revoked_at: datetime | None = optional_datetime_field()


class SignInToken(SQLModel, table=True):
    """A one-time sign-in link sent by e-mail; only the token's SHA-256 is stored."""

    __tablename__ = "sign_in_token"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = created_at_field()
    used_at: datetime | None = optional_datetime_field()


class OutboxMessage(SQLModel, table=True):
    """An e-mail waiting for delivery (transactional outbox).

    The body may carry a sign-in link, so it is cleared as soon as the message is delivered
    or its link has expired; see docs/decisions/0004-sign-in-links-and-outbox.md.
    """

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    participant_id: int | None = Field(default=None, foreign_key="participant.id", index=True)
    kind: str = Field(max_length=50)
    recipient: str | None = Field(default=None, max_length=320)
    subject: str = Field(max_length=200)
    body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = created_at_field()
    expires_at: datetime | None = optional_datetime_field()
    sent_at: datetime | None = optional_datetime_field()
    # Delivery (app/mail/outbox.py): a run claims a message until `claimed_until`, so that
    # no other run sends it meanwhile, sends it outside any transaction and then marks it
    # sent. A failed send keeps the claim until it expires (then it is retried); `attempts`
    # counts the claims, and past the limit the message is given up.
    claimed_until: datetime | None = optional_datetime_field()
    attempts: int = Field(default=0)
