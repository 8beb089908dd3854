"""API clients (schools' systems) and rate-limit counters shared by every app instance."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.models.base import created_at_field, optional_datetime_field


class ApiClient(SQLModel, table=True):
    """A registered school system; its key is shown once and stored only as a hash."""

    __tablename__ = "api_client"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    key_prefix: str = Field(max_length=16, unique=True, index=True)
    key_hash: str = Field(max_length=64)
    requests_per_minute: int = Field(default=600)
    created_at: datetime = created_at_field()
    revoked_at: datetime | None = optional_datetime_field()


class RateLimitCounter(SQLModel, table=True):
    """Requests counted per client (or address) and minute; old rows are pruned."""

    __tablename__ = "rate_limit_counter"

    bucket: str = Field(max_length=100, primary_key=True)
    window_start: int = Field(primary_key=True)  # epoch minute
    count: int = Field(default=0)
