"""Verifying credentials with the service's resolvers: used by the CLI, the API and pages."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app.config import Settings
from app.credentials.documents import document_loader
from app.credentials.keyresolver import our_did_prefix
from app.errors import NotFound, ValidationFailed
from app.keys import PublicKey
from app.models import Credential, Organization, StatusList
from app.net.fetch import Fetcher, FetchPolicy, SafeFetcher
from app.trust.service import IssuerTrust, issuer_trust
from app.vc.dataintegrity import VerifiedProofs
from app.vc.statuslist import build_status_list_credential
from app.vc.verify import VerificationResult, Verifier, WorkBudget, verify_credential
from app.verification.answers import InputsRecorder
from app.verification.resolvers import DocumentSource, issuer_keys, key_resolver
from app.verification.schema import schema_validator


def load_offline_documents(directory: Path | None) -> dict[str, Mapping[str, Any]]:
    """Documents from DOCUMENTS_DIR: `documents.json` maps each URL to a JSON file beside it."""
    if directory is None:
        return {}
    index_file = directory / "documents.json"
    if not index_file.is_file():
        return {}
    index = json.loads(index_file.read_text(encoding="utf-8"))
    return {
        url: json.loads((directory / name).read_text(encoding="utf-8"))
        for url, name in index.items()
    }


def fetch_policy(settings: Settings) -> FetchPolicy:
    return FetchPolicy(allow_loopback=settings.fetch_allow_loopback)


# Our own status lists are read from the database on every check, in the verification's own
# transaction: their current bits are the authority a signature would only vouch for.
# Signing (or checking a signature) here would cost a Data Integrity operation per
# verification, and storing a fresh signature would turn a read-only request into a write
# that concurrent verifications contend for. One Core query for the bits and the issuer.
_STATUS_ROW = (
    core_select(col(StatusList.bits), col(StatusList.purpose), col(Organization.slug))
    .join(Organization, col(Organization.id) == col(StatusList.organization_id))
    .where(col(StatusList.public_id) == bindparam("public_id"))
)


# Data Integrity proofs that have verified, by the digest of their exact content and key
# (app.vc.dataintegrity.VerifiedProofs): a page shows the same stored credentials on every
# request, and canonicalizing each costs milliseconds. Only that derived fact is kept; the
# key's status, the status list, the validity window and the trust registry are read on
# every verification (decision 0015).
VERIFIED_PROOFS = VerifiedProofs()


def build_verifier(
    session: Session,
    settings: Settings,
    *,
    now: datetime,
    offline: Mapping[str, Mapping[str, Any] | str] | None = None,
    fetcher: Fetcher | None = None,
    trust: IssuerTrust | None = None,
    budget: WorkBudget | None = None,
    shared_lookups: bool = False,
    recorder: InputsRecorder | None = None,
) -> Verifier:
    """A Verifier wired to this service: our issuers from the database, others fetched.

    `budget` bounds the verification work (see WorkBudget); the API gives every request
    one, our own pages and the command line verify without.

    `shared_lookups`: the verifier serves several credentials of one request (a page): each
    key, issuer's keys and status list is looked up once for all of them. Nothing is kept
    past the verifier, so the next request still sees a revocation at once.

    `recorder`: notes what the look-ups read (app.verification.answers), for an answer
    kept by the digest of its inputs.
    """
    registry = trust if trust is not None else issuer_trust(session, settings)
    # Documents given for this call win over the trust registry, which wins over DOCUMENTS_DIR.
    documents = {
        **load_offline_documents(settings.documents_dir),
        **registry.documents,
        **(offline or {}),
    }
    fetch = fetcher or SafeFetcher(fetch_policy(settings))
    source = DocumentSource(fetch.get, documents)
    status_prefix = f"{settings.public_origin}/status/"

    def fetch_status(url: str) -> Mapping[str, Any] | str:
        if url.startswith(status_prefix):
            row = (
                session.connection()
                .execute(_STATUS_ROW, {"public_id": url.removeprefix(status_prefix)})
                .first()
            )
            if row is None:
                raise ValueError(f"no status list at {url}")
            bits, purpose, slug = row
            # An unsigned list credential, accepted only because authoritative_status says
            # this URL is ours.
            return build_status_list_credential(
                list_id=url,
                issuer=our_did_prefix(settings) + slug,
                purpose=purpose,
                bits=bytes(bits),
                valid_from=now,
            )
        return source.get_status_list(url)

    resolve = key_resolver(session, settings, source, registry.jwks_owners)
    keys_of = issuer_keys(session, settings, source, registry.jwks_owners)
    status: Callable[[str], Mapping[str, Any] | str] = fetch_status
    if shared_lookups:
        resolve, keys_of, status = _once(resolve), _once(keys_of), _once(fetch_status)
    if recorder is not None:
        resolve, keys_of = recorder.keys(resolve), recorder.keys(keys_of)
        status = recorder.status_lists_of(status)
    return Verifier(
        document_loader=document_loader(settings),
        key_resolver=resolve,
        schema_validator=schema_validator(settings.schemas_dir, settings.context_cache_dir),
        status_fetcher=status,
        now=now,
        jwk_loader=PublicKey.from_jwk,
        multikey_loader=PublicKey.from_multikey,
        issuer_keys=keys_of,
        budget=budget,
        authoritative_status=lambda url: url.startswith(status_prefix),
        verified_proofs=VERIFIED_PROOFS,
    )


T = TypeVar("T")


def _once(lookup: Callable[[str], T]) -> Callable[[str], T]:
    """The lookup, each key asked once while this verifier lives (failures are not kept)."""
    found: dict[str, T] = {}

    def cached(key: str) -> T:
        if key not in found:
            found[key] = lookup(key)
        return found[key]

    return cached


def verify_many(
    session: Session,
    settings: Settings,
    documents: Sequence[Mapping[str, Any] | str | bytes],
    *,
    now: datetime,
) -> list[VerificationResult]:
    """Verify a page's credentials together: one verifier, each lookup once. Gives the same
    result, check by check, as verifying them one at a time."""
    verifier = build_verifier(session, settings, now=now, shared_lookups=True)
    return [verify_credential(document, verifier) for document in documents]


def verify(
    session: Session,
    settings: Settings,
    data: Mapping[str, Any] | str | bytes,
    *,
    now: datetime,
    recipient_email: str | None = None,
    offline: Mapping[str, Mapping[str, Any] | str] | None = None,
    fetcher: Fetcher | None = None,
) -> VerificationResult:
    """Verify one credential in any accepted form."""
    if recipient_email is not None and "@" not in recipient_email:
        raise ValidationFailed("The recipient must be an e-mail address.")
    verifier = build_verifier(session, settings, now=now, offline=offline, fetcher=fetcher)
    return verify_credential(data, verifier, recipient_email=recipient_email)


ACCEPT_CREDENTIAL = "application/vc+ld+json, application/ld+json;q=0.9, application/json;q=0.8"


def credential_at(
    session: Session, settings: Settings, url: str, fetcher: Fetcher
) -> bytes | dict[str, Any]:
    """The credential at a URL: ours are read from the database (public ones only), others
    fetched (bounded: app.net.fetch).

    Raises:
        NotFound: One of our addresses that holds no public credential.
        FetchError, UrlNotAllowed: The fetch failed or the address is not allowed.
    """
    prefix = f"{settings.public_origin}/credentials/"
    if url.startswith(prefix):
        public_id = url.removeprefix(prefix).split("?")[0].split("#")[0].strip("/")
        row = session.exec(select(Credential).where(Credential.public_id == public_id)).first()
        if row is None or not row.is_public:
            raise NotFound("No public credential at that URL.")
        return dict(row.json_ld)
    return fetcher.get(url, accept=ACCEPT_CREDENTIAL)
