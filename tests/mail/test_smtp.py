"""The SMTP mailer against a real SMTP server on 127.0.0.1: the message as received, STARTTLS
with a verified certificate and authentication, implicit TLS, and refusals."""

from __future__ import annotations

import smtplib
import ssl
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from app.config import Settings, SmtpSecurity
from app.mail.outbox import MessageRefused
from app.mail.smtp import SmtpMailer, SmtpNotConfigured
from tests.mail.smtp_server import (
    ASCII_PASSWORD,
    HOST,
    PASSWORD,
    USERNAME,
    free_port,
    smtp_server,
)

SENDER = "Osaamispassi <noreply@passi.test>"
BODY = (
    "Avaa osaamispassisi tällä linkillä. Se toimii kerran, 15 minuuttia:\n\n"
    "https://passi.test/passport/sign-in/" + "x" * 43 + "\n"
)


def mailer(port: int, security: SmtpSecurity, **options: Any) -> SmtpMailer:
    return SmtpMailer(host=HOST, port=port, security=security, sender=SENDER, timeout=5, **options)


def test_message_as_received_has_the_headers_and_the_utf8_body(tmp_path: Path) -> None:
    with smtp_server(tmp_path) as server:
        mailer(server.port, SmtpSecurity.none).send(
            to="aino@example.fi", subject="Osaamispassi: kirjautumislinkki – på svenska", body=BODY
        )
    [received] = server.received
    assert received.mail_from == "noreply@passi.test"
    assert received.rcpt_tos == ["aino@example.fi"]
    message = received.message
    assert received.text == BODY
    assert parseaddr(message["From"]) == ("Osaamispassi", "noreply@passi.test")
    assert message["To"] == "aino@example.fi"
    assert message["Subject"] == "Osaamispassi: kirjautumislinkki – på svenska"
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@passi.test>")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    # Nothing but ASCII travels: the body is quoted-printable, the subject RFC 2047 encoded.
    assert received.raw.isascii()


def test_starttls_with_a_verified_certificate_and_authentication(tmp_path: Path) -> None:
    with smtp_server(tmp_path, starttls=True, auth=True) as server:
        mailer(
            server.port,
            SmtpSecurity.starttls,
            username=USERNAME,
            password=SecretStr(PASSWORD),
            ssl_context=server.trusting_context(),
        ).send(to="aino@example.fi", subject="Linkki", body=BODY)
        with pytest.raises(smtplib.SMTPAuthenticationError):
            mailer(
                server.port,
                SmtpSecurity.starttls,
                username=USERNAME,
                password=SecretStr("väärä salasana"),
                ssl_context=server.trusting_context(),
            ).send(to="aino@example.fi", subject="Linkki", body=BODY)
    assert [r.text for r in server.received] == [BODY]
    assert server.recorder.logins == [(USERNAME, PASSWORD), (USERNAME, "väärä salasana")]


def test_the_servers_certificate_is_verified(tmp_path: Path) -> None:
    """The default context trusts only the system's authorities: a self-signed server is
    refused before anything (the password above all) is sent."""
    with (
        smtp_server(tmp_path, starttls=True, auth=True) as server,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        mailer(
            server.port,
            SmtpSecurity.starttls,
            username=USERNAME,
            password=SecretStr(PASSWORD),
        ).send(to="aino@example.fi", subject="Linkki", body=BODY)
    assert server.received == [] and server.recorder.logins == []


def test_starttls_is_never_skipped_when_the_server_does_not_offer_it(tmp_path: Path) -> None:
    with smtp_server(tmp_path) as server, pytest.raises(smtplib.SMTPNotSupportedError):
        mailer(server.port, SmtpSecurity.starttls).send(
            to="aino@example.fi", subject="Linkki", body=BODY
        )
    assert server.received == []


def test_implicit_tls(tmp_path: Path) -> None:
    with smtp_server(tmp_path, implicit_tls=True, auth=True) as server:
        mailer(
            server.port,
            SmtpSecurity.tls,
            username=USERNAME,
            password=SecretStr(ASCII_PASSWORD),
            ssl_context=server.trusting_context(),
        ).send(to="aino@example.fi", subject="Linkki", body=BODY)
    assert [r.rcpt_tos for r in server.received] == [["aino@example.fi"]]
    assert server.recorder.logins == [(USERNAME, ASCII_PASSWORD)]


def test_a_refused_recipient_is_told_apart_from_a_server_failure(tmp_path: Path) -> None:
    with smtp_server(tmp_path) as server:
        server.recorder.reject_recipients.add("gone@example.fi")
        with pytest.raises(MessageRefused):
            mailer(server.port, SmtpSecurity.none).send(to="gone@example.fi", subject="x", body="y")
        server.recorder.reject_with = "451 4.3.0 Try again later"
        with pytest.raises(smtplib.SMTPDataError) as failure:
            mailer(server.port, SmtpSecurity.none).send(to="a@example.fi", subject="x", body="y")
    assert not isinstance(failure.value, MessageRefused)
    assert server.received == []


def test_an_unreachable_server_raises(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        mailer(free_port(), SmtpSecurity.none).send(to="a@example.fi", subject="x", body="y")


def test_from_settings_and_the_password_is_never_shown() -> None:
    with pytest.raises(SmtpNotConfigured):
        SmtpMailer.from_settings(Settings(_env_file=None))
    settings = Settings(
        _env_file=None,
        smtp_host="smtp.example.fi",
        smtp_username="passi",
        smtp_password="very-secret-password",
        mail_from="noreply@passi.example.fi",
    )
    smtp = SmtpMailer.from_settings(settings)
    assert (smtp.host, smtp.port, smtp.security, smtp.timeout) == (
        "smtp.example.fi",
        587,
        SmtpSecurity.starttls,
        10,
    )
    assert smtp.sender == "noreply@passi.example.fi"
    for shown in (repr(smtp), repr(settings), str(settings.model_dump())):
        assert "very-secret-password" not in shown
