"""Bounded outbound fetches: https only, no private addresses, time-out, size limit.

Every document the service fetches while verifying (DID documents, key documents, status
lists, contexts) goes through `SafeFetcher`. Addresses are checked after DNS resolution and
again on every redirect, so a name or a redirect cannot lead to a private or loopback address.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import httpx

from app.errors import AppError


class FetchError(AppError):
    status_code = 502
    problem = "unreachable-document"
    title = "A document could not be fetched"


class UrlNotAllowed(AppError):
    status_code = 400
    problem = "url-not-allowed"
    title = "The URL is not allowed"


class NetworkNeeded(Exception):
    """Work that was not to wait on the network needed a document from it."""


class Fetcher(Protocol):
    def get(self, url: str, *, accept: str = "application/json") -> bytes: ...


class NoNetwork:
    """A fetcher for a first pass of work that must not wait on the network.

    Every fetch fails with NetworkNeeded and is recorded in `asked` (code that turns
    failures into results would otherwise hide it): the caller then does the work again
    with a SafeFetcher, where waiting on other hosts is allowed.
    """

    def __init__(self) -> None:
        self.asked = False

    def get(self, url: str, *, accept: str = "application/json") -> bytes:
        self.asked = True
        raise NetworkNeeded(url)


@dataclass(frozen=True)
class FetchPolicy:
    timeout_seconds: float = 5.0
    max_bytes: int = 2 * 1024 * 1024
    max_redirects: int = 3
    allow_loopback: bool = False  # only for tests and local development
    allow_http: bool = False


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated; never a real server's address


def _ipv4_allowed(ip: ipaddress.IPv4Address, policy: FetchPolicy) -> bool:
    if ip.is_loopback:
        return policy.allow_loopback
    return ip.is_global and not ip.is_multicast


def _address_allowed(address: str, policy: FetchPolicy) -> bool:
    """Only globally routable unicast addresses (and loopback when the policy allows it).

    Private, shared (100.64.0.0/10), link-local, reserved, documentation, benchmarking and
    multicast addresses are refused, and so are IPv6 forms that carry an IPv4 address which
    would be refused itself: IPv4-mapped, 6to4 and NAT64. Teredo and the deprecated
    IPv4-compatible form are refused outright, as are scoped (link-local) addresses.
    """
    if "%" in address:
        return False
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv4Address):
        return _ipv4_allowed(ip, policy)
    if ip.is_loopback:
        return policy.allow_loopback
    if ip.ipv4_mapped is not None:
        return _ipv4_allowed(ip.ipv4_mapped, policy)
    if ip.teredo is not None or ip in _IPV4_COMPATIBLE:
        return False
    embedded = ip.sixtofour
    if embedded is None and any(ip in net for net in _NAT64):
        embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if embedded is not None and not (embedded.is_global and not embedded.is_multicast):
        return False
    return ip.is_global and not ip.is_multicast


def check_url(url: str, policy: FetchPolicy) -> list[str]:
    """Validate a URL and resolve its host; return the addresses (all must be allowed).

    Raises:
        UrlNotAllowed: For a scheme other than https, a missing host, or a host that
            resolves to a private, loopback or link-local address.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # e.g. a bad IPv6 literal or a port out of range
        raise UrlNotAllowed(f"The URL is not valid: {url}") from exc
    allowed_schemes = {"https", "http"} if policy.allow_http else {"https"}
    if parts.scheme not in allowed_schemes:
        raise UrlNotAllowed(f"Only https URLs can be fetched: {url}")
    if not parts.hostname:
        raise UrlNotAllowed(f"The URL has no host name: {url}")
    if parts.username or parts.password:
        raise UrlNotAllowed("URLs with user names or passwords are not allowed.")
    try:
        infos = socket.getaddrinfo(parts.hostname, port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise FetchError(f"{url} could not be fetched.") from exc
    addresses = sorted({str(info[4][0]) for info in infos})
    for address in addresses:
        if not _address_allowed(address, policy):
            raise UrlNotAllowed(
                f"The host {parts.hostname} resolves to a private or local address; "
                "such addresses are not fetched."
            )
    return addresses


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context per process (the system's CA certificates)."""
    return ssl.create_default_context()


class SafeFetcher:
    """Fetch documents under a `FetchPolicy`."""

    def __init__(
        self, policy: FetchPolicy | None = None, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.policy = policy or FetchPolicy()
        self._transport = transport
        self._http: httpx.Client | None = None

    @property
    def _client(self) -> httpx.Client:
        # Made on first use: most verifications (our own credentials, registered issuers)
        # fetch nothing, and building a client cost ~20 ms (loading the CA bundle) per request.
        if self._http is None:
            self._http = httpx.Client(
                timeout=self.policy.timeout_seconds,
                follow_redirects=False,
                transport=self._transport,
                verify=_ssl_context(),
                headers={"User-Agent": "Osaamispassi-verifier/0.1"},
            )
        return self._http

    def get(self, url: str, *, accept: str = "application/json") -> bytes:
        """GET a URL, following at most `max_redirects` checked redirects.

        Every hop connects to an address that was checked, not to whatever a second DNS
        look-up would answer: the request goes to that address, with the host name kept
        for TLS (SNI and certificate check) and the Host header.

        Raises:
            UrlNotAllowed: The URL (or a redirect target) is not allowed.
            FetchError: Time-out, network or TLS error, non-200 status or a too large body.
                Network failures all read the same ("could not be fetched"), so that the
                answers cannot be used to probe which hosts and ports exist.
        """
        current = url
        for _ in range(self.policy.max_redirects + 1):
            addresses = check_url(current, self.policy)
            target, host, sni = pinned_request(current, addresses[0])
            try:
                with self._client.stream(
                    "GET",
                    target,
                    headers={"Accept": accept, "Host": host},
                    extensions={"sni_hostname": sni},
                ) as resp:
                    if resp.is_redirect:
                        location = resp.headers.get("location")
                        if not location:
                            raise FetchError(f"{current} redirected without a location.")
                        current = urljoin(current, location)
                        continue
                    if resp.status_code != 200:
                        raise FetchError(f"{current} answered with status {resp.status_code}.")
                    declared = resp.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > self.policy.max_bytes:
                        raise FetchError(f"{current} is larger than {self.policy.max_bytes} bytes.")
                    body = bytearray()
                    for chunk in resp.iter_bytes():
                        body += chunk
                        if len(body) > self.policy.max_bytes:
                            raise FetchError(
                                f"{current} is larger than {self.policy.max_bytes} bytes."
                            )
                    return bytes(body)
            except (httpx.HTTPError, ssl.SSLError, OSError) as exc:
                raise FetchError(f"{current} could not be fetched.") from exc
        raise FetchError(f"{url} redirected too many times.")


def pinned_request(url: str, address: str) -> tuple[str, str, str]:
    """The URL rewritten to connect to `address`, the Host header and the TLS server name.

    Returns:
        (URL with the address as host, Host header value, SNI host name).
    """
    parsed = httpx.URL(url)
    host = parsed.raw_host.decode("ascii")  # IDNA-encoded, as it goes on the wire
    literal = f"[{address}]" if ":" in address else address
    pinned = parsed.copy_with(host=literal.strip("[]"))
    host_header = f"[{host}]" if ":" in host else host
    if parsed.port is not None:
        host_header += f":{parsed.port}"
    return str(pinned), host_header, host
