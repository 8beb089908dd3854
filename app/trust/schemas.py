"""API shapes of the trust registry."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

ISSUER_EXAMPLE: dict[str, JsonValue] = {
    "id": "did:web:badges.school.example:issuers:7",
    "known": True,
    "trust": "registry",
    "name": "Esimerkin ammattiopisto",
    "url": "https://school.example",
    "documents": ["https://badges.school.example/issuers/7/did.json"],
    "profile": None,
}


OWN_EXAMPLE: dict[str, JsonValue] = {
    "id": "did:web:passi.example.fi:orgs:eduro",
    "known": True,
    "trust": "own",
    "name": "Eduro-säätiö",
    "url": "https://eduro.example.fi",
    "documents": [],
    "profile": {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "did:web:passi.example.fi:orgs:eduro",
        "type": ["Profile"],
        "name": "Eduro-säätiö",
        "url": "https://eduro.example.fi",
    },
}
UNKNOWN_EXAMPLE: dict[str, JsonValue] = {
    "id": "did:web:badges.unknown.example",
    "known": False,
    "trust": None,
    "name": None,
    "url": None,
    "documents": [],
    "profile": None,
}
TRUSTED_EXAMPLE: dict[str, JsonValue] = {
    "id": "did:web:badges.school.example:issuers:7",
    "name": "Esimerkin ammattiopisto",
    "url": "https://school.example",
    "documents": ["https://badges.school.example/issuers/7/did.json"],
    "updated_at": "2026-12-01T10:00:00Z",
}


class IssuerStatusOut(BaseModel):
    """Whether this service knows an issuer, and why."""

    model_config = ConfigDict(json_schema_extra={"examples": [ISSUER_EXAMPLE]})

    id: str = Field(description="The issuer id (a DID or an https URL)")
    known: bool = Field(description="One of our own organizations, or in the trust registry")
    trust: Literal["own", "registry"] | None = Field(
        default=None, description="Why the issuer is known; null when it is not"
    )
    name: str | None = None
    url: str | None = None
    documents: list[str] = Field(
        default_factory=list,
        description="URLs of the key documents the registry holds for the issuer (used "
        "instead of fetching them)",
    )
    profile: dict[str, Any] | None = Field(
        default=None, description="The Open Badges issuer Profile of our own organizations"
    )


class TrustedIssuerOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "did:web:badges.school.example:issuers:7",
                    "name": "Esimerkin ammattiopisto",
                    "url": "https://school.example",
                    "documents": ["https://badges.school.example/issuers/7/did.json"],
                    "updated_at": "2026-12-01T10:00:00Z",
                }
            ]
        }
    )

    id: str = Field(description="The issuer id (a DID or an https URL)")
    name: str
    url: str | None = None
    documents: list[str] = Field(description="URLs of the key documents held for the issuer")
    updated_at: datetime
