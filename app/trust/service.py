"""The trust registry: known issuers besides our own organizations, with the key documents
(DID document, JWKS or key document) admins configured for them.

Verification reports whether a credential's issuer is known, and uses the configured
documents instead of fetching them, so those issuers verify offline. A document is accepted
only when it is served from the issuer's own host and its keys belong to the issuer, so one
entry can never stand in for another issuer's documents.

The registry holds keys, not names: an entry of a did:web or https issuer needs at least one
key document (given, or fetched from the issuer's own host and pinned when it is added). An
entry without one (left from before this rule) gives no trust. A did:key issuer is its key.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from sqlalchemy import CompoundSelect, Text, cast, literal, null, union_all
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.config import Settings
from app.credentials.keyresolver import our_did_prefix
from app.errors import Conflict, NotFound, ValidationFailed
from app.keys import PublicKey
from app.memo import DerivedCache
from app.models import Organization, TrustedIssuer
from app.models.base import utcnow
from app.names import checked_name
from app.net.fetch import FetchError, UrlNotAllowed
from app.organizations.service import issuer_did
from app.trust import repository
from app.vc.did import did_web_to_url
from app.vc.errors import DidError

MAX_DOCUMENT_BYTES = 256 * 1024
MAX_DOCUMENTS = 20
DocumentKind = Literal["did-document", "jwks", "key-document"]
Trust = Literal["own", "registry"]


@dataclass(frozen=True)
class IssuerTrust:
    """What verification needs from the registry, read once per request."""

    known: Mapping[str, Trust] = field(default_factory=dict)
    documents: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # JWKS carry no controller: the registry entry they belong to names it.
    jwks_owners: Mapping[str, str] = field(default_factory=dict)

    def trust_of(self, issuer: str | None) -> Trust | None:
        return self.known.get(issuer) if issuer is not None else None


def _check_issuer_id(issuer_id: str) -> str:
    issuer_id = issuer_id.strip()
    if issuer_id.startswith("did:web:"):
        try:
            did_web_to_url(issuer_id)
        except DidError as exc:
            raise ValidationFailed(f"The issuer id is not a valid did:web: {exc}") from exc
        if "#" in issuer_id:
            raise ValidationFailed("The issuer id is a DID, without a '#fragment'.")
        return issuer_id
    if issuer_id.startswith("did:key:"):
        try:
            PublicKey.from_did_key(issuer_id)
        except ValueError as exc:
            raise ValidationFailed(f"The issuer id is not a valid did:key: {exc}") from exc
        return issuer_id
    if issuer_id.startswith("https://"):
        parts = urlsplit(issuer_id)
        if not parts.hostname or parts.fragment or parts.username:
            raise ValidationFailed("An https issuer id needs a host and no fragment or user.")
        return issuer_id
    raise ValidationFailed(
        "The issuer id must be a did:web, a did:key or an https URL, "
        f"as credentials name their issuer; got {issuer_id!r}."
    )


def _check_details(name: str | None, url: str | None, note: str | None) -> None:
    if name is not None and not 0 < len(name.strip()) <= 200:
        raise ValidationFailed("Give the issuer's name (at most 200 characters).")
    if name is not None:
        checked_name(name)
    if url and (not url.startswith(("https://", "http://")) or len(url) > 500):
        raise ValidationFailed(
            "The issuer's web site must be an http(s) URL of at most 500 characters."
        )
    if note and len(note) > 1000:
        raise ValidationFailed("The note may be at most 1000 characters.")


def _issuer_host(issuer_id: str) -> str | None:
    if issuer_id.startswith("did:web:"):
        return urlsplit(did_web_to_url(issuer_id)).netloc
    if issuer_id.startswith("https://"):
        return urlsplit(issuer_id).netloc
    return None


def _load_key(value: Mapping[str, Any], where: str) -> None:
    try:
        PublicKey.from_verification_method(value)
    except ValueError as exc:
        raise ValidationFailed(f"{where}: the key cannot be used: {exc}") from exc


def classify_document(issuer_id: str, document: Mapping[str, Any]) -> DocumentKind:
    """Check that a document holds usable keys of `issuer_id`; say which kind it is.

    Raises:
        ValidationFailed: The document holds no usable key, or its keys belong to someone else.
    """
    if not isinstance(document, Mapping):
        raise ValidationFailed("A key document must be a JSON object.")
    if len(json.dumps(document)) > MAX_DOCUMENT_BYTES:
        raise ValidationFailed(f"A key document may be at most {MAX_DOCUMENT_BYTES // 1024} KiB.")
    if isinstance(document.get("keys"), list):
        keys = document["keys"]
        if not keys:
            raise ValidationFailed("The JWKS has no keys.")
        for index, jwk in enumerate(keys):
            if not isinstance(jwk, Mapping) or not isinstance(jwk.get("kid"), str):
                raise ValidationFailed(f"JWKS key {index} needs a 'kid' to be found by.")
            _load_key({"publicKeyJwk": jwk}, f"JWKS key {jwk['kid']}")
        return "jwks"
    if any(k in document for k in ("verificationMethod", "assertionMethod")):
        if document.get("id") != issuer_id:
            raise ValidationFailed(
                f"The controller document's id is {document.get('id')!r}, not the issuer "
                f"{issuer_id}."
            )
        methods = document.get("verificationMethod") or []
        usable = 0
        for method in methods if isinstance(methods, list) else [methods]:
            if isinstance(method, Mapping):
                _load_key(method, f"verification method {method.get('id')}")
                usable += 1
        if not usable:
            raise ValidationFailed("The controller document lists no verification method.")
        return "did-document"
    if "publicKeyMultibase" in document or "publicKeyJwk" in document:
        if document.get("controller") != issuer_id:
            raise ValidationFailed(
                f"The key document's controller is {document.get('controller')!r}, not the "
                f"issuer {issuer_id}."
            )
        _load_key(document, "the key document")
        return "key-document"
    raise ValidationFailed(
        "The document holds no keys: attach a DID document, a JWKS or a key document."
    )


def document_url(issuer_id: str, document: Mapping[str, Any], url: str | None = None) -> str:
    """The URL a document stands in for: given, or implied by the issuer and the document.

    Raises:
        ValidationFailed: The URL is missing, not https, or not on the issuer's own host.
    """
    host = _issuer_host(issuer_id)
    if host is None:
        raise ValidationFailed(f"{issuer_id} carries its key in its id: it needs no documents.")
    kind = classify_document(issuer_id, document)
    if url is None:
        if kind == "did-document" and issuer_id.startswith("did:web:"):
            url = did_web_to_url(issuer_id)
        elif isinstance(document.get("id"), str) and document["id"].startswith("https://"):
            url = document["id"]
        else:
            raise ValidationFailed("Give the URL this document is published at.")
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.fragment or parts.username:
        raise ValidationFailed(f"The document URL must be https without a fragment: {url}")
    if parts.netloc != host:
        raise ValidationFailed(
            f"The document URL {url} is not on the issuer's own host {host}: an entry may "
            "only stand in for its own issuer's documents."
        )
    if (
        issuer_id.startswith("did:web:")
        and kind == "did-document"
        and url != did_web_to_url(issuer_id)
    ):
        raise ValidationFailed(
            f"The DID document of {issuer_id} is published at {did_web_to_url(issuer_id)}."
        )
    return url


def needs_documents(issuer_id: str) -> bool:
    """Every registered issuer but a did:key (which is its own key) needs key documents."""
    return not issuer_id.startswith("did:key:")


def own_document_url(issuer_id: str) -> str:
    """Where an issuer publishes its own key document: a did:web's DID document URL, an
    https issuer's own URL."""
    issuer_id = _check_issuer_id(issuer_id)
    if issuer_id.startswith("did:web:"):
        return did_web_to_url(issuer_id)
    if issuer_id.startswith("https://"):
        return issuer_id
    raise ValidationFailed(f"{issuer_id} carries its key in its id: it needs no documents.")


def fetch_issuer_documents(
    issuer_id: str, fetch: Callable[[str], bytes]
) -> dict[str, Mapping[str, Any]]:
    """Fetch the issuer's own key document (through the bounded fetcher), to pin it.

    Raises:
        ValidationFailed: It cannot be fetched, is not JSON, or holds no keys of the issuer.
    """
    url = own_document_url(issuer_id)
    hint = "Give the issuer's DID document, JWKS or key document as a file instead."
    try:
        raw = fetch(url)
    except (FetchError, UrlNotAllowed) as exc:
        raise ValidationFailed(f"{exc.detail} {hint}") from exc
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise ValidationFailed(f"{url} did not answer with JSON. {hint}") from exc
    if not isinstance(document, dict):
        raise ValidationFailed(f"{url} did not answer with a JSON object. {hint}")
    return {document_url(issuer_id, document, url): document}


def _require_documents(issuer_id: str, documents: Mapping[str, Any]) -> None:
    if needs_documents(issuer_id) and not documents:
        raise ValidationFailed(
            f"{issuer_id} needs at least one key document: the registry trusts keys, not "
            "names. Give its DID document, JWKS or key document, or let it be fetched from "
            f"{own_document_url(issuer_id)}."
        )


def _own_issuer_ids(session: Session, settings: Settings) -> set[str]:
    return {issuer_did(settings, org) for org in session.exec(select(Organization)).all()}


def _checked_documents(
    issuer_id: str, documents: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    checked = {}
    for url, document in documents.items():
        checked[document_url(issuer_id, document, url or None)] = dict(document)
    if len(checked) > MAX_DOCUMENTS:
        raise ValidationFailed(f"An issuer may have at most {MAX_DOCUMENTS} documents.")
    return checked


def add_trusted_issuer(
    session: Session,
    *,
    settings: Settings,
    issuer_id: str,
    name: str,
    url: str | None = None,
    note: str | None = None,
    documents: Mapping[str, Mapping[str, Any]] | None = None,
    actor_user_id: int | None = None,
    now: datetime | None = None,
) -> TrustedIssuer:
    """Add an issuer to the registry; `documents` maps URL (or "" to infer it) to document.

    Raises:
        ValidationFailed: Bad issuer id, name or document.
        Conflict: The issuer is already known (in the registry, or one of ours).
    """
    issuer_id = _check_issuer_id(issuer_id)
    if len(issuer_id) > 500:
        raise ValidationFailed("The issuer id may be at most 500 characters.")
    _check_details(name, url, note)
    name = name.strip()
    if issuer_id.startswith(our_did_prefix(settings)) or issuer_id in _own_issuer_ids(
        session, settings
    ):
        raise Conflict(f"{issuer_id} is this service's own issuer: it is known already.")
    if repository.by_issuer_id(session, issuer_id) is not None:
        raise Conflict(f"{issuer_id} is in the trust registry already; update it instead.")
    moment = now or utcnow()
    checked = _checked_documents(issuer_id, documents or {})
    _require_documents(issuer_id, checked)
    entry = TrustedIssuer(
        issuer_id=issuer_id,
        name=name,
        url=url or None,
        note=note or None,
        documents=checked,
        created_at=moment,
        updated_at=moment,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session,
        action="trust.add",
        organization_id=None,
        actor_user_id=actor_user_id,
        object_type="trusted_issuer",
        object_id=entry.id,
        details={"issuer_id": issuer_id, "documents": sorted(entry.documents)},
        now=moment,
    )
    return entry


def update_trusted_issuer(
    session: Session,
    *,
    issuer_id: str,
    name: str | None = None,
    url: str | None = None,
    note: str | None = None,
    documents: Mapping[str, Mapping[str, Any]] | None = None,
    remove_documents: Sequence[str] = (),
    actor_user_id: int | None = None,
    now: datetime | None = None,
) -> TrustedIssuer:
    """Change an entry: name, url, note; add or replace documents; remove documents by URL.

    Raises:
        NotFound: No such entry, or no such document to remove.
        ValidationFailed: A bad name or document.
    """
    entry = get_trusted_issuer(session, issuer_id=issuer_id)
    _check_details(name, url, note)
    changed: list[str] = []
    if name is not None:
        entry.name = name.strip()
        changed.append("name")
    if url is not None:
        entry.url = url or None
        changed.append("url")
    if note is not None:
        entry.note = note or None
        changed.append("note")
    merged = dict(entry.documents)
    for doc_url in remove_documents:
        if doc_url not in merged:
            raise NotFound(f"{entry.issuer_id} has no document for {doc_url}.")
        del merged[doc_url]
    merged.update(_checked_documents(entry.issuer_id, documents or {}))
    if not merged and needs_documents(entry.issuer_id):
        raise ValidationFailed(
            f"{entry.issuer_id} would be left without key documents and so give no trust: "
            "add another document first, or remove the entry."
        )
    if len(merged) > MAX_DOCUMENTS:
        raise ValidationFailed(f"An issuer may have at most {MAX_DOCUMENTS} documents.")
    if merged != entry.documents:
        entry.documents = merged  # a new dict, so the JSON column is seen as changed
        changed.append("documents")
    entry.updated_at = now or utcnow()
    session.add(entry)
    session.flush()
    audit.record(
        session,
        action="trust.update",
        organization_id=None,
        actor_user_id=actor_user_id,
        object_type="trusted_issuer",
        object_id=entry.id,
        details={"issuer_id": entry.issuer_id, "changed": changed, "documents": sorted(merged)},
        now=entry.updated_at,
    )
    return entry


def remove_trusted_issuer(
    session: Session,
    *,
    issuer_id: str,
    actor_user_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """Remove an entry: the issuer is unknown again and its documents are fetched.

    Raises:
        NotFound: No such entry.
    """
    entry = get_trusted_issuer(session, issuer_id=issuer_id)
    audit.record(
        session,
        action="trust.remove",
        organization_id=None,
        actor_user_id=actor_user_id,
        object_type="trusted_issuer",
        object_id=entry.id,
        details={"issuer_id": entry.issuer_id, "name": entry.name},
        now=now,
    )
    session.delete(entry)
    session.flush()


def get_trusted_issuer(session: Session, *, issuer_id: str) -> TrustedIssuer:
    """One registry entry.

    Raises:
        NotFound: No such entry.
    """
    entry = repository.by_issuer_id(session, issuer_id.strip())
    if entry is None:
        raise NotFound(f"{issuer_id} is not in the trust registry.")
    return entry


def list_trusted_issuers(session: Session) -> Sequence[TrustedIssuer]:
    """Every registry entry, by issuer id."""
    return repository.all_issuers(session)


# Every request reads the registry and our organizations afresh (one Core query, the
# documents as their stored JSON text); only parsing them into an IssuerTrust is saved, for
# exactly the rows read. A change by any app instance is therefore seen by the next request.
_TRUST_ROWS: CompoundSelect[str, str, str | None] = union_all(
    core_select(
        literal("registry").label("kind"),
        col(TrustedIssuer.issuer_id).label("name"),
        cast(col(TrustedIssuer.documents), Text).label("documents"),
    ),
    core_select(
        literal("own").label("kind"),
        col(Organization.slug).label("name"),
        cast(null(), Text).label("documents"),
    ),
)
_TRUST_CACHE: DerivedCache[tuple[str, tuple[tuple[str, str, str | None], ...]], IssuerTrust] = (
    DerivedCache(max_entries=16)
)


def _derive_trust(own_prefix: str, rows: tuple[tuple[str, str, str | None], ...]) -> IssuerTrust:
    known: dict[str, Trust] = {}
    documents: dict[str, Mapping[str, Any]] = {}
    owners: dict[str, str] = {}
    for kind, name, text in rows:  # sorted: by kind, then issuer id
        if kind != "registry":
            continue
        entry_documents = json.loads(text) if text else {}
        if entry_documents or not needs_documents(name):
            known[name] = "registry"  # an entry without keys gives no trust
        for url, document in entry_documents.items():
            documents[url] = document
            if isinstance(document, Mapping) and isinstance(document.get("keys"), list):
                owners[url] = name
    for kind, slug, _ in rows:
        if kind == "own":
            known[own_prefix + slug] = "own"
    return IssuerTrust(known=known, documents=documents, jwks_owners=owners)


def trust_rows(session: Session) -> tuple[tuple[str, str, str | None], ...]:
    """What issuer trust is derived from, as read now: our organizations' slugs and the
    registry's issuers with their documents (stored JSON text), in a stable order."""
    return tuple(
        sorted(
            (str(kind), str(name), documents)
            for kind, name, documents in session.connection().execute(_TRUST_ROWS).all()
        )
    )


def issuer_trust(session: Session, settings: Settings) -> IssuerTrust:
    """Who is known (our organizations and the registry) and the registry's documents."""
    rows = trust_rows(session)
    own_prefix = our_did_prefix(settings)
    return _TRUST_CACHE.get((own_prefix, rows), lambda: _derive_trust(own_prefix, rows))
