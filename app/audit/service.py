"""Recording audit events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session

from app.errors import page_text
from app.models import AuditEvent
from app.models.base import utcnow

# What each recorded action means, for the admins' audit page (translated there); the codes
# stay in the database and the CSV export, where they are searched for.
ACTION_LABELS = {
    "audit.export": page_text("Audit log exported"),
    "award.create": page_text("Badge awarded"),
    "award.photo": page_text("Photo of the work added to a badge"),
    "award_job.create": page_text("Group award started"),
    "award_job.done": page_text("Group award finished"),
    "award_job.resume": page_text("Group award continued"),
    "catalog.confirm": page_text("Qualification link confirmed"),
    "clr.export": page_text("Passport downloaded as a file"),
    "credential.private": page_text("Badge made private"),
    "credential.public": page_text("Badge made public"),
    "credential.revoke": page_text("Badge revoked"),
    "keys.rotate": page_text("Signing keys changed"),
    "login.failure": page_text("Failed sign-in"),
    "login.locked": page_text("Sign-in locked after failed attempts"),
    "login.success": page_text("Signed in"),
    "organization.create": page_text("Organization created"),
    "participant.create": page_text("Participant added"),
    "participant.erase": page_text("Participant's data erased"),
    "participant.export": page_text("Participant's data exported"),
    "participant.update": page_text("Participant's details changed"),
    "passport.pin_failed": page_text("Wrong passport PIN"),
    "passport.pin_remove": page_text("Passport PIN removed"),
    "passport.pin_set": page_text("Passport PIN set"),
    "passport.sign_in": page_text("Participant opened the passport"),
    "passport.sign_in_link": page_text("Passport link sent by e-mail"),
    "passport.sign_in_qr": page_text("Passport QR code shown"),
    "passport.token_create": page_text("Passport link made"),
    "passport.token_renew": page_text("Passport link renewed"),
    "passport.token_revoke": page_text("Passport link stopped"),
    "share.create": page_text("Share link made"),
    "share.revoke": page_text("Share link stopped"),
    "trust.add": page_text("Trusted issuer added"),
    "trust.remove": page_text("Trusted issuer removed"),
    "trust.update": page_text("Trusted issuer changed"),
    "user.activate": page_text("Coach account activated"),
    "user.create": page_text("Coach account created"),
    "user.deactivate": page_text("Coach account deactivated"),
}
# The groups of actions the audit page filters by (the code's first part).
ACTION_GROUPS = {
    "login": page_text("Sign-ins"),
    "award": page_text("Awards"),
    "credential": page_text("Badges"),
    "participant": page_text("Participants"),
    "user": page_text("Coach accounts"),
    "audit": page_text("Audit log"),
    "passport": page_text("Passports"),
    "share": page_text("Share links"),
}
OBJECT_LABELS = {
    "award_job": page_text("Group award"),
    "credential": page_text("Badge"),
    "organization": page_text("Organization"),
    "participant": page_text("Participant"),
    "qualification": page_text("Qualification"),
    "share_link": page_text("Share link"),
    "trusted_issuer": page_text("Trusted issuer"),
    "user": page_text("Coach account"),
}


def record(
    session: Session,
    *,
    action: str,
    organization_id: int | None,
    actor_user_id: int | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    ip_address: str | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction."""
    event = AuditEvent(
        organization_id=organization_id,
        actor_user_id=actor_user_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        ip_address=ip_address,
        details=details or {},
        created_at=now or utcnow(),
    )
    session.add(event)
    return event


def record_many(
    session: Session,
    *,
    action: str,
    organization_id: int | None,
    actor_user_id: int | None,
    object_type: str,
    object_ids: list[str],
    details: dict[str, Any],
    now: datetime,
    ip_address: str | None = None,
) -> None:
    """Add one audit event per object, the same but for the object, in one statement (a
    group award's chunk) and at once, not at the session's next flush."""
    table: Table = AuditEvent.__table__  # type: ignore[attr-defined]
    if object_ids:
        session.execute(
            table.insert(),
            [
                {
                    "organization_id": organization_id,
                    "actor_user_id": actor_user_id,
                    "action": action,
                    "object_type": object_type,
                    "object_id": object_id,
                    "ip_address": ip_address,
                    "details": details,
                    "created_at": now,
                }
                for object_id in object_ids
            ],
        )
