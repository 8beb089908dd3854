"""SQLModel tables only. Import every table here so Alembic sees the whole metadata."""

from app.models.audit import AuditEvent
from app.models.awards import Award, AwardJob, AwardJobItem, Credential, StatusList
from app.models.catalog import (
    BadgeDefinition,
    BadgeVersion,
    BadgeVersionRequirement,
    CatalogFinding,
    Qualification,
    QualificationUnit,
    SkillRequirement,
)
from app.models.clients import ApiClient, RateLimitCounter
from app.models.evidence import EvidencePhoto
from app.models.foreign import ForeignBadge
from app.models.host import HostAuthorizationCode, HostClient, HostToken
from app.models.organizations import Organization, SigningKey
from app.models.participants import OutboxMessage, Participant, ShareLink, SignInToken
from app.models.sessions import WebSession
from app.models.trust import TrustedIssuer
from app.models.users import User
from app.models.wallets import WalletOffer

__all__ = [
    "ApiClient",
    "AuditEvent",
    "Award",
    "AwardJob",
    "AwardJobItem",
    "BadgeDefinition",
    "BadgeVersion",
    "BadgeVersionRequirement",
    "CatalogFinding",
    "Credential",
    "EvidencePhoto",
    "ForeignBadge",
    "HostAuthorizationCode",
    "HostClient",
    "HostToken",
    "Organization",
    "OutboxMessage",
    "Participant",
    "Qualification",
    "QualificationUnit",
    "RateLimitCounter",
    "ShareLink",
    "SignInToken",
    "SigningKey",
    "SkillRequirement",
    "StatusList",
    "TrustedIssuer",
    "User",
    "WalletOffer",
    "WebSession",
]
