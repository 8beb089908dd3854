"""Document source: offline documents win, fetched ones are cached with a TTL, failures are
key-resolution errors with the fetcher's message."""

from __future__ import annotations

import json
import time

import pytest

from app.net.fetch import FetchError
from app.vc.errors import KeyResolutionError
from app.verification.resolvers import DocumentSource, TTLCache


class CountingFetcher:
    def __init__(self, body: bytes | None) -> None:
        self.body = body
        self.calls = 0
        self.accepted: list[str] = []

    def __call__(self, url: str, *, accept: str = "application/json") -> bytes:
        self.calls += 1
        self.accepted.append(accept)
        if self.body is None:
            raise FetchError(f"{url} did not answer in time.")
        return self.body


def test_offline_documents_are_used_without_fetching() -> None:
    fetch = CountingFetcher(None)
    source = DocumentSource(fetch, {"https://a.example/did.json": {"id": "x"}}, cache=TTLCache())
    assert source.get_json("https://a.example/did.json") == {"id": "x"}
    assert fetch.calls == 0


def test_fetched_documents_are_cached_until_the_ttl() -> None:
    fetch = CountingFetcher(json.dumps({"id": "y"}).encode())
    cache = TTLCache(ttl=0.2)
    source = DocumentSource(fetch, cache=cache)
    assert source.get_json("https://b.example/k") == {"id": "y"}
    assert source.get_json("https://b.example/k") == {"id": "y"}
    assert fetch.calls == 1
    time.sleep(0.25)
    source.get_json("https://b.example/k")
    assert fetch.calls == 2


@pytest.mark.parametrize("body", [None, b"not json", b"[1, 2]"])
def test_failures_become_key_resolution_errors(body: bytes | None) -> None:
    source = DocumentSource(CountingFetcher(body), cache=TTLCache())
    with pytest.raises(KeyResolutionError):
        source.get_json("https://c.example/k")


def test_a_status_list_is_asked_for_as_a_jwt_first_and_may_be_one() -> None:
    token = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"
    fetch = CountingFetcher(f"{token}\n".encode())
    source = DocumentSource(fetch, cache=TTLCache())
    assert source.get_status_list("https://b.example/status/1") == token
    assert fetch.accepted[0].startswith("application/vc+jwt")
    # The same address asked for as JSON (a key document) is not taken for one.
    with pytest.raises(KeyResolutionError, match="JWT, not JSON"):
        source.get_json("https://b.example/status/1")
    json_fetch = CountingFetcher(b'{"id": "y"}')
    DocumentSource(json_fetch, cache=TTLCache()).get_json("https://b.example/k")
    assert json_fetch.accepted == ["application/json"]
