"""Application settings: one class, read from the environment and an optional `.env` file."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from email.utils import parseaddr
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator, model_validator
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


class SmtpSecurity(StrEnum):
    starttls = "starttls"  # plain connection upgraded with STARTTLS (usually port 587)
    tls = "tls"  # implicit TLS from the first byte (usually port 465)
    none = "none"  # no encryption: only to a mail server on this machine (loopback)


# Used as the sender when MAIL_FROM is not set (development only; required in production).
DEV_MAIL_FROM = "Osaamispassi <osaamispassi@localhost>"


def is_loopback_host(host: str) -> bool:
    """Whether `host` names this machine: localhost or a loopback address (not resolved)."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


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
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: addresses or
    # networks, comma-separated. Empty (the default): the headers are ignored and the
    # connecting address is the client's, whoever sends them.
    trusted_proxies: str = ""
    # The ePerusteet external API (`osaamispassi eperusteet import|sync`).
    eperusteet_url: AnyHttpUrl = AnyHttpUrl(
        "https://eperusteet.opintopolku.fi/eperusteet-service/api/external"
    )
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
    # Outgoing e-mail (sign-in links) through the outbox; see `osaamispassi outbox deliver`.
    # Without SMTP_HOST nothing is delivered (development: the admins' outbox page).
    smtp_host: str | None = None
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    smtp_security: SmtpSecurity = SmtpSecurity.starttls
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str | None = None
    smtp_timeout_seconds: Annotated[float, Field(gt=0, le=300)] = 10
    # Requests inside the application at once (the rest wait their turn without holding a
    # thread or a database connection): at most half the connection pool of 40, less room
    # for the group-award worker and /readyz; see app/admission.py.
    max_concurrent_requests: Annotated[int, Field(ge=1, le=19)] = 16
    # How long a request may wait for its turn before a 503 with Retry-After.
    admission_wait_seconds: Annotated[float, Field(gt=0, le=300)] = 30
    # Group awards run as jobs (docs/decisions/0014-group-award-jobs.md). Every `serve`
    # process works on them unless RUN_JOBS=false (then run `osaamispassi jobs run --watch`).
    run_jobs: bool = True
    # On PostgreSQL, a verification answer kept for the same request (decision 0020) is
    # checked with one read on the event loop, from a small pool of its own (decision 0021).
    read_on_loop: bool = True
    # How long an instance's claim on a job lasts without a finished chunk: after a crash,
    # another instance goes on after at most this long.
    job_claim_seconds: Annotated[float, Field(ge=1, le=3600)] = 30
    # How often each `serve` process removes what has expired (app/maintenance.py): sessions,
    # one-time links, e-mailed links, wallet offers, API tokens. 0: never (then run
    # `osaamispassi maintenance --watch`, or from cron).
    maintenance_seconds: Annotated[float, Field(ge=0, le=86400)] = 600
    # People per chunk (one transaction); on SQLite other writers wait for a chunk.
    job_chunk_size: Annotated[int, Field(ge=1, le=1000)] = 50
    # How often an idle worker looks for queued jobs (a coach's own instance starts at once).
    job_poll_seconds: Annotated[float, Field(gt=0, le=600)] = 2
    # Processes that canonicalize a group award's credentials (the slow step of signing:
    # app/credentials/hashing.py). Not set: one per CPU, none on a one-CPU machine; 0: none.
    job_hashing_processes: Annotated[int, Field(ge=0, le=64)] | None = None
    # On SQLite a page opened with GET that writes without saying so (app.deps.writes_on_get)
    # fails under load; by default such a write is logged. The test servers refuse it.
    refuse_undeclared_writes: bool = False

    @field_validator("smtp_host", "smtp_username", "mail_from", "smtp_password", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `SMTP_HOST=` in a .env file means "not set", not a host named "".
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("smtp_host")
    @classmethod
    def _smtp_host_is_a_name(cls, value: str | None) -> str | None:
        if value is not None and (
            any(c.isspace() for c in value) or "/" in value or value.count(":") == 1
        ):
            raise ValueError(
                "SMTP_HOST must be a host name or an IP address only "
                "(the port goes to SMTP_PORT), e.g. smtp.example.fi"
            )
        return value

    @field_validator("mail_from")
    @classmethod
    def _mail_from_is_an_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from email_validator import EmailNotValidError, validate_email

        if "\r" in value or "\n" in value:
            raise ValueError("MAIL_FROM must be one line")
        _name, address = parseaddr(value)
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError as exc:
            raise ValueError(
                "MAIL_FROM must be an e-mail address, optionally with a name: "
                "Osaamispassi <noreply@passi.example.fi>"
            ) from exc
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        items = [item.strip() for item in value.split(",") if item.strip()]
        for item in items:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"TRUSTED_PROXIES must list IP addresses or networks; {item!r} is not one"
                ) from exc
        return ",".join(items)

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [item for item in self.trusted_proxies.split(",") if item]

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

    @model_validator(mode="after")
    def _smtp_is_consistent(self) -> Settings:
        if self.smtp_host is None:
            return self
        if self.smtp_security is SmtpSecurity.none and not is_loopback_host(self.smtp_host):
            raise ValueError(
                "SMTP_SECURITY=none sends mail (and SMTP_PASSWORD) unencrypted and is allowed "
                "only to a mail server on this machine (localhost, 127.0.0.1, ::1); use "
                "starttls or tls for SMTP_HOST " + repr(self.smtp_host)
            )
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("SMTP_USERNAME and SMTP_PASSWORD must be set together")
        if self.environment is Environment.production and self.mail_from is None:
            raise ValueError("MAIL_FROM must be set when SMTP_HOST is set in production")
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
    def mail_sender(self) -> str:
        """The From of outgoing e-mail: MAIL_FROM, in development a placeholder."""
        return self.mail_from or DEV_MAIL_FROM

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests clear the cache)."""
    return Settings()
