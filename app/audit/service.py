"""Recording audit events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.models import AuditEvent
from app.models.base import utcnow


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
