"""Credential downloads: JSON-LD, VC-JWT, and baked PNG / SVG images."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from app.catalog.png import render_svg_png
from app.errors import NotFound, ValidationFailed
from app.models import Award, BadgeVersion, Credential
from app.vc.baking import bake_png, bake_svg

MEDIA_TYPES = {
    "json": "application/vc+ld+json",
    "jwt": "application/vc+jwt",
    "png": "image/png",
    "svg": "image/svg+xml",
}


def credential_by_public_id(session: Session, public_id: str) -> Credential:
    row = session.exec(select(Credential).where(Credential.public_id == public_id)).first()
    if row is None or not row.json_ld:
        # An erased holder's credential keeps only its status entry: nothing to give out.
        raise NotFound("No such credential.")
    return row


def export_credential(session: Session, public_id: str, fmt: str) -> tuple[bytes, str]:
    """The credential in `fmt` (json, jwt, png, svg) and its media type."""
    credential = credential_by_public_id(session, public_id)
    if fmt == "json":
        body = json.dumps(credential.json_ld, ensure_ascii=False, indent=2).encode()
    elif fmt == "jwt":
        body = credential.jwt.encode()
    elif fmt in ("png", "svg"):
        award = session.get(Award, credential.award_id)
        assert award is not None
        version = session.get(BadgeVersion, award.badge_version_id)
        assert version is not None
        if fmt == "svg":
            body = bake_svg(version.image_svg, credential.jwt).encode()
        else:
            png = render_svg_png(version.image_svg)
            body = bake_png(png, credential.json_ld)
    else:
        raise ValidationFailed("The format must be json, jwt, png or svg.")
    return body, MEDIA_TYPES[fmt]
