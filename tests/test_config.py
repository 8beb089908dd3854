"""Settings: defaults work in development; placeholders are refused in production."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from app.config import DEV_KEY_ENCRYPTION_KEY, Settings

GOOD_SECRET = "x" * 40
GOOD_KEK = "q2Hc0Vb9Jk3nL6pR8sT1uW4yZ7aC0eF2gH5jK8mN1pQ="


def test_development_defaults_work() -> None:
    s = Settings(_env_file=None)
    assert s.public_origin == "http://127.0.0.1:8000"
    assert len(s.kek_bytes) == 32


def test_production_refuses_placeholder_secret_key() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(_env_file=None, environment="production", key_encryption_key=GOOD_KEK)


def test_production_refuses_development_key_encryption_key() -> None:
    with pytest.raises(ValidationError, match="KEY_ENCRYPTION_KEY"):
        Settings(
            _env_file=None,
            environment="production",
            secret_key=GOOD_SECRET,
            key_encryption_key=DEV_KEY_ENCRYPTION_KEY,
        )


def test_production_accepts_real_secrets() -> None:
    s = Settings(
        _env_file=None,
        environment="production",
        secret_key=GOOD_SECRET,
        key_encryption_key=GOOD_KEK,
    )
    assert s.environment == "production"


@pytest.mark.parametrize("value", ["short", "not base64 !!", ""])
def test_key_encryption_key_must_be_32_bytes(value: str) -> None:
    with pytest.raises(ValidationError, match="32 bytes"):
        Settings(_env_file=None, key_encryption_key=value)


def test_invalid_setting_stops_the_cli_naming_the_variable(tmp_path: object) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "db", "upgrade"],
        env={"PORT": "not-a-number", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Configuration error: PORT" in result.stderr


def test_smtp_defaults_mean_no_delivery() -> None:
    s = Settings(_env_file=None)
    assert s.smtp_host is None
    assert (s.smtp_port, s.smtp_security, s.smtp_timeout_seconds) == (587, "starttls", 10)
    assert s.mail_sender == "Osaamispassi <osaamispassi@localhost>"
    assert Settings(_env_file=None, smtp_host="").smtp_host is None  # `SMTP_HOST=` in .env


@pytest.mark.parametrize("host", ["smtp.example.fi", "10.0.0.5", "192.168.1.1", "localhost.fi"])
def test_unencrypted_smtp_is_refused_to_another_host(host: str) -> None:
    with pytest.raises(ValidationError, match=r"SMTP_SECURITY=none .* only to a mail server"):
        Settings(_env_file=None, smtp_host=host, smtp_security="none")


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.0.0.53", "::1", "[::1]"])
def test_unencrypted_smtp_is_allowed_on_this_machine(host: str) -> None:
    assert Settings(_env_file=None, smtp_host=host, smtp_security="none").smtp_host == host


def test_smtp_settings_are_checked() -> None:
    with pytest.raises(ValidationError, match="MAIL_FROM must be set"):
        Settings(
            _env_file=None,
            environment="production",
            secret_key=GOOD_SECRET,
            key_encryption_key=GOOD_KEK,
            smtp_host="smtp.example.fi",
        )
    with pytest.raises(ValidationError, match="MAIL_FROM must be an e-mail address"):
        Settings(_env_file=None, mail_from="Osaamispassi")
    with pytest.raises(ValidationError, match="one line"):
        Settings(_env_file=None, mail_from="a@example.fi\r\nBcc: b@example.fi")
    with pytest.raises(ValidationError, match="together"):
        Settings(_env_file=None, smtp_host="smtp.example.fi", smtp_username="passi")
    with pytest.raises(ValidationError, match="SMTP_PORT"):
        Settings(_env_file=None, smtp_host="smtp.example.fi:587")
    with pytest.raises(ValidationError, match="smtp_security"):
        Settings(_env_file=None, smtp_security="ssl")
    ok = Settings(
        _env_file=None,
        environment="production",
        secret_key=GOOD_SECRET,
        key_encryption_key=GOOD_KEK,
        smtp_host="smtp.example.fi",
        smtp_security="tls",
        smtp_port=465,
        smtp_username="passi",
        smtp_password="salainen-salasana",
        mail_from="Osaamispassi <noreply@passi.example.fi>",
    )
    assert ok.mail_sender == "Osaamispassi <noreply@passi.example.fi>"
    assert "salainen-salasana" not in repr(ok)
    assert ok.smtp_password is not None
    assert ok.smtp_password.get_secret_value() == "salainen-salasana"
