"""Exporting a participant's passport as a signed CLR 2.0 ``ClrCredential``.

The record is issued by the participant's organization with its Data Integrity key and wraps
the participant's current (not revoked, not replaced) signed OpenBadgeCredentials unchanged,
so each keeps its own proof and status entry. The CLR itself has no status entry: it is a
snapshot, and a revoked wrapped credential fails its own status check.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.audit import service as audit
from app.config import Settings
from app.credentials.documents import document_loader
from app.credentials.service import issuer_profile, subject_id
from app.errors import NotFound, ValidationFailed
from app.models import Organization, Participant
from app.models.base import new_public_id
from app.models.organizations import KeyPurpose
from app.organizations.service import signer_for
from app.sharing.service import participant_credentials
from app.vc import dataintegrity
from app.vc.clr import build_clr_credential
from app.vc.verify import VerificationResult
from app.verification.service import verify

MEDIA_TYPE = "application/vc+ld+json"


def export_clr(
    session: Session, settings: Settings, *, participant: Participant, now: datetime
) -> dict[str, Any]:
    """The participant's current badges in one signed ClrCredential.

    Raises:
        NotFound: For an erased participant.
        ValidationFailed: When the participant has no current badge.
    """
    if participant.erased_at is not None:
        raise NotFound("No such participant.")
    credentials = [
        c.json_ld for c in participant_credentials(session, participant=participant) if c.json_ld
    ]
    if not credentials:
        raise ValidationFailed("There are no badges to export.")
    organization = session.get(Organization, participant.organization_id)
    assert organization is not None
    signer = signer_for(session, settings, organization, KeyPurpose.data_integrity)
    unsigned = build_clr_credential(
        id=f"urn:uuid:{new_public_id()}",
        issuer=issuer_profile(settings, organization),
        subject_id=subject_id(participant),
        credentials=credentials,
        valid_from=now,
        # No personal name: the record travels as a file; the learner is the subject id.
        name=f"Osaamispassi – {organization.name}",
        description=f"{len(credentials)} osaamismerkkiä",
    )
    signed = dataintegrity.add_proof(
        unsigned,
        signer=signer,
        verification_method=signer.key_id,
        created=now,
        document_loader=document_loader(settings),
    )
    audit.record(
        session,
        action="clr.export",
        organization_id=participant.organization_id,
        object_type="participant",
        object_id=participant.id,
        details={"credentials": len(credentials)},
        now=now,
    )
    session.flush()
    return signed


def verify_clr(
    session: Session, settings: Settings, clr: dict[str, Any], *, now: datetime
) -> VerificationResult:
    """Verify a ClrCredential: the outer proof, then each wrapped credential on its own
    (``result.inner``)."""
    return verify(session, settings, clr, now=now)
