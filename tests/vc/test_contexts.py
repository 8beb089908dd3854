"""The pinned-context document loader."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from pyld import jsonld

from app.vc.canonical import canonicalize
from app.vc.contexts import (
    CONTEXT_FILENAMES,
    OB_V3P0_3_0_3,
    PINNED_CONTEXTS,
    VC_V2,
    DocumentLoader,
)
from app.vc.errors import (
    ContextDigestMismatchError,
    ContextUnavailableError,
    UnknownContextError,
)

from .conftest import require

EXPECTED_URLS = {
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/2018/credentials/v1",
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
    "https://w3id.org/security/data-integrity/v1",
    "https://w3id.org/security/data-integrity/v2",
    "https://w3id.org/security/multikey/v1",
    "https://w3id.org/security/suites/ed25519-2020/v1",
    "https://www.w3.org/ns/did/v1",
    "https://www.w3.org/ns/cid/v1",
    "https://www.w3.org/ns/credentials/examples/v2",
}


def test_pinned_urls() -> None:
    assert set(PINNED_CONTEXTS) == EXPECTED_URLS
    assert set(CONTEXT_FILENAMES) == EXPECTED_URLS
    assert all(len(d) == 64 and d == d.lower() for d in PINNED_CONTEXTS.values())


def test_pins_match_the_shared_context_files(standards: Path) -> None:
    for url, digest in PINNED_CONTEXTS.items():
        path = standards / "contexts" / CONTEXT_FILENAMES[url]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, url


def test_pins_match_sources_md() -> None:
    text = require("SOURCES.md").read_text(encoding="utf-8")
    for url, digest in PINNED_CONTEXTS.items():
        assert f"`contexts/{CONTEXT_FILENAMES[url]}`" in text, url
        assert f"`{digest}`" in text, url


def test_serves_every_pinned_url_in_pyld_shape(loader: DocumentLoader) -> None:
    for url in PINNED_CONTEXTS:
        remote = loader(url, {})
        assert remote["contextUrl"] is None
        assert remote["documentUrl"] == url
        assert "@context" in remote["document"]


def test_serves_by_digest_whatever_the_file_name(standards: Path, tmp_path: Path) -> None:
    shutil.copy(standards / "contexts" / "w3c-credentials-v2.jsonld", tmp_path / "a.bin")
    loader = DocumentLoader(tmp_path)
    assert loader.available_offline(VC_V2)
    assert loader.load(VC_V2)["@context"]["@protected"] is True
    with pytest.raises(ContextUnavailableError, match=OB_V3P0_3_0_3):
        loader.load(OB_V3P0_3_0_3)


def test_a_file_with_the_right_name_but_wrong_bytes_is_not_served(
    standards: Path, tmp_path: Path
) -> None:
    original = (standards / "contexts" / "w3c-credentials-v2.jsonld").read_bytes()
    (tmp_path / "w3c-credentials-v2.jsonld").write_bytes(original.replace(b"issuer", b"issuor"))
    loader = DocumentLoader(tmp_path)
    with pytest.raises(ContextUnavailableError) as info:
        loader(VC_V2, {})
    assert info.value.url == VC_V2
    assert VC_V2 in str(info.value)


def test_unknown_url_is_an_error_naming_it(loader: DocumentLoader) -> None:
    url = "https://example.com/my-context.jsonld"
    with pytest.raises(UnknownContextError, match=re.escape("my-context.jsonld")) as info:
        loader(url, {})
    assert info.value.url == url
    # Near-misses of pinned URLs are unknown too: matching is exact.
    with pytest.raises(UnknownContextError):
        loader.load(VC_V2 + "/")
    with pytest.raises(UnknownContextError):
        loader.load(VC_V2.replace("https", "http"))


def test_fetch_checks_digest_and_writes_cache(standards: Path, tmp_path: Path) -> None:
    good = (standards / "contexts" / "ob-v3p0-context-3.0.3.json").read_bytes()
    calls: list[str] = []

    def fetch(url: str) -> bytes:
        calls.append(url)
        return good

    cache = tmp_path / "cache"
    loader = DocumentLoader(None, fetch=fetch, cache_dir=cache)
    document = loader.load(OB_V3P0_3_0_3)
    assert document == json.loads(good)
    loader.load(OB_V3P0_3_0_3)
    assert calls == [OB_V3P0_3_0_3], "parsed documents are cached in memory"
    assert (cache / "ob-v3p0-context-3.0.3.json").read_bytes() == good

    offline = DocumentLoader(None, cache_dir=cache)  # no fetcher: served from the cache dir
    assert offline.load(OB_V3P0_3_0_3) == document


def test_fetched_bytes_with_wrong_digest_are_refused(tmp_path: Path) -> None:
    loader = DocumentLoader(None, fetch=lambda url: b'{"@context": {}}', cache_dir=tmp_path)
    with pytest.raises(ContextDigestMismatchError, match=OB_V3P0_3_0_3) as info:
        loader.load(OB_V3P0_3_0_3)
    assert info.value.expected == PINNED_CONTEXTS[OB_V3P0_3_0_3]
    assert not list(tmp_path.iterdir()), "nothing is cached"


def test_fetch_failure_is_reported_with_url() -> None:
    def fetch(url: str) -> bytes:
        raise OSError("network unreachable")

    loader = DocumentLoader(None, fetch=fetch)
    with pytest.raises(ContextUnavailableError, match="network unreachable") as info:
        loader.load(VC_V2)
    assert info.value.url == VC_V2


def test_unknown_url_is_never_fetched() -> None:
    calls: list[str] = []
    loader = DocumentLoader(None, fetch=lambda url: calls.append(url) or b"{}")
    with pytest.raises(UnknownContextError):
        loader.load("https://evil.example/ctx")
    assert calls == []


def test_returned_documents_cannot_corrupt_the_cache(loader: DocumentLoader) -> None:
    first = loader.load(VC_V2)
    first["@context"]["name"] = "https://evil.example/name"
    assert loader.load(VC_V2)["@context"]["name"] != "https://evil.example/name"


def test_works_as_pyld_document_loader(loader: DocumentLoader) -> None:
    expanded = jsonld.expand(
        {"@context": [VC_V2], "type": "VerifiableCredential"},
        {"documentLoader": loader},
    )
    assert expanded[0]["@type"] == ["https://www.w3.org/2018/credentials#VerifiableCredential"]


def test_loaders_do_not_share_processed_contexts(standards: Path, tmp_path: Path) -> None:
    """PyLD's global context cache is keyed by URL; each loader must get its own."""
    other_ctx = b'{"@context": {"@version": 1.1, "name": "https://other.example/name"}}'
    (tmp_path / "other.jsonld").write_bytes(other_ctx)
    url = "https://ctx.example/v1"
    first = DocumentLoader(tmp_path, pins={url: hashlib.sha256(other_ctx).hexdigest()})
    document = {"@context": url, "@id": "urn:x:1", "name": "n"}
    assert "<https://other.example/name>" in canonicalize(document, document_loader=first)

    second_ctx = b'{"@context": {"@version": 1.1, "name": "https://second.example/name"}}'
    folder2 = tmp_path / "second"
    folder2.mkdir()
    (folder2 / "second.jsonld").write_bytes(second_ctx)
    second = DocumentLoader(folder2, pins={url: hashlib.sha256(second_ctx).hexdigest()})
    assert "<https://second.example/name>" in canonicalize(document, document_loader=second)
