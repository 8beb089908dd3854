"""Resolving our own organizations' verification methods from the database (no network)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache

from sqlalchemy import Text, bindparam, cast
from sqlalchemy import select as core_select
from sqlmodel import Session, col

from app.config import Settings
from app.keys import PublicKey
from app.memo import DerivedCache
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


# The key's status and public JWK are read on every resolution; only importing the JWK is
# saved, keyed by its stored text, so a revoked (compromised) key fails at once everywhere.
_KEY_ROW = (
    core_select(col(SigningKey.status), cast(col(SigningKey.public_jwk), Text))
    .join(Organization, col(Organization.id) == col(SigningKey.organization_id))
    .where(col(Organization.slug) == bindparam("slug"))
    .where(col(SigningKey.key_id) == bindparam("key_id"))
)
_PARSED_KEYS: DerivedCache[str, PublicKey] = DerivedCache(max_entries=256)


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
        row = session.connection().execute(_KEY_ROW, {"slug": slug, "key_id": fragment}).first()
        if row is None:
            raise KeyResolutionError(f"{method_id} is not a published key of {slug}")
        status, jwk_text = row
        if status == KeyStatus.revoked:
            raise KeyResolutionError(
                f"{method_id} has been withdrawn by the issuer (key compromised)"
            )
        return _PARSED_KEYS.get(jwk_text, lambda: PublicKey.from_jwk(json.loads(jwk_text)))

    return resolve


_ORG_KEYS = (
    core_select(
        col(SigningKey.key_id), col(SigningKey.status), cast(col(SigningKey.public_jwk), Text)
    )
    .join(Organization, col(Organization.id) == col(SigningKey.organization_id))
    .where(col(Organization.slug) == bindparam("slug"))
    .order_by(col(SigningKey.id))
)


def _parsed_key(jwk_text: str) -> PublicKey:
    return _PARSED_KEYS.get(jwk_text, lambda: PublicKey.from_jwk(json.loads(jwk_text)))


def local_issuer_keys(
    session: Session, settings: Settings
) -> Callable[[str], list[tuple[str, PublicKey]]]:
    """The published keys of one of our organizations (active and retired; withdrawn ones
    never), by issuer DID, each with its verification method id."""
    prefix = our_did_prefix(settings)

    def keys(issuer: str) -> list[tuple[str, PublicKey]]:
        if not issuer.startswith(prefix):
            return []
        rows = session.connection().execute(_ORG_KEYS, {"slug": issuer.removeprefix(prefix)})
        return [
            (f"{issuer}#{key_id}", _parsed_key(str(jwk_text)))
            for key_id, status, jwk_text in rows
            if status != KeyStatus.revoked
        ]

    return keys
