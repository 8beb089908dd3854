"""Resolving our own organizations' verification methods from the database (no network)."""

from __future__ import annotations

from functools import lru_cache

from sqlmodel import Session, col, select

from app.config import Settings
from app.keys import PublicKey
from app.models import Organization, SigningKey
from app.models.organizations import KeyStatus
from app.organizations.service import issuer_did
from app.vc.errors import KeyResolutionError
from app.vc.types import PublicKeyResolver


def our_did_prefix(settings: Settings) -> str:
    return _did_prefix(settings.public_origin)


@lru_cache(maxsize=8)
def _did_prefix(public_origin: str) -> str:
    # Building a model instance costs more than the rest of a key look-up: done once.
    probe = Organization(slug="x", name="", url="", email="")
    settings = Settings(_env_file=None, base_url=public_origin)
    return issuer_did(settings, probe).removesuffix(":x") + ":"


def local_key_resolver(session: Session, settings: Settings) -> PublicKeyResolver:
    """Resolve `did:web:<this service>:orgs:<slug>#key-N` to the organization's public key.

    Retired keys resolve (old credentials stay valid); revoked (compromised) keys do not.
    """
    prefix = our_did_prefix(settings)

    def resolve(method_id: str) -> PublicKey:
        did, _, fragment = method_id.partition("#")
        if not did.startswith(prefix) or not fragment:
            raise KeyResolutionError(f"{method_id} is not a key of this service")
        slug = did.removeprefix(prefix)
        row = session.exec(
            select(SigningKey)
            .join(Organization, col(Organization.id) == col(SigningKey.organization_id))
            .where(Organization.slug == slug)
            .where(SigningKey.key_id == fragment)
        ).first()
        if row is None:
            raise KeyResolutionError(f"{method_id} is not a published key of {slug}")
        if row.status == KeyStatus.revoked:
            raise KeyResolutionError(
                f"{method_id} has been withdrawn by the issuer (key compromised)"
            )
        return PublicKey.from_jwk(row.public_jwk)

    return resolve
