"""What a participant downloads from the passport: one badge as JSON, VC-JWT, baked PNG or
baked SVG, or the whole passport as a CLR 2.0 record. Only the participant's own badges."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app.clr import service as clr
from app.config import Settings
from app.credentials.export import export_credential
from app.models import Award, BadgeDefinition, BadgeVersion, Participant
from app.sharing.service import owned_credential

EXTENSIONS = {"json": "json", "jwt": "jwt", "png": "png", "svg": "svg"}


@dataclass(frozen=True)
class Download:
    body: bytes
    media_type: str
    filename: str


def download_credential(
    session: Session, *, participant: Participant, credential_public_id: str, fmt: str
) -> Download:
    """One of the participant's badges in ``fmt`` (json, jwt, png, svg).

    Raises:
        NotFound: For another participant's or an unknown badge.
        ValidationFailed: For an unknown format.
    """
    credential = owned_credential(session, participant=participant, public_id=credential_public_id)
    body, media_type = export_credential(session, credential.public_id, fmt)
    award = session.get(Award, credential.award_id)
    version = session.get(BadgeVersion, award.badge_version_id) if award else None
    badge = session.get(BadgeDefinition, version.badge_id) if version else None
    slug = badge.slug if badge else "badge"
    return Download(
        body=body,
        media_type=media_type,
        filename=f"osaamismerkki-{slug}-{credential.public_id[:8]}.{EXTENSIONS[fmt]}",
    )


def download_clr(
    session: Session, settings: Settings, *, participant: Participant, now: datetime
) -> Download:
    """The whole passport as a signed CLR 2.0 ClrCredential."""
    document = clr.export_clr(session, settings, participant=participant, now=now)
    return Download(
        body=json.dumps(document, ensure_ascii=False, indent=2).encode(),
        media_type=clr.MEDIA_TYPE,
        filename=f"osaamispassi-{now:%Y-%m-%d}.json",
    )
