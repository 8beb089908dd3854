"""Verifying credentials with the service's resolvers: used by the CLI, the API and pages."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from app.config import Settings
from app.credentials import status as status_service
from app.credentials.documents import document_loader
from app.errors import ValidationFailed
from app.keys import PublicKey
from app.models import StatusList
from app.net.fetch import FetchPolicy, SafeFetcher
from app.trust.service import IssuerTrust, issuer_trust
from app.vc.verify import VerificationResult, Verifier, verify_credential
from app.verification.resolvers import DocumentSource, key_resolver
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


def build_verifier(
    session: Session,
    settings: Settings,
    *,
    now: datetime,
    offline: Mapping[str, Mapping[str, Any]] | None = None,
    fetcher: SafeFetcher | None = None,
    trust: IssuerTrust | None = None,
) -> Verifier:
    """A Verifier wired to this service: our issuers from the database, others fetched."""
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

    def fetch_status(url: str) -> Mapping[str, Any]:
        if url.startswith(status_prefix):
            row = session.exec(
                select(StatusList).where(StatusList.public_id == url.removeprefix(status_prefix))
            ).first()
            if row is None:
                raise ValueError(f"no status list at {url}")
            return status_service.current_status_list(session, settings, row, now)
        return source.get_json(url)

    return Verifier(
        document_loader=document_loader(settings),
        key_resolver=key_resolver(session, settings, source, registry.jwks_owners),
        schema_validator=schema_validator(settings.schemas_dir, settings.context_cache_dir),
        status_fetcher=fetch_status,
        now=now,
        jwk_loader=PublicKey.from_jwk,
        authoritative_status=lambda url: url.startswith(status_prefix),
    )


def verify(
    session: Session,
    settings: Settings,
    data: Mapping[str, Any] | str | bytes,
    *,
    now: datetime,
    recipient_email: str | None = None,
    offline: Mapping[str, Mapping[str, Any]] | None = None,
    fetcher: SafeFetcher | None = None,
) -> VerificationResult:
    """Verify one credential in any accepted form."""
    if recipient_email is not None and "@" not in recipient_email:
        raise ValidationFailed("The recipient must be an e-mail address.")
    verifier = build_verifier(session, settings, now=now, offline=offline, fetcher=fetcher)
    return verify_credential(data, verifier, recipient_email=recipient_email)
