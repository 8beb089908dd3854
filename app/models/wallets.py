"""Offers of a badge to the participant's own wallet app, and the copies they gave."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from app.models.base import UtcDateTime, created_at_field, optional_datetime_field


class WalletOffer(SQLModel, table=True):
    """A one-time offer of one badge to a wallet app (docs/decisions/0019-wallets.md).

    The wallet reaches it by a link holding a random token, of which only the SHA-256 is
    stored. It works once and for a quarter of an hour: the wallet proves that it controls
    its DID by signing the `challenge`, and receives a copy of the credential bound to that
    DID. The copy itself is not kept; the row says who received one and when.
    """

    __tablename__ = "wallet_offer"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    credential_id: int = Field(foreign_key="credential.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    challenge: str = Field(max_length=64)
    made_by: str = Field(max_length=20)  # participant, coach
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    used_at: datetime | None = optional_datetime_field()
    # How the wallet came (vc-api: the exchange; lcw-link: the wallet's own request link;
    # openid4vci: OpenID for Verifiable Credential Issuance).
    protocol: str | None = Field(default=None, max_length=20)
    holder_did: str | None = Field(default=None, max_length=255)
    copy_id: str | None = Field(default=None, max_length=45)
    # OpenID4VCI: the pre-authorized code (derived from the token; its SHA-256 here), the
    # access token it was exchanged for (SHA-256) until it expires, and the nonce of the
    # wallet's proof of possession, which no other offer may use again.
    pre_auth_code_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)
    access_token_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)
    access_expires_at: datetime | None = optional_datetime_field()
    proof_nonce: str | None = Field(default=None, max_length=200, unique=True)
