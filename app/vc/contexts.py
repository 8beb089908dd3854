"""Pinned JSON-LD contexts and an offline-first document loader.

Every context a credential may reference is identified by its URL *and* the SHA-256 of
its bytes (:data:`PINNED_CONTEXTS`). :class:`DocumentLoader` serves a pinned URL from any
local file with that digest, otherwise through an injected ``fetch`` callable (whose
result must match the digest and is then written to an optional cache directory). An
unpinned URL is always an error that names it: a credential can never make the signer or
verifier load an arbitrary document.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from app.vc.errors import (
    ContextDigestMismatchError,
    ContextError,
    ContextUnavailableError,
    UnknownContextError,
)
from app.vc.types import RemoteDocument

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
OB_V3P0_3_0_3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V3P0_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
CLR_V2P0_2_0_1 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DID_V1 = "https://www.w3.org/ns/did/v1"
ED25519_2020_V1 = "https://w3id.org/security/suites/ed25519-2020/v1"

# URL -> (file name used in the shared standards folder and the cache, SHA-256 of the bytes).
# Digests from standards/SOURCES.md; VC v2, data-integrity v2 and multikey v1 equal the
# digests published in the W3C RECs.
_PINS: dict[str, tuple[str, str]] = {
    VC_V2: (
        "w3c-credentials-v2.jsonld",
        "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734",
    ),
    "https://www.w3.org/ns/credentials/examples/v2": (
        "w3c-credentials-examples-v2.jsonld",
        "57393fbc69d6efb9b9b5dc9cb6b9880b0944360abfe2eaf459c9e58cf2279d7c",
    ),
    VC_V1: (
        "w3c-credentials-v1.jsonld",
        "ab4ddd9a531758807a79a5b450510d61ae8d147eab966cc9a200c07095b0cdcc",
    ),
    DATA_INTEGRITY_V2: (
        "w3id-security-data-integrity-v2.jsonld",
        "67f21e6e33a6c14e5ccfd2fc7865f7474fb71a04af7e94136cb399dfac8ae8f4",
    ),
    "https://w3id.org/security/data-integrity/v1": (
        "w3id-security-data-integrity-v1.jsonld",
        "b5d829bd09aa7c42abc6efa0c8ed7635313b5487f37ccfce3ecd149ca9418554",
    ),
    MULTIKEY_V1: (
        "w3id-security-multikey-v1.jsonld",
        "ba2c182de2d92f7e47184bcca8fcf0beaee6d3986c527bf664c195bbc7c58597",
    ),
    DID_V1: (
        "w3c-did-v1.jsonld",
        "4f3eae5568c9c5f036a082088f9e192019ee06faa78973c87ff91d5421b88dad",
    ),
    "https://www.w3.org/ns/cid/v1": (
        "w3c-cid-v1.jsonld",
        "ea216ecc1cb02cd39b693dba2250141e270ba0bf95890be107dd9a9e8e43de85",
    ),
    OB_V3P0_3_0_3: (
        "ob-v3p0-context-3.0.3.json",
        "ef2fa9c7846dce233cc166b43639027278be4ee44f00bb1d45c75de2dd0cd761",
    ),
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": (
        "ob-v3p0-context-3.0.2.json",
        "00666ad080ba407687ed1846b7f5e7495f5019042b202a727de47c48a1755c53",
    ),
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": (
        "ob-v3p0-context-3.0.1.json",
        "d582f3564282fb3b709136d28412e78e70b678b4dbc2f0221f67d84932748355",
    ),
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json": (
        "ob-v3p0-context-3.0.0.json",
        "b077fa134d909d92c1dcd1c153f2af1b244aeb415967fdc1467d7fc5dd48ac10",
    ),
    OB_V3P0_EXTENSIONS: (
        "ob-v3p0-extensions.json",
        "146f85aa16effd7ca1da8056eb443f53ce1eca8a34186cb062832c0a97d889c3",
    ),
    CLR_V2P0_2_0_1: (
        "clr-v2p0-context-2.0.1.json",
        "30e8c666adf9fd720c118ce0bafe65dbd2a88f6d2acf362f34bfb0f4753804d1",
    ),
    # The Ed25519Signature2020 suite's context (W3C CCG): the Learner Credential Wallet's
    # presentations and many credentials of the Digital Credentials Consortium use it.
    ED25519_2020_V1: (
        "w3id-security-suites-ed25519-2020-v1.jsonld",
        "b9e1ab971fd8bf2c7553e0c4a9438e0b9450afde1ea1ca5b2492368b9f549588",
    ),
}

PINNED_CONTEXTS: Mapping[str, str] = {url: digest for url, (_, digest) in _PINS.items()}
"""Context URL -> expected SHA-256 (lower-case hex) of the document bytes."""

CONTEXT_FILENAMES: Mapping[str, str] = {url: name for url, (name, _) in _PINS.items()}
"""Context URL -> conventional file name (as in the shared standards folder)."""

_MAX_CONTEXT_BYTES = 2 * 1024 * 1024


def sha256_hex(data: bytes) -> str:
    """Hash bytes as a context pin.

    Args:
        data: The document bytes.

    Returns:
        The lower-case hex SHA-256.
    """
    return hashlib.sha256(data).hexdigest()


class DocumentLoader:
    """Offline-first, digest-pinned JSON-LD document loader (usable as a PyLD loader).

    Args:
        contexts_dir: Folder whose files are indexed once by SHA-256; a pinned URL is
            served from any file with the pinned digest, whatever its name.
        fetch: Optional ``fetch(url) -> bytes`` used when no local file matches. The
            bytes must match the pin.
        cache_dir: Optional folder where fetched contexts are written (and indexed at
            start-up like ``contexts_dir``).
        pins: URL -> SHA-256 table; defaults to :data:`PINNED_CONTEXTS`.

    Example:
        >>> loader = DocumentLoader(Path("standards/contexts"))  # doctest: +SKIP
        >>> loader("https://www.w3.org/ns/credentials/v2", {})["documentUrl"]  # doctest: +SKIP
        'https://www.w3.org/ns/credentials/v2'
    """

    def __init__(
        self,
        contexts_dir: Path | None = None,
        *,
        fetch: Callable[[str], bytes] | None = None,
        cache_dir: Path | None = None,
        pins: Mapping[str, str] | None = None,
    ) -> None:
        self._pins = dict(PINNED_CONTEXTS if pins is None else pins)
        self._fetch = fetch
        self._cache_dir = cache_dir
        self._by_digest: dict[str, Path] = {}
        self._parsed: dict[str, Any] = {}
        for folder in (contexts_dir, cache_dir):
            if folder is not None and folder.is_dir():
                self._index(folder)

    def _index(self, folder: Path) -> None:
        wanted = set(self._pins.values())
        for path in sorted(folder.iterdir()):
            if not path.is_file() or path.stat().st_size > _MAX_CONTEXT_BYTES:
                continue
            digest = sha256_hex(path.read_bytes())
            if digest in wanted:
                self._by_digest.setdefault(digest, path)

    @property
    def pinned_urls(self) -> frozenset[str]:
        """The URLs this loader will serve."""
        return frozenset(self._pins)

    def available_offline(self, url: str) -> bool:
        """Return whether a pinned URL can be served without fetching.

        Args:
            url: The context URL.

        Returns:
            ``True`` if it is cached in memory or a local file has its digest.
        """
        digest = self._pins.get(url)
        return url in self._parsed or (digest is not None and digest in self._by_digest)

    def load(self, url: str) -> Any:
        """Return the parsed context document for a pinned URL (a fresh copy).

        Args:
            url: The context URL, matched exactly.

        Returns:
            The parsed JSON document.

        Raises:
            UnknownContextError: If the URL is not pinned.
            ContextUnavailableError: If no local copy exists and fetching is impossible
                or fails.
            ContextDigestMismatchError: If fetched bytes do not match the pin.
        """
        if url not in self._parsed:
            self._parsed[url] = self._load_uncached(url)
        # Callers (PyLD included) must not be able to corrupt the cache.
        return copy.deepcopy(self._parsed[url])

    def _load_uncached(self, url: str) -> Any:
        expected = self._pins.get(url)
        if expected is None:
            raise UnknownContextError(url)
        path = self._by_digest.get(expected)
        if path is not None:
            data = path.read_bytes()
            if sha256_hex(data) == expected:  # the file may have changed since indexing
                return self._parse(url, data)
        if self._fetch is None:
            raise ContextUnavailableError(url, "no local file has the pinned digest")
        try:
            data = self._fetch(url)
        except ContextError:
            raise
        except Exception as exc:  # the fetcher is injected; report any failure clearly
            raise ContextUnavailableError(url, f"fetch failed: {exc}") from exc
        actual = sha256_hex(data)
        if actual != expected:
            raise ContextDigestMismatchError(url, expected, actual)
        parsed = self._parse(url, data)
        if self._cache_dir is not None:
            self._by_digest[expected] = self._write_cache(url, data)
        return parsed

    @staticmethod
    def _parse(url: str, data: bytes) -> Any:
        try:
            return json.loads(data)
        except ValueError as exc:
            raise ContextUnavailableError(url, f"not valid JSON: {exc}") from exc

    def _write_cache(self, url: str, data: bytes) -> Path:
        assert self._cache_dir is not None
        self._cache_dir.mkdir(parents=True, exist_ok=True)
        name = CONTEXT_FILENAMES.get(url) or f"{sha256_hex(url.encode())[:16]}.jsonld"
        target = self._cache_dir / name
        fd, tmp = tempfile.mkstemp(dir=self._cache_dir, prefix=".ctx-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> RemoteDocument:
        """Serve ``url`` in the form PyLD expects.

        Args:
            url: The context URL.
            options: PyLD loader options (ignored).

        Returns:
            ``{"contextUrl": None, "documentUrl": url, "document": parsed}``.

        Raises:
            ContextError: See :meth:`load`.
        """
        return {"contextUrl": None, "documentUrl": url, "document": self.load(url)}
