"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd), and a certificate authority of
the test's own for its TLS.

    smtp_server(tmp_path, starttls=..., implicit_tls=..., auth=...) -> SmtpTestServer

The server records each message as received (raw bytes, envelope) and can be told to answer
DATA with an error (`server.reject_with = "451 4.3.0 Try again later"`).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"
USERNAME = "osaamispassi"
PASSWORD = "sähköposti-salasana-1"  # not ASCII: smtplib.login alone cannot send it
ASCII_PASSWORD = "sahkoposti-salasana-2"


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def text(self) -> str:
        """The decoded body, with the wire's CRLF line ends as newlines."""
        content = self.message.get_content()
        assert isinstance(content, str)
        return content.replace("\r\n", "\n")


@dataclass
class Recorder:
    """The aiosmtpd handler: keeps what it receives."""

    received: list[Received] = field(default_factory=list)
    reject_with: str | None = None
    reject_recipients: set[str] = field(default_factory=set)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.reject_recipients:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reject_with:
            return self.reject_with
        content = envelope.original_content or envelope.content
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(content)))
        return "250 2.0.0 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8")
        password = auth_data.password.decode("utf-8")
        self.logins.append((login, password))
        ok = login == USERNAME and password in (PASSWORD, ASCII_PASSWORD)
        # handled=False: aiosmtpd answers (235 or 535) itself.
        return AuthResult(success=ok, handled=False)


@dataclass
class SmtpTestServer:
    port: int
    recorder: Recorder
    ca_pem: str

    @property
    def received(self) -> list[Received]:
        return self.recorder.received

    def trusting_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's certificate (and verifies it)."""
        return ssl.create_default_context(cadata=self.ca_pem)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def write_certificate(folder: Path) -> tuple[Path, Path, str]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert file, key file, PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Osaamispassi test SMTP")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_file = folder / "smtp-cert.pem"
    key_file = folder / "smtp-key.pem"
    cert_file.write_bytes(pem)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file, pem.decode()


@contextmanager
def smtp_server(
    folder: Path, *, starttls: bool = False, implicit_tls: bool = False, auth: bool = False
) -> Iterator[SmtpTestServer]:
    recorder = Recorder()
    cert_file, key_file, ca_pem = write_certificate(folder)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    options: dict[str, Any] = {}
    if starttls:
        options.update(tls_context=server_context, require_starttls=True)
    if auth:
        # Over implicit TLS aiosmtpd does not know the connection is encrypted: it offers AUTH
        # there only when not told to require TLS for it (and then must not require AUTH).
        options.update(
            authenticator=recorder.authenticate,
            auth_required=not implicit_tls,
            auth_require_tls=not implicit_tls,
        )
    port = free_port()
    controller = Controller(
        recorder,
        hostname=HOST,
        port=port,
        ssl_context=server_context if implicit_tls else None,
        **options,
    )
    controller.start()
    try:
        yield SmtpTestServer(port, recorder, ca_pem)
    finally:
        controller.stop()
