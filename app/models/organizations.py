"""Issuing organizations and their signing keys."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import created_at_field, json_field, optional_datetime_field


class Organization(SQLModel, table=True):
    """A foundation or workshop that issues badges as its own issuer."""

    __tablename__ = "organization"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    url: str = Field(max_length=500)
    email: str = Field(max_length=320)
    logo_url: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_at_field()


class KeyStatus(StrEnum):
    active = "active"
    retired = "retired"  # no longer signs, still published: old credentials verify
    revoked = "revoked"  # compromised: withdrawn, credentials signed with it fail


class KeyPurpose(StrEnum):
    data_integrity = "data-integrity"
    jwt = "jwt"


class SigningKey(SQLModel, table=True):
    """One key pair of an organization; the private half is encrypted at rest."""

    __tablename__ = "signing_key"
    __table_args__ = (UniqueConstraint("organization_id", "key_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    key_id: str = Field(max_length=100)  # the fragment after '#': "key-1", ...
    purpose: str = Field(max_length=20)
    algorithm: str = Field(max_length=20)  # Ed25519, ES256, RS256
    public_jwk: dict[str, str] = json_field()
    public_key_multibase: str | None = Field(default=None, max_length=200)
    private_key_encrypted: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    status: str = Field(default=KeyStatus.active, max_length=20)
    created_at: datetime = created_at_field()
    retired_at: datetime | None = optional_datetime_field()
    revoked_at: datetime | None = optional_datetime_field()

    def __repr__(self) -> str:  # never show key material
        return f"SigningKey(id={self.id}, key_id={self.key_id!r}, algorithm={self.algorithm!r})"
