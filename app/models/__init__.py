"""SQLModel tables only. Import every table here so Alembic sees the whole metadata."""

from app.models.audit import AuditEvent
from app.models.awards import Award, Credential, StatusList
from app.models.catalog import (
    BadgeDefinition,
    BadgeVersion,
    BadgeVersionRequirement,
    Qualification,
    QualificationUnit,
    SkillRequirement,
)
from app.models.clients import ApiClient, RateLimitCounter
from app.models.organizations import Organization, SigningKey
from app.models.participants import Participant, ShareLink
from app.models.trust import TrustedIssuer
from app.models.users import User

__all__ = [
    "ApiClient",
    "AuditEvent",
    "Award",
    "BadgeDefinition",
    "BadgeVersion",
    "BadgeVersionRequirement",
    "Credential",
    "Organization",
    "Participant",
    "Qualification",
    "QualificationUnit",
    "RateLimitCounter",
    "ShareLink",
    "SigningKey",
    "SkillRequirement",
    "StatusList",
    "TrustedIssuer",
    "User",
]
