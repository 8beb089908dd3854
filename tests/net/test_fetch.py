"""Bounded fetches: https only, private addresses refused (also after redirects), size and
time limits; no request ever reaches a forbidden address."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from app.net.fetch import FetchError, FetchPolicy, SafeFetcher, UrlNotAllowed, _address_allowed

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
    """A fetcher over a mock transport; `seen` lists each request as the host it was meant
    for (Host header) and its path, as a server would see it."""
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(f"https://{request.headers['host']}{request.url.raw_path.decode()}")
        return handler(request)  # type: ignore[no-any-return]

    return SafeFetcher(FetchPolicy(**policy), transport=httpx.MockTransport(record)), seen


def test_plain_fetch() -> None:
    f, seen = fetcher(lambda r: httpx.Response(200, json={"ok": True}))
    assert f.get("https://issuer.example/did.json") == b'{"ok":true}'
    assert seen == ["https://issuer.example/did.json"]


def test_the_request_goes_to_the_checked_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: a second look-up answering a private address is never used; the
    connection goes to the address that was checked, the name kept for TLS and Host."""
    answers = iter(["93.184.216.34", "10.0.0.7", "10.0.0.7"])

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    requests: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, content=b"{}")

    f = SafeFetcher(FetchPolicy(), transport=httpx.MockTransport(record))
    assert f.get("https://rebind.example:8443/did.json") == b"{}"
    (request,) = requests
    assert request.url.host == "93.184.216.34" and request.url.port == 8443
    assert request.headers["host"] == "rebind.example:8443"
    assert request.extensions["sni_hostname"] == "rebind.example"


@pytest.mark.parametrize(
    "address",
    [
        "100.64.0.1",  # shared address space (carrier-grade NAT)
        "100.127.255.254",
        "192.168.1.1",
        "172.16.0.1",
        "198.18.0.1",  # benchmarking
        "224.0.0.1",  # multicast
        "240.0.0.1",
        "0.0.0.0",  # noqa: S104
        "fc00::1",
        "fe80::1",
        "::ffff:10.0.0.1",  # IPv4-mapped
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b:1::a9fe:a9fe",  # local-use NAT64 of 169.254.169.254
        "::10.0.0.1",  # IPv4-compatible
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo
        "ff02::1",
    ],
)
def test_non_global_addresses_are_refused(address: str) -> None:
    assert not _address_allowed(address, FetchPolicy())


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "2606:2800:220:1::1", "::ffff:93.184.216.34", "2002:5db8:d822::1"]
)
def test_global_addresses_are_allowed(address: str) -> None:
    assert _address_allowed(address, FetchPolicy())


def test_network_failures_read_the_same() -> None:
    """Refused, unreachable, TLS failure, time-out, unknown host: one message."""
    messages = set()
    for error in (
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ConnectError("[Errno 113] No route to host"),
        httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
        httpx.ReadTimeout("timed out"),
    ):

        def fail(request: httpx.Request, error: Exception = error) -> httpx.Response:
            raise error

        f, _ = fetcher(fail)
        with pytest.raises(FetchError) as caught:
            f.get("https://issuer.example/did.json")
        messages.add(caught.value.detail)
    f, _ = fetcher(lambda r: httpx.Response(200))
    with pytest.raises(FetchError) as caught:
        f.get("https://no-such-host.example/did.json")
    messages.add(caught.value.detail.replace("no-such-host", "issuer"))
    assert messages == {"https://issuer.example/did.json could not be fetched."}


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
    with pytest.raises(FetchError, match="could not be fetched"):
        f.get("https://issuer.example/slow")


def test_loopback_only_when_configured() -> None:
    f, _ = fetcher(lambda r: httpx.Response(200, content=b"{}"), allow_loopback=True)
    assert f.get("https://127.0.0.1/x") == b"{}"
    f, _ = fetcher(lambda r: httpx.Response(200), allow_loopback=True)
    with pytest.raises(UrlNotAllowed):
        f.get("https://10.0.0.1/x")
