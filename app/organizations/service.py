"""Issuing organizations: creation, identifiers and signing keys (with rotation)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote, urlsplit

from sqlmodel import Session

from app.audit import service as audit
from app.config import Settings
from app.errors import Conflict, NotFound, ValidationFailed
from app.keys import KeySigner, PublicKey, encrypt_private_key, generate_private_key
from app.keys import load_private_key as decrypt_private_key
from app.models import Organization, SigningKey
from app.models.base import utcnow
from app.models.organizations import KeyPurpose, KeyStatus
from app.names import checked_name
from app.organizations import repository
from app.users.service import normalise_email

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# Data Integrity proofs use Ed25519 (eddsa-rdfc-2022); VC-JWTs use ES256, which the 1EdTech
# validator accepts (it accepts RS256 and ES256 only).
PURPOSE_ALGORITHM = {KeyPurpose.data_integrity: "Ed25519", KeyPurpose.jwt: "ES256"}


def issuer_did(settings: Settings, organization: Organization) -> str:
    """The organization's did:web identifier, resolving to /orgs/{slug}/did.json."""
    parts = urlsplit(settings.public_origin)
    host = quote(parts.netloc, safe="")  # a port's ':' becomes %3A, as did:web requires
    segments = [s for s in parts.path.split("/") if s]
    return ":".join(["did:web", host, *segments, "orgs", organization.slug])


def profile_url(settings: Settings, organization: Organization) -> str:
    return f"{settings.public_origin}/orgs/{organization.slug}"


def verification_method_id(settings: Settings, organization: Organization, key: SigningKey) -> str:
    return f"{issuer_did(settings, organization)}#{key.key_id}"


def _key_aad(organization: Organization, key_id: str) -> str:
    return f"{organization.slug}#{key_id}"


def _new_key(
    session: Session,
    settings: Settings,
    organization: Organization,
    purpose: KeyPurpose,
    number: int,
    now: datetime,
) -> SigningKey:
    assert organization.id is not None
    private = generate_private_key(PURPOSE_ALGORITHM[purpose])
    key_id = f"key-{number}"
    public = private.public_key
    key = SigningKey(
        organization_id=organization.id,
        key_id=key_id,
        purpose=purpose.value,
        algorithm=private.algorithm,
        public_jwk=public.to_jwk(),
        public_key_multibase=public.to_multikey(),
        private_key_encrypted=encrypt_private_key(
            private, kek=settings.kek_bytes, key_id=_key_aad(organization, key_id)
        ),
        status=KeyStatus.active,
        created_at=now,
    )
    session.add(key)
    return key


def create_organization(
    session: Session,
    *,
    settings: Settings,
    slug: str,
    name: str,
    url: str,
    email: str,
    logo_url: str | None = None,
    now: datetime | None = None,
) -> Organization:
    """Create an issuing organization with a fresh key for each proof form."""
    now = now or utcnow()
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug) or len(slug) > 64:
        raise ValidationFailed("The short name may have lowercase letters, digits and hyphens.")
    if not url.startswith("https://"):
        raise ValidationFailed("The organization's web address must start with https://.")
    if not name.strip():
        raise ValidationFailed("Give the organization's name.")
    name = checked_name(name)
    if repository.by_slug(session, slug) is not None:
        raise Conflict(f"An organization with the short name {slug!r} already exists.")
    organization = Organization(
        slug=slug,
        name=name,
        url=url,
        email=normalise_email(email),
        logo_url=logo_url,
        created_at=now,
    )
    session.add(organization)
    session.flush()
    _new_key(session, settings, organization, KeyPurpose.data_integrity, 1, now)
    _new_key(session, settings, organization, KeyPurpose.jwt, 2, now)
    session.flush()
    audit.record(
        session,
        action="organization.create",
        organization_id=organization.id,
        object_type="organization",
        object_id=organization.id,
        now=now,
    )
    return organization


def get_organization(session: Session, slug: str) -> Organization:
    organization = repository.by_slug(session, slug)
    if organization is None:
        raise NotFound(f"No organization with the short name {slug!r}.")
    return organization


def published_keys(session: Session, organization: Organization) -> Sequence[SigningKey]:
    """Active and retired keys: what verifiers may use. Revoked keys are withdrawn."""
    assert organization.id is not None
    return [
        k for k in repository.keys_of(session, organization.id) if k.status != KeyStatus.revoked
    ]


def signer_for(
    session: Session, settings: Settings, organization: Organization, purpose: KeyPurpose
) -> KeySigner:
    """A signer for the organization's active key of the given purpose."""
    assert organization.id is not None
    key = repository.active_key(session, organization.id, purpose.value)
    if key is None:
        raise Conflict(f"{organization.name} has no active {purpose.value} key; rotate keys.")
    private = decrypt_private_key(
        key.private_key_encrypted,
        kek=settings.kek_bytes,
        key_id=_key_aad(organization, key.key_id),
    )
    algorithm = "EdDSA" if purpose is KeyPurpose.jwt and key.algorithm == "Ed25519" else None
    return KeySigner(
        private, verification_method_id(settings, organization, key), algorithm=algorithm
    )


def public_key_of(key: SigningKey) -> PublicKey:
    return PublicKey.from_jwk(key.public_jwk)


def rotate_keys(
    session: Session,
    *,
    settings: Settings,
    organization: Organization,
    compromised: Sequence[str] = (),
    now: datetime | None = None,
) -> list[SigningKey]:
    """Retire the active keys and create new ones; compromised keys are revoked (withdrawn).

    Retired keys stay published so credentials signed earlier still verify.
    """
    now = now or utcnow()
    assert organization.id is not None
    keys = list(repository.keys_of(session, organization.id))
    by_id = {k.key_id: k for k in keys}
    unknown = [k for k in compromised if k not in by_id]
    if unknown:
        raise NotFound(f"{organization.slug} has no key {', '.join(unknown)}.")
    for key in keys:
        if key.key_id in compromised:
            key.status, key.revoked_at = KeyStatus.revoked, now
        elif key.status == KeyStatus.active:
            key.status, key.retired_at = KeyStatus.retired, now
        session.add(key)
    number = 1 + max((int(k.key_id.removeprefix("key-")) for k in keys), default=0)
    new = [
        _new_key(session, settings, organization, KeyPurpose.data_integrity, number, now),
        _new_key(session, settings, organization, KeyPurpose.jwt, number + 1, now),
    ]
    session.flush()
    audit.record(
        session,
        action="keys.rotate",
        organization_id=organization.id,
        object_type="organization",
        object_id=organization.id,
        now=now,
        details={"compromised": list(compromised), "new": [k.key_id for k in new]},
    )
    return new
