"""The pinned connection against a real TLS server on 127.0.0.1: the request goes to the
checked address while the certificate is verified for the host name (SNI), and a server
whose certificate is for another name is refused with the same message as any failure."""

from __future__ import annotations

import http.server
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.net import fetch
from app.net.fetch import FetchError, FetchPolicy, SafeFetcher

HOST_NAME = "issuer.example"


def _certificate(folder: Path, names: list[str]) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class _Handler(http.server.BaseHTTPRequestHandler):
    seen: list[tuple[str, str, str | None]] = []  # noqa: RUF012

    def do_GET(self) -> None:
        sni = getattr(self.connection, "server_hostname", None)
        _Handler.seen.append((self.path, self.headers.get("Host", ""), sni))
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _serve(tmp_path: Path, names: list[str]) -> Iterator[tuple[int, Path]]:
    cert_file, key_file = _certificate(tmp_path, names)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    sni_names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: sni_names.append(name)  # type: ignore[assignment,misc]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], cert_file
    finally:
        server.shutdown()
        server.server_close()
        _Handler.seen.clear()


@pytest.fixture
def resolve_to_loopback(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """issuer.example resolves to 127.0.0.1 (the checks allow loopback in these tests)."""
    asked: list[str] = []

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        asked.append(host)
        if host != HOST_NAME:
            ipaddress.ip_address(host)  # a literal, or fail like an unknown name
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def _trusting(monkeypatch: pytest.MonkeyPatch, cert_file: Path) -> None:
    context = ssl.create_default_context(cafile=str(cert_file))
    monkeypatch.setattr(fetch, "_ssl_context", lambda: context)


def test_pinned_address_with_the_certificate_checked_for_the_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resolve_to_loopback: list[str]
) -> None:
    for port, cert_file in _serve(tmp_path, [HOST_NAME]):
        _trusting(monkeypatch, cert_file)
        fetcher = SafeFetcher(FetchPolicy(allow_loopback=True))
        body = fetcher.get(f"https://{HOST_NAME}:{port}/did.json")
        assert body == b'{"ok": true}'
        (path, host, _) = _Handler.seen[0]
        assert path == "/did.json" and host == f"{HOST_NAME}:{port}"
        # Only the check resolved the name; the connection went to the checked address
        # (a literal, which needs no look-up).
        assert resolve_to_loopback == [HOST_NAME, "127.0.0.1"]


def test_a_certificate_for_another_name_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resolve_to_loopback: list[str]
) -> None:
    for port, cert_file in _serve(tmp_path, ["other.example"]):
        _trusting(monkeypatch, cert_file)
        fetcher = SafeFetcher(FetchPolicy(allow_loopback=True))
        with pytest.raises(FetchError) as caught:
            fetcher.get(f"https://{HOST_NAME}:{port}/did.json")
        assert caught.value.detail == f"https://{HOST_NAME}:{port}/did.json could not be fetched."
        assert _Handler.seen == []
