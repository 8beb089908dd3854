"""The trust registry: issuers other than our own organizations that admins vouch for."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from app.models.base import created_at_field, json_field


class TrustedIssuer(SQLModel, table=True):
    """A known issuer, with the key documents (DID document, JWKS, key document) that admins
    configured for it; verification uses these instead of fetching them."""

    __tablename__ = "trusted_issuer"

    id: int | None = Field(default=None, primary_key=True)
    issuer_id: str = Field(max_length=500, unique=True, index=True)  # a DID or https URL
    name: str = Field(max_length=200)
    url: str | None = Field(default=None, max_length=500)
    note: str | None = Field(default=None, max_length=1000)
    # URL -> JSON document (DID document, JWKS or key document), each checked when added.
    documents: dict[str, Any] = json_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
