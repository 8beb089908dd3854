"""Staff sign-in with argon2id passwords and throttling that holds across app instances."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.passwords import hash_password, needs_rehash, verify_password
from app.clients.service import hit
from app.models import RateLimitCounter, User
from app.users.service import user_by_email

# Failures from one address may be several people on one workshop network: allow more.
ADDRESS_FACTOR = 4


class SignInFailed(Exception):
    """Wrong e-mail or password (never says which)."""


class LockedOut(Exception):
    def __init__(self, minutes: int) -> None:
        super().__init__(f"locked for {minutes} minutes")
        self.minutes = minutes


@dataclass(frozen=True)
class Throttle:
    max_failures: int
    window: timedelta


def _buckets(email: str, ip_address: str | None) -> tuple[str, str]:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"login:{digest}", f"login-ip:{ip_address or 'unknown'}"


def _failures(session: Session, bucket: str, *, now: datetime, window: timedelta) -> int:
    minute = int(now.timestamp()) // 60
    first = minute - int(window.total_seconds() // 60) + 1
    total = session.exec(
        select(func.coalesce(func.sum(RateLimitCounter.count), 0))
        .where(RateLimitCounter.bucket == bucket)
        .where(col(RateLimitCounter.window_start) >= first)
    ).one()
    return int(total)


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    ip_address: str | None,
    throttle: Throttle,
    now: datetime,
) -> User:
    """The user of a correct e-mail and password.

    Raises:
        LockedOut: Too many recent failures for the account or the address.
        SignInFailed: Wrong e-mail or password, or an inactive account.
    """
    account_bucket, address_bucket = _buckets(email, ip_address)
    minutes = int(throttle.window.total_seconds() // 60)
    if (
        _failures(session, account_bucket, now=now, window=throttle.window) >= throttle.max_failures
        or _failures(session, address_bucket, now=now, window=throttle.window)
        >= throttle.max_failures * ADDRESS_FACTOR
    ):
        audit.record(
            session,
            action="login.locked",
            organization_id=None,
            ip_address=ip_address,
            details={"email": email.strip().lower()[:320]},
            now=now,
        )
        raise LockedOut(minutes)
    user = user_by_email(session, email)
    # verify_password spends the same time when the user does not exist.
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        for bucket in (account_bucket, address_bucket):
            hit(session, bucket=bucket, limit=throttle.max_failures, now=now)
        audit.record(
            session,
            action="login.failure",
            organization_id=user.organization_id if user else None,
            actor_user_id=user.id if user else None,
            ip_address=ip_address,
            details={"email": email.strip().lower()[:320]},
            now=now,
        )
        raise SignInFailed
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    session.add(user)
    audit.record(
        session,
        action="login.success",
        organization_id=user.organization_id,
        actor_user_id=user.id,
        ip_address=ip_address,
        now=now,
    )
    return user
