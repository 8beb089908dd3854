"""Sending the outbox's messages by SMTP (standard library only).

One connection per message: sign-in links are few, and a fresh connection never inherits a
broken state. TLS always verifies the server's certificate and host name
(`ssl.create_default_context()`); STARTTLS is required when configured, never skipped
because the server does not offer it. `SMTP_SECURITY=none` is accepted by the settings only
for a server on this machine. Neither the password nor a body is ever logged.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from pydantic import SecretStr

from app.config import Settings, SmtpSecurity
from app.mail.outbox import MessageRefused


class SmtpNotConfigured(Exception):
    """SMTP_HOST is not set: nothing can be delivered."""


class SmtpMailer:
    """A :class:`app.mail.outbox.Mailer` that sends plain-text UTF-8 messages by SMTP."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: SmtpSecurity,
        sender: str,
        username: str | None = None,
        password: SecretStr | None = None,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.security = security
        self.sender = sender
        self.username = username
        self._password = password
        self.timeout = timeout
        # Tests pass a context that trusts their own certificate authority; otherwise the
        # system's trusted authorities, with host-name checking.
        self._ssl_context = ssl_context

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpMailer:
        if settings.smtp_host is None:
            raise SmtpNotConfigured("SMTP_HOST is not set")
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            sender=settings.mail_sender,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout=settings.smtp_timeout_seconds,
        )

    def __repr__(self) -> str:  # never the password
        return (
            f"SmtpMailer(host={self.host!r}, port={self.port}, security={self.security.value!r}, "
            f"username={self.username!r})"
        )

    def build_message(self, *, to: str, subject: str, body: str) -> EmailMessage:
        """The message as sent: From, To, Subject, Date, Message-ID, Auto-Submitted and a
        UTF-8 plain-text body (quoted-printable, safe through any server)."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid(domain=self._sender_domain())
        # RFC 3834: no vacation or out-of-office replies to a machine's message.
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body, charset="utf-8", cte="quoted-printable")
        return message

    def send(self, *, to: str, subject: str, body: str) -> None:
        """Deliver one message; raises on any failure (MessageRefused when the server
        refused this recipient but works)."""
        message = self.build_message(to=to, subject=subject, body=body)
        with self._connect() as smtp:
            if self.security is SmtpSecurity.starttls:
                smtp.starttls(context=self._context())  # raises if the server cannot
                smtp.ehlo()
            if self.username is not None and self._password is not None:
                _login(smtp, self.username, self._password.get_secret_value())
            try:
                smtp.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                raise MessageRefused("the mail server refused the recipient") from exc

    def _connect(self) -> smtplib.SMTP:
        if self.security is SmtpSecurity.tls:
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self._context()
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def _sender_domain(self) -> str:
        _name, address = parseaddr(self.sender)
        domain = address.rpartition("@")[2]
        return domain or "localhost"


def _login(smtp: smtplib.SMTP, username: str, password: str) -> None:
    """AUTH with the server's best mechanism; UTF-8 credentials by AUTH PLAIN (RFC 4616).

    `smtplib.login` encodes the credentials as ASCII and fails on a password such as
    "sähkö-1" before anything is sent; such credentials go by AUTH PLAIN in UTF-8.
    """
    if username.isascii() and password.isascii():
        smtp.login(username, password)
        return
    smtp.ehlo_or_helo_if_needed()
    if "PLAIN" not in smtp.esmtp_features.get("auth", "").upper().split():
        raise smtplib.SMTPNotSupportedError(
            "the mail server does not offer AUTH PLAIN, needed for non-ASCII credentials"
        )
    token = base64.b64encode(b"\0" + username.encode() + b"\0" + password.encode()).decode()
    code, answer = smtp.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, answer)
