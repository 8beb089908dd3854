"""Building unsigned Open Badges 3.0 credentials (pure: everything comes in as arguments)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.vc.dates import format_datetime

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_V3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_EXTENSIONS_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
ACHIEVEMENT_CREDENTIAL_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)


def identity_hash(value: str, salt: str) -> str:
    """The OB 3.0 IdentityObject hash: ``sha256$`` + hex(SHA-256(value + salt))."""
    return "sha256$" + hashlib.sha256((value + salt).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuerProfile:
    id: str
    name: str
    url: str
    email: str
    image: str | None = None
    description: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "type": ["Profile"],
            "name": self.name,
            "url": self.url,
            "email": self.email,
        }
        if self.description:
            data["description"] = self.description
        if self.image:
            data["image"] = {"id": self.image, "type": "Image"}
        return data


@dataclass(frozen=True)
class Alignment:
    target_name: str
    target_url: str
    target_code: str | None = None
    target_framework: str | None = None
    target_type: str | None = None
    target_description: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": ["Alignment"],
            "targetName": self.target_name,
            "targetUrl": self.target_url,
        }
        for key, value in (
            ("targetCode", self.target_code),
            ("targetFramework", self.target_framework),
            ("targetType", self.target_type),
            ("targetDescription", self.target_description),
        ):
            if value:
                data[key] = value
        return data


@dataclass(frozen=True)
class AchievementData:
    id: str
    name: str
    description: str
    criteria_narrative: str
    achievement_type: str
    image: str | None = None
    image_caption: str | None = None
    language: str = "fi"
    version: str | None = None
    tags: Sequence[str] = ()
    alignments: Sequence[Alignment] = ()
    criteria_id: str | None = None


@dataclass(frozen=True)
class StatusEntry:
    """A W3C Bitstring Status List entry."""

    list_credential: str
    index: int
    purpose: str = "revocation"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": f"{self.list_credential}#{self.index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": self.purpose,
            "statusListIndex": str(self.index),
            "statusListCredential": self.list_credential,
        }


@dataclass(frozen=True)
class EvidenceData:
    narrative: str
    name: str | None = None
    description: str | None = None
    genre: str | None = None
    id: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": ["Evidence"], "narrative": self.narrative}
        for key, value in (
            ("id", self.id),
            ("name", self.name),
            ("description", self.description),
            ("genre", self.genre),
        ):
            if value:
                data[key] = value
        return data


@dataclass(frozen=True)
class SubjectData:
    id: str
    email: str | None = None
    salt: str | None = None


@dataclass(frozen=True)
class CredentialData:
    id: str
    issuer: IssuerProfile
    achievement: AchievementData
    subject: SubjectData
    valid_from: datetime
    valid_until: datetime | None = None
    evidence: Sequence[EvidenceData] = ()
    status: StatusEntry | None = None
    name: str | None = None
    extra_types: Sequence[str] = field(default_factory=tuple)


def build_credential(data: CredentialData) -> dict[str, Any]:
    """Build an unsigned OpenBadgeCredential (VC Data Model 2.0, OB 3.0.3 context).

    Args:
        data: Everything the credential says.

    Returns:
        The credential as a JSON-compatible dict, ready to be signed.

    Raises:
        ValueError: If the subject e-mail is given without a salt, or dates lack a zone.
    """
    ach = data.achievement
    achievement: dict[str, Any] = {
        "id": ach.id,
        "type": ["Achievement"],
        "achievementType": ach.achievement_type,
        "name": ach.name,
        "description": ach.description,
        "criteria": {"narrative": ach.criteria_narrative},
        "creator": data.issuer.to_json(),
        "inLanguage": ach.language,
    }
    if ach.criteria_id:
        achievement["criteria"]["id"] = ach.criteria_id
    if ach.image:
        image: dict[str, Any] = {"id": ach.image, "type": "Image"}
        if ach.image_caption:
            image["caption"] = ach.image_caption
        achievement["image"] = image
    if ach.version:
        achievement["version"] = ach.version
    if ach.tags:
        achievement["tag"] = list(ach.tags)
    if ach.alignments:
        achievement["alignment"] = [a.to_json() for a in ach.alignments]

    subject: dict[str, Any] = {
        "id": data.subject.id,
        "type": ["AchievementSubject"],
        "achievement": achievement,
    }
    if data.subject.email:
        if not data.subject.salt:
            raise ValueError("a salt is required to hash the recipient's e-mail address")
        subject["identifier"] = [
            {
                "type": "IdentityObject",
                "identityHash": identity_hash(data.subject.email.lower(), data.subject.salt),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": data.subject.salt,
            }
        ]

    credential: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT, OB_V3_CONTEXT],
        "id": data.id,
        "type": ["VerifiableCredential", "OpenBadgeCredential", *data.extra_types],
        "issuer": data.issuer.to_json(),
        "validFrom": format_datetime(data.valid_from),
        "name": data.name or ach.name,
        "description": ach.description,
        "credentialSubject": subject,
        "credentialSchema": [
            {"id": ACHIEVEMENT_CREDENTIAL_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}
        ],
    }
    # 1EdTechJsonSchemaValidator2019 is defined only by the extensions context.
    credential["@context"].append(OB_EXTENSIONS_CONTEXT)
    if ach.image:
        credential["image"] = {"id": ach.image, "type": "Image"}
    if data.valid_until is not None:
        if data.valid_until <= data.valid_from:
            raise ValueError("validUntil must be after validFrom")
        credential["validUntil"] = format_datetime(data.valid_until)
    if data.evidence:
        credential["evidence"] = [e.to_json() for e in data.evidence]
    if data.status is not None:
        credential["credentialStatus"] = data.status.to_json()
    return credential
