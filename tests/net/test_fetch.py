"""Bounded fetches: https only, private addresses refused (also after redirects), size and
time limits; no request ever reaches a forbidden address."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from app.net.fetch import FetchError, FetchPolicy, SafeFetcher, UrlNotAllowed

PUBLIC = {
    "issuer.example": "93.184.216.34",
    "evil.example": "10.1.2.3",
    "meta.example": "169.254.169.254",
}


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host in PUBLIC:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC[host], port))]
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
        except OSError as exc:
            raise socket.gaierror("no such host") from exc
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (host, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def fetcher(handler: Any, **policy: Any) -> tuple[SafeFetcher, list[str]]:
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return handler(request)  # type: ignore[no-any-return]

    return SafeFetcher(FetchPolicy(**policy), transport=httpx.MockTransport(record)), seen


def test_plain_fetch() -> None:
    f, seen = fetcher(lambda r: httpx.Response(200, json={"ok": True}))
    assert f.get("https://issuer.example/did.json") == b'{"ok":true}'
    assert seen == ["https://issuer.example/did.json"]


@pytest.mark.parametrize(
    "url",
    [
        "http://issuer.example/x",
        "ftp://issuer.example/x",
        "https://evil.example/x",
        "https://meta.example/latest",
        "https://127.0.0.1/x",
        "https://[::1]/x",
        "https://169.254.169.254/",
        "https://user:pw@issuer.example/",
    ],
)
def test_forbidden_urls_are_never_requested(url: str) -> None:
    f, seen = fetcher(lambda r: httpx.Response(200))
    with pytest.raises(UrlNotAllowed):
        f.get(url)
    assert seen == []


def test_redirect_to_a_private_address_is_refused() -> None:
    f, seen = fetcher(
        lambda r: httpx.Response(
            302, headers={"location": "https://169.254.169.254/latest/meta-data"}
        )
    )
    with pytest.raises(UrlNotAllowed):
        f.get("https://issuer.example/did.json")
    assert seen == ["https://issuer.example/did.json"]


def test_too_many_redirects_and_errors() -> None:
    f, _ = fetcher(lambda r: httpx.Response(302, headers={"location": "/again"}))
    with pytest.raises(FetchError, match="too many"):
        f.get("https://issuer.example/a")
    f, _ = fetcher(lambda r: httpx.Response(404))
    with pytest.raises(FetchError, match="404"):
        f.get("https://issuer.example/a")


def test_size_limit() -> None:
    f, _ = fetcher(lambda r: httpx.Response(200, content=b"x" * 5000), max_bytes=1000)
    with pytest.raises(FetchError, match="larger"):
        f.get("https://issuer.example/big")


def test_timeout_becomes_fetch_error() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    f, _ = fetcher(slow)
    with pytest.raises(FetchError, match="in time"):
        f.get("https://issuer.example/slow")


def test_loopback_only_when_configured() -> None:
    f, _ = fetcher(lambda r: httpx.Response(200, content=b"{}"), allow_loopback=True)
    assert f.get("https://127.0.0.1/x") == b"{}"
    f, _ = fetcher(lambda r: httpx.Response(200), allow_loopback=True)
    with pytest.raises(UrlNotAllowed):
        f.get("https://10.0.0.1/x")
