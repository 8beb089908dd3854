"""Audit events: who did what, when, from where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from app.models.base import created_at_field, json_field


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    actor_user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    action: str = Field(max_length=50, index=True)
    object_type: str | None = Field(default=None, max_length=50)
    object_id: str | None = Field(default=None, max_length=100)
    ip_address: str | None = Field(default=None, max_length=45)
    details: dict[str, Any] = json_field()
    created_at: datetime = created_at_field()
