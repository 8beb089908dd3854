"""Application settings: one class, read from the environment and an optional `.env` file."""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AnyHttpUrl, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Values that must never be used outside development: they are printed in the README.
PLACEHOLDER_SECRETS = frozenset(
    {"", "change-me", "changeme", "secret", "dev-secret-key", "dev-key-encryption-key"}
)
DEV_SECRET_KEY = "dev-secret-key"  # noqa: S105 (development only; refused in production)
# A fixed 32-byte key, usable only in development so `make run` works out of the box.
DEV_KEY_ENCRYPTION_KEY = base64.urlsafe_b64encode(b"osaamispassi-development-only-00").decode()


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    """Every setting of the service; see README "Configuration"."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    environment: Environment = Environment.development
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'osaamispassi.db'}"
    base_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8000")
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    secret_key: str = DEV_SECRET_KEY
    key_encryption_key: str = DEV_KEY_ENCRYPTION_KEY
    contexts_dir: Path | None = None
    schemas_dir: Path | None = None
    # Offline documents for verification (DID documents, key documents, status lists):
    # a folder of JSON files and an index `documents.json` mapping URL -> file name.
    documents_dir: Path | None = None
    # Only for tests and local development: allow fetching from loopback addresses.
    fetch_allow_loopback: bool = False
    context_cache_dir: Path = PROJECT_ROOT / "var" / "contexts"
    catalog_dir: Path = PROJECT_ROOT
    log_level: str = "INFO"
    # Verification API limits per minute: anonymous callers (per address) and API clients.
    rate_limit_anonymous: Annotated[int, Field(ge=1)] = 30
    rate_limit_client_default: Annotated[int, Field(ge=1)] = 600
    # Shared tablets: a staff session ends after this many idle minutes, and at the latest
    # after `session_max_hours`.
    session_idle_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 15
    session_max_hours: Annotated[int, Field(ge=1, le=7 * 24)] = 12
    # Sign-in throttling: this many failures per account (or 4x per address) within the
    # lock-out window lock further attempts until the window has passed.
    login_max_failures: Annotated[int, Field(ge=1)] = 5
    login_lockout_minutes: Annotated[int, Field(ge=1, le=60)] = 15
    # Participants' passport sessions (their own phones): idle and absolute lifetimes.
    passport_idle_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 60
    passport_max_hours: Annotated[int, Field(ge=1, le=30 * 24)] = 24
    # Look-ups of secret link tokens (passport, sign-in and share links, QR images) per
    # client address per minute; past it the answer is 429.
    token_lookups_per_minute: Annotated[int, Field(ge=1)] = 60
    # Evidence photos from the tablet camera.
    photo_max_bytes: Annotated[int, Field(ge=1024)] = 10 * 1024 * 1024

    @field_validator("base_url")
    @classmethod
    def _no_trailing_path(cls, value: AnyHttpUrl) -> AnyHttpUrl:
        if value.query or value.fragment:
            raise ValueError("BASE_URL must be an origin such as https://passi.example.fi")
        return value

    @field_validator("key_encryption_key")
    @classmethod
    def _kek_is_32_bytes(cls, value: str) -> str:
        try:
            raw = base64.urlsafe_b64decode(value.encode())
        except (binascii.Error, ValueError) as exc:
            raise ValueError("KEY_ENCRYPTION_KEY must be 32 bytes, url-safe base64") from exc
        if len(raw) != 32:
            raise ValueError("KEY_ENCRYPTION_KEY must be 32 bytes, url-safe base64")
        return value

    @model_validator(mode="after")
    def _secrets_outside_development(self) -> Settings:
        if self.environment is Environment.production:
            if self.secret_key in PLACEHOLDER_SECRETS or len(self.secret_key) < 32:
                raise ValueError(
                    "SECRET_KEY must be set to a random value of at least 32 characters "
                    "in production"
                )
            if self.key_encryption_key == DEV_KEY_ENCRYPTION_KEY:
                raise ValueError("KEY_ENCRYPTION_KEY must be set to a new random key in production")
        return self

    @property
    def public_origin(self) -> str:
        """BASE_URL without a trailing slash, for building ids."""
        return str(self.base_url).rstrip("/")

    @property
    def secure_cookies(self) -> bool:
        """Cookies are Secure whenever the service is served over https."""
        return self.public_origin.startswith("https://")

    @property
    def kek_bytes(self) -> bytes:
        return base64.urlsafe_b64decode(self.key_encryption_key.encode())

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests clear the cache)."""
    return Settings()
