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
