"""Key and document resolution for the verifier: our own issuers from the database, did:key,
did:web and https key documents over bounded fetches, and offline documents from the trust
registry / document directory."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlmodel import Session

from app.config import Settings
from app.credentials.keyresolver import local_issuer_keys, local_key_resolver, our_did_prefix
from app.keys import PublicKey, resolve_did_key
from app.net.fetch import FetchError, UrlNotAllowed
from app.vc.did import did_web_to_url, find_verification_method
from app.vc.errors import DidError, KeyDocumentRefused, KeyResolutionError
from app.vc.verify import ResolvedKey


class DocumentFetcher(Protocol):
    """GETs a URL with an Accept header (app.net.fetch.SafeFetcher.get)."""

    def __call__(self, url: str, *, accept: str = "application/json") -> bytes: ...


# A status list credential may be secured as a VC-JWT (application/vc+jwt) or carry a Data
# Integrity proof (JSON).
STATUS_LIST_ACCEPT = (
    "application/vc+jwt, application/vc+ld+json;q=0.9, application/ld+json;q=0.8, "
    "application/json;q=0.7"
)
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def json_or_jwt(raw: bytes | str, source: str) -> dict[str, Any] | str:
    """A document that is a JSON object or a compact JWS (a VC-JWT), as such.

    Raises:
        ValueError: It is neither.
    """
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = text.strip()
    if _COMPACT_JWS.fullmatch(text):
        return text
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{source} is neither JSON nor a JWT") from exc
    if not isinstance(document, dict):
        raise ValueError(f"{source} is not a JSON object")
    return document


class TTLCache:
    """A small thread-safe cache of fetched public documents, each kept for `ttl` seconds.

    It only saves fetches: every process may hold its own copy, and nothing depends on it
    for correctness (our own status lists are read from the database, never from here).
    """

    def __init__(self, ttl: float = 120.0, max_entries: int = 1000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._items: dict[str, tuple[float, Mapping[str, Any] | str]] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> Mapping[str, Any] | str | None:
        with self._lock:
            item = self._items.get(url)
            if item is None:
                return None
            if item[0] < time.monotonic():
                del self._items[url]
                return None
            return item[1]

    def put(self, url: str, document: Mapping[str, Any] | str) -> None:
        with self._lock:
            if len(self._items) >= self.max_entries:
                self._items.pop(next(iter(self._items)))
            self._items[url] = (time.monotonic() + self.ttl, document)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


FETCHED_DOCUMENTS = TTLCache()


class DocumentSource:
    """Offline documents first (configured by URL), then the TTL cache, then a bounded fetch."""

    def __init__(
        self,
        fetch: DocumentFetcher | None,
        offline: Mapping[str, Mapping[str, Any] | str] | None = None,
        cache: TTLCache | None = FETCHED_DOCUMENTS,
    ) -> None:
        self._fetch = fetch
        self._offline = dict(offline or {})
        self._cache = cache

    def get_json(self, url: str) -> Mapping[str, Any]:
        """A JSON document (a DID document, a key set, a revocation list)."""
        document = self._get(url, "application/json", _json_object)
        if isinstance(document, str):
            raise KeyResolutionError(f"the document at {url} is a JWT, not JSON")
        return document

    def get_status_list(self, url: str) -> Mapping[str, Any] | str:
        """A status list credential: JSON, or a VC-JWT as its compact text."""
        return self._get(url, STATUS_LIST_ACCEPT, json_or_jwt)

    def _get(
        self, url: str, accept: str, parse: Callable[[bytes, str], Mapping[str, Any] | str]
    ) -> Mapping[str, Any] | str:
        """Offline, then cached, then fetched with `accept` and parsed (and cached)."""
        if url in self._offline:
            return self._offline[url]
        cached = self._cache.get(url) if self._cache is not None else None
        if cached is not None:
            return cached
        if self._fetch is None:
            raise KeyResolutionError(f"{url} is not available offline and fetching is off")
        try:
            raw = self._fetch(url, accept=accept)
        except UrlNotAllowed as exc:
            raise KeyDocumentRefused(exc.detail) from exc
        except FetchError as exc:
            raise KeyResolutionError(exc.detail) from exc
        try:
            document = parse(raw, url)
        except ValueError as exc:
            raise KeyResolutionError(str(exc)) from exc
        if self._cache is not None:
            self._cache.put(url, document)
        return document


def _json_object(raw: bytes, url: str) -> dict[str, Any]:
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"{url} did not return JSON") from exc
    if not isinstance(document, dict):
        raise ValueError(f"{url} did not return a JSON object")
    return document


def _from_method(method: Mapping[str, Any]) -> PublicKey:
    try:
        return PublicKey.from_verification_method(method)
    except ValueError as exc:
        raise KeyResolutionError(f"unusable verification method: {exc}") from exc


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def controller_origin(controller: str) -> tuple[str, str, int] | None:
    """Where a controller's own documents are served: an https id's origin, a did:web's host."""
    if controller.startswith("did:web:"):
        try:
            return _origin(did_web_to_url(controller))
        except DidError:
            return None
    return _origin(controller)


def served_by(url: str, controller: str) -> bool:
    """True when a document at `url` is the controller's own: served from its origin."""
    origin = controller_origin(controller)
    return origin is not None and origin == _origin(url)


def _listed_method(document: Mapping[str, Any], method_id: str) -> dict[str, Any]:
    """A verification method of an https controller document, allowed to assert: listed under
    ``assertionMethod``, or under ``verificationMethod`` when the document (e.g. an OB 3.0
    issuer profile) names no relationships at all."""
    relationship = "assertionMethod" if "assertionMethod" in document else None
    try:
        return find_verification_method(document, method_id, relationship=relationship)
    except KeyError as exc:
        raise KeyResolutionError(str(exc.args[0])) from exc


def _fragment_key(fragment: str) -> PublicKey | None:
    """The key of the 1EdTech ``issuer#<multikey>`` form, from the id itself."""
    if not fragment.startswith("z"):
        return None
    try:
        return PublicKey.from_multikey(fragment)
    except ValueError:
        return None


def _from_jwks(
    document: Mapping[str, Any], url: str, fragment: str, owner: str | None
) -> ResolvedKey:
    """A key of a JWKS, by its kid. A JWKS names no controller: the key belongs to the
    issuer only when the trust registry attached this JWKS to that issuer."""
    for jwk in document["keys"]:
        if isinstance(jwk, Mapping) and jwk.get("kid") in (fragment, f"{url}#{fragment}"):
            try:
                return ResolvedKey(PublicKey.from_jwk(jwk), owner, bound=owner is not None)
            except ValueError as exc:
                raise KeyResolutionError(f"unusable key {fragment} in {url}: {exc}") from exc
    raise KeyResolutionError(f"the JWKS at {url} has no key {fragment!r}")


def key_resolver(
    session: Session,
    settings: Settings,
    source: DocumentSource,
    jwks_owners: Mapping[str, str] | None = None,
) -> Callable[[str], ResolvedKey]:
    """Resolve a verification method id to its key, its controller and whether the key is
    bound to that controller by something other than the credential (see ResolvedKey)."""
    owners = dict(jwks_owners or {})
    ours = local_key_resolver(session, settings)
    prefix = our_did_prefix(settings)

    def resolve(method_id: str) -> ResolvedKey:
        did, _, fragment = method_id.partition("#")
        if did.startswith(prefix):
            # Our own organizations: only their keys in our database, never a fetched one.
            return ResolvedKey(ours(method_id), did)
        if did.startswith("did:key:"):
            try:
                return ResolvedKey(resolve_did_key(method_id), did)
            except (DidError, ValueError) as exc:
                raise KeyResolutionError(f"invalid did:key: {exc}") from exc
        if did.startswith("did:web:"):
            try:
                url = did_web_to_url(did)
            except DidError as exc:
                raise KeyResolutionError(str(exc)) from exc
            document = source.get_json(url)
            if document.get("id") != did:
                raise KeyResolutionError(f"the DID document at {url} is not for {did}")
            try:
                method = find_verification_method(document, method_id)
            except KeyError as exc:
                raise KeyResolutionError(str(exc.args[0])) from exc
            return ResolvedKey(_from_method(method), did)
        if did.startswith("did:"):
            raise KeyResolutionError(f"the DID method of {did} is not supported")
        if did.startswith(("https://", "http://")):
            try:
                document = source.get_json(did)
            except KeyResolutionError:
                key = _fragment_key(fragment)
                if key is None:
                    raise
                # The signature can still be checked (is the document intact?), but nothing
                # but the credential says the key is the issuer's: unbound.
                return ResolvedKey(key, did, bound=False)
            if fragment and isinstance(document.get("keys"), list):
                return _from_jwks(document, did, fragment, owners.get(did))
            if fragment:
                method = _listed_method(document, method_id)
                controller = method.get("controller") or document.get("id")
            else:
                method = dict(document)
                controller = document.get("controller")
            if not isinstance(controller, str):
                return ResolvedKey(_from_method(method), None, bound=False)
            # A document binds a key to its controller only when it is the controller's own:
            # served from the controller's host (or registered for it, which checks the same).
            return ResolvedKey(_from_method(method), controller, bound=served_by(did, controller))
        raise KeyResolutionError(f"cannot resolve the verification method {method_id!r}")

    return resolve


def _assertion_keys(
    document: Mapping[str, Any], controller: str, *, require_listed: bool
) -> list[tuple[str, PublicKey]]:
    keys: list[tuple[str, PublicKey]] = []
    methods = document.get("verificationMethod")
    listed = document.get("assertionMethod")
    for entry in [
        *(methods if isinstance(methods, list) else [methods]),
        *(listed if isinstance(listed, list) else [listed]),
    ]:
        method_id = entry.get("id") if isinstance(entry, Mapping) else entry
        if not isinstance(method_id, str):
            continue
        if method_id.startswith("#"):
            method_id = controller + method_id
        try:
            method = (
                find_verification_method(document, method_id)
                if require_listed or "assertionMethod" in document
                else find_verification_method(document, method_id, relationship=None)
            )
            key = PublicKey.from_verification_method(method)
        except (KeyError, ValueError):
            continue
        if (method.get("controller") or controller) == controller and (method_id, key) not in keys:
            keys.append((method_id, key))
    return keys


def issuer_keys(
    session: Session,
    settings: Settings,
    source: DocumentSource,
    jwks_owners: Mapping[str, str] | None = None,
) -> Callable[[str], list[tuple[str, PublicKey]]]:
    """The keys bound to an issuer, for keys a credential carries itself (a JWT ``jwk``
    header), which may only select one of them: our organizations' keys in the database
    (withdrawn ones never); the did:key itself; the keys a did:web document lists under
    ``assertionMethod``; an https issuer's own document and the JWKS registered for it."""
    owners = dict(jwks_owners or {})
    ours = local_issuer_keys(session, settings)
    prefix = our_did_prefix(settings)

    def keys(issuer: str) -> list[tuple[str, PublicKey]]:
        try:
            if issuer.startswith(prefix):
                return ours(issuer)
            if issuer.startswith("did:key:"):
                return [(f"{issuer}#{issuer.removeprefix('did:key:')}", resolve_did_key(issuer))]
            if issuer.startswith("did:web:"):
                document = source.get_json(did_web_to_url(issuer))
                if document.get("id") != issuer:
                    return []
                return _assertion_keys(document, issuer, require_listed=True)
            if not issuer.startswith(("https://", "http://")):
                return []
            found: list[tuple[str, PublicKey]] = []
            for url, owner in owners.items():
                if owner != issuer:
                    continue
                for jwk in source.get_json(url).get("keys") or []:
                    if isinstance(jwk, Mapping) and isinstance(jwk.get("kid"), str):
                        try:
                            found.append((f"{url}#{jwk['kid']}", PublicKey.from_jwk(jwk)))
                        except ValueError:
                            continue
            try:
                document = source.get_json(issuer)
            except KeyResolutionError:
                return found
            if document.get("id", issuer) == issuer:
                found += _assertion_keys(document, issuer, require_listed=False)
            return found
        except (KeyResolutionError, DidError, ValueError):
            return []

    return keys
