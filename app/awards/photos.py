"""Evidence photos: checked, cleaned of EXIF and location data, stored privately."""

from __future__ import annotations

import io
import warnings
from datetime import datetime, timedelta

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.errors import Conflict, NotFound, PayloadTooLarge, UnsupportedMediaType
from app.models import Award, Credential, EvidencePhoto, Participant

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_PIXELS = 40_000_000  # a 40-megapixel camera; larger files are refused, not decoded
MAX_SIDE = 1600  # enough to see the work; keeps rows small
UNATTACHED_TTL = timedelta(hours=24)


def clean_photo(data: bytes, *, max_bytes: int) -> tuple[bytes, int, int]:
    """Re-encode an uploaded image as a plain JPEG: no EXIF, no GPS, upright, bounded size.

    Raises:
        PayloadTooLarge: The file is larger than `max_bytes`.
        UnsupportedMediaType: It is not a JPEG, PNG or WebP image (by content, not name).
    """
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            "The photo is too large. Take a new photo or choose a smaller one.",
            max_bytes=max_bytes,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise UnsupportedMediaType("The photo must be a JPEG, PNG or WebP image.")
                if probe.width * probe.height > MAX_PIXELS:
                    raise PayloadTooLarge("The photo has too many pixels.")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
                rgb = upright.convert("RGB")
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ) as exc:
        raise UnsupportedMediaType("The file is not a readable JPEG, PNG or WebP image.") from exc
    rgb.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    # A fresh image has no info dict: EXIF, GPS, XMP and comments are all left behind.
    rgb.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue(), rgb.width, rgb.height


def store_photo(
    session: Session,
    *,
    participant: Participant,
    uploaded_by_id: int,
    data: bytes,
    max_bytes: int,
    now: datetime,
) -> EvidencePhoto:
    """Keep a cleaned photo until the award it was taken for is issued."""
    clean, width, height = clean_photo(data, max_bytes=max_bytes)
    assert participant.id is not None
    photo = EvidencePhoto(
        organization_id=participant.organization_id,
        participant_id=participant.id,
        uploaded_by_id=uploaded_by_id,
        content_type="image/jpeg",
        width=width,
        height=height,
        data=clean,
        created_at=now,
    )
    session.add(photo)
    session.flush()
    # Photos of abandoned awards are not kept.
    session.execute(
        delete(EvidencePhoto)
        .where(col(EvidencePhoto.award_id).is_(None))
        .where(col(EvidencePhoto.created_at) < now - UNATTACHED_TTL)
    )
    return photo


def photo_for_org(session: Session, organization_id: int, public_id: str) -> EvidencePhoto:
    row = session.exec(select(EvidencePhoto).where(EvidencePhoto.public_id == public_id)).first()
    if row is None or row.organization_id != organization_id:
        raise NotFound("No such photo.")
    return row


def pending_photo(
    session: Session, organization_id: int, participant_id: int, public_id: str
) -> EvidencePhoto:
    """An uploaded photo not yet attached, of this participant and organization."""
    row = photo_for_org(session, organization_id, public_id)
    if row.participant_id != participant_id or row.award_id is not None:
        raise NotFound("No such photo.")
    return row


def add_to_badge(
    session: Session,
    *,
    organization_id: int,
    credential_public_id: str,
    uploaded_by_id: int,
    data: bytes,
    max_bytes: int,
    now: datetime,
    ip_address: str | None = None,
) -> EvidencePhoto:
    """A photo of the work added to a badge already issued (after a group award, where each
    person's work is photographed when the badges are out). It takes the place of the badge's
    earlier photo, if it had one.

    Share links the participant made before do not show it: she has not seen it yet.

    Raises:
        NotFound: No such badge in this organization (or its holder's data was erased).
        Conflict: The badge is revoked or replaced.
        PayloadTooLarge, UnsupportedMediaType: As `clean_photo`.
    """
    credential = session.exec(
        select(Credential).where(Credential.public_id == credential_public_id)
    ).first()
    if credential is None or credential.organization_id != organization_id:
        raise NotFound("No such badge.")
    award = session.get(Award, credential.award_id)
    assert award is not None
    participant = session.get(Participant, award.participant_id)
    if participant is None or participant.erased_at is not None:
        raise NotFound("No such badge.")
    if credential.revoked_at is not None or credential.replaced_by_id is not None:
        raise Conflict("A revoked badge cannot get a photo.")
    assert participant.id is not None
    clean, width, height = clean_photo(data, max_bytes=max_bytes)
    session.execute(delete(EvidencePhoto).where(col(EvidencePhoto.award_id) == award.id))
    photo = EvidencePhoto(
        organization_id=organization_id,
        participant_id=participant.id,
        award_id=award.id,
        uploaded_by_id=uploaded_by_id,
        content_type="image/jpeg",
        width=width,
        height=height,
        data=clean,
        created_at=now,
        attached_at=now,
    )
    session.add(photo)
    session.flush()
    audit.record(
        session,
        action="award.photo",
        organization_id=organization_id,
        actor_user_id=uploaded_by_id,
        object_type="credential",
        object_id=credential.public_id,
        ip_address=ip_address,
        now=now,
    )
    return photo
