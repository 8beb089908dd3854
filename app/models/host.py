"""The Open Badges 3.0 Host API's OAuth 2.0 clients, authorization codes and tokens (issue #16).

Secrets are kept only as SHA-256 hashes: a client's secret, an authorization code, an access
token and a refresh token are shown once, to the client, and never stored in the clear.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from app.models.base import UtcDateTime, created_at_field, json_field, optional_datetime_field


class HostClient(SQLModel, table=True):
    """A client registered by OAuth 2.0 dynamic client registration (RFC 7591)."""

    __tablename__ = "host_client"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=64, unique=True, index=True)
    secret_hash: str = Field(max_length=64)
    # The registered metadata as the client sent it, after validation (redirect_uris,
    # client_name, client_uri, logo_uri, tos_uri, policy_uri, software_id, software_version,
    # scope, grant_types, response_types, token_endpoint_auth_method, contacts).
    client_metadata: dict[str, Any] = json_field()
    created_at: datetime = created_at_field()


class HostAuthorizationCode(SQLModel, table=True):
    """A code given to a client after the participant's consent; usable once, briefly."""

    __tablename__ = "host_authorization_code"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True, index=True)
    client_id: int = Field(foreign_key="host_client.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    redirect_uri: str = Field(max_length=2000)
    scope: str = Field(max_length=1000)
    code_challenge: str = Field(max_length=128)
    code_challenge_method: str = Field(max_length=10)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    # Set when exchanged for tokens; a second exchange revokes what the first one gave.
    used_at: datetime | None = optional_datetime_field()


class HostToken(SQLModel, table=True):
    """An access token and its refresh token, given to a client for one participant.

    `grant_id` is the id of the first token of the chain (refreshing gives a new row with the
    same grant): withdrawing access, a replayed code or a replayed refresh token revoke the
    whole chain.
    """

    __tablename__ = "host_token"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="host_client.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    authorization_code_id: int | None = Field(
        default=None, foreign_key="host_authorization_code.id", index=True
    )
    grant_id: int | None = Field(default=None, index=True)
    access_token_hash: str = Field(max_length=64, unique=True, index=True)
    refresh_token_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)
    scope: str = Field(max_length=1000)
    issued_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    refresh_expires_at: datetime | None = optional_datetime_field()
    # Access ends when the access token is revoked; a refreshed token revokes the old one.
    revoked_at: datetime | None = optional_datetime_field()
    refresh_used_at: datetime | None = optional_datetime_field()
