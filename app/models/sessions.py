"""Sign-in sessions of staff (and, later, participants), kept server-side.

The browser holds only a random token; the table holds its SHA-256. Signing out, switching
coach or idling past the limit deletes the row, so a copied cookie is worthless afterwards and
every app instance sees the same state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from app.models.base import UtcDateTime, created_at_field, json_field


class WebSession(SQLModel, table=True):
    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    participant_id: int | None = Field(default=None, foreign_key="participant.id", index=True)
    created_at: datetime = created_at_field()
    last_seen_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    # One-shot notices shown on the next page ("Badge revoked."), as message ids + values.
    flash: list[dict[str, Any]] | None = json_field(nullable=True)
