"""Key and document resolution for the verifier: our own issuers from the database, did:key,
did:web and https key documents over bounded fetches, and offline documents from the trust
registry / document directory."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlmodel import Session

from app.config import Settings
from app.credentials.keyresolver import local_key_resolver, our_did_prefix
from app.keys import PublicKey, resolve_did_key
from app.net.fetch import FetchError, UrlNotAllowed
from app.vc.did import did_web_to_url, find_verification_method
from app.vc.errors import DidError, KeyDocumentRefused, KeyResolutionError
from app.vc.verify import ResolvedKey

DocumentFetcher = Callable[[str], bytes]


class TTLCache:
    """A small thread-safe cache of fetched public documents, each kept for `ttl` seconds.

    It only saves fetches: every process may hold its own copy, and nothing depends on it
    for correctness (our own status lists are read from the database, never from here).
    """

    def __init__(self, ttl: float = 120.0, max_entries: int = 1000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._items: dict[str, tuple[float, Mapping[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> Mapping[str, Any] | None:
        with self._lock:
            item = self._items.get(url)
            if item is None:
                return None
            if item[0] < time.monotonic():
                del self._items[url]
                return None
            return item[1]

    def put(self, url: str, document: Mapping[str, Any]) -> None:
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
        offline: Mapping[str, Mapping[str, Any]] | None = None,
        cache: TTLCache | None = FETCHED_DOCUMENTS,
    ) -> None:
        self._fetch = fetch
        self._offline = dict(offline or {})
        self._cache = cache

    def get_json(self, url: str) -> Mapping[str, Any]:
        if url in self._offline:
            return self._offline[url]
        cached = self._cache.get(url) if self._cache is not None else None
        if cached is not None:
            return cached
        if self._fetch is None:
            raise KeyResolutionError(f"{url} is not available offline and fetching is off")
        try:
            raw = self._fetch(url)
        except UrlNotAllowed as exc:
            raise KeyDocumentRefused(exc.detail) from exc
        except FetchError as exc:
            raise KeyResolutionError(exc.detail) from exc
        try:
            document = json.loads(raw)
        except ValueError as exc:
            raise KeyResolutionError(f"{url} did not return JSON") from exc
        if not isinstance(document, dict):
            raise KeyResolutionError(f"{url} did not return a JSON object")
        if self._cache is not None:
            self._cache.put(url, document)
        return document


def _from_method(method: Mapping[str, Any]) -> PublicKey:
    try:
        return PublicKey.from_verification_method(method)
    except ValueError as exc:
        raise KeyResolutionError(f"unusable verification method: {exc}") from exc


def _from_jwks(
    document: Mapping[str, Any], url: str, fragment: str, owner: str | None
) -> ResolvedKey:
    """A key of a JWKS, by its kid. A JWKS names no controller: the key belongs to the
    issuer only when the trust registry attached this JWKS to that issuer."""
    for jwk in document["keys"]:
        if isinstance(jwk, Mapping) and jwk.get("kid") in (fragment, f"{url}#{fragment}"):
            try:
                return ResolvedKey(PublicKey.from_jwk(jwk), owner)
            except ValueError as exc:
                raise KeyResolutionError(f"unusable key {fragment} in {url}: {exc}") from exc
    raise KeyResolutionError(f"the JWKS at {url} has no key {fragment!r}")


def key_resolver(
    session: Session,
    settings: Settings,
    source: DocumentSource,
    jwks_owners: Mapping[str, str] | None = None,
) -> Callable[[str], ResolvedKey]:
    """Resolve a verification method id to its key and controller."""
    owners = dict(jwks_owners or {})
    ours = local_key_resolver(session, settings)
    prefix = our_did_prefix(settings)

    def resolve(method_id: str) -> ResolvedKey:
        did, _, fragment = method_id.partition("#")
        if did.startswith(prefix):
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
                if fragment.startswith("z6Mk"):
                    # The 1EdTech `issuer#<multikey>` form: the key is in the id itself.
                    try:
                        key = PublicKey.from_multikey(fragment)
                    except ValueError as exc:
                        raise KeyResolutionError(f"invalid key in {method_id}") from exc
                    return ResolvedKey(key, did, confirmed=False)
                raise
            if fragment and isinstance(document.get("keys"), list):
                return _from_jwks(document, did, fragment, owners.get(did))
            if fragment:
                try:
                    method = find_verification_method(document, method_id, relationship=None)
                except KeyError as exc:
                    raise KeyResolutionError(str(exc.args[0])) from exc
                controller = method.get("controller") or document.get("id")
            else:
                method = dict(document)
                controller = document.get("controller")
            return ResolvedKey(
                _from_method(method), controller if isinstance(controller, str) else None
            )
        raise KeyResolutionError(f"cannot resolve the verification method {method_id!r}")

    return resolve
