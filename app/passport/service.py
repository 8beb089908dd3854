"""Passport access for participants.

* A **personal passport link**, created (and renewed) by a coach: a random token of which only
  the SHA-256 is kept on the participant; renewing replaces the hash, so the old link stops
  working at once.
* An optional **PIN** (4-8 digits, argon2id) that the participant sets; failed attempts are
  counted on the participant's row (shared by every app instance) and limited to
  :data:`PIN_MAX_FAILURES` per :data:`PIN_WINDOW`.
* **One-time sign-in links by e-mail** for participants who have an address: hashed token,
  :data:`SIGN_IN_TTL` expiry, single use, delivered through the outbox.

Every unknown, replaced, used, expired or erased token gives the same :class:`NotFound`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.passwords import hash_password, verify_password
from app.config import Settings
from app.errors import NotFound, RateLimited, ValidationFailed
from app.i18n import gettext as _
from app.mail import outbox
from app.models import Participant, SignInToken, User
from app.tokens import hash_token, new_token, plausible

PIN_RE = re.compile(r"^[0-9]{4,8}$")
PIN_MAX_FAILURES = 5
PIN_WINDOW = timedelta(minutes=15)
SIGN_IN_TTL = timedelta(minutes=15)
# At most this many sign-in links per participant per SIGN_IN_TTL; more requests are ignored
# silently (the answer must not tell whether the address is known).
SIGN_IN_MAX_PER_WINDOW = 3

_NO_PASSPORT = "No such passport link."
_NO_SIGN_IN = "The sign-in link is not valid; ask for a new one."


def passport_url(settings: Settings, token: str) -> str:
    """The participant's personal passport link."""
    return f"{settings.public_origin}/passport/{token}"


def sign_in_url(settings: Settings, token: str) -> str:
    """The one-time sign-in link sent by e-mail."""
    return f"{settings.public_origin}/passport/sign-in/{token}"


def _participant_of_coach(session: Session, coach: User, participant_id: int) -> Participant:
    participant = session.get(Participant, participant_id)
    if (
        participant is None
        or participant.erased_at is not None
        or participant.organization_id != coach.organization_id
        or not coach.is_active
    ):
        # One answer for missing, erased and other organizations' participants.
        raise NotFound("No such participant.")
    return participant


def issue_passport_token(
    session: Session,
    *,
    coach: User,
    participant_id: int,
    now: datetime,
    ip_address: str | None = None,
) -> str:
    """Create the participant's passport token, or renew it (the old one stops working).

    Returns the token; it is not stored and cannot be shown again.
    """
    participant = _participant_of_coach(session, coach, participant_id)
    renewed = participant.passport_token_hash is not None
    token = new_token()
    participant.passport_token_hash = hash_token(token)
    participant.passport_token_created_at = now
    participant.updated_at = now
    session.add(participant)
    session.flush()
    audit.record(
        session,
        action="passport.token_renew" if renewed else "passport.token_create",
        organization_id=participant.organization_id,
        actor_user_id=coach.id,
        object_type="participant",
        object_id=participant.id,
        ip_address=ip_address,
        now=now,
    )
    return token


def revoke_passport_token(
    session: Session, *, coach: User, participant_id: int, now: datetime
) -> None:
    """Withdraw the passport link without giving a new one."""
    participant = _participant_of_coach(session, coach, participant_id)
    participant.passport_token_hash = None
    participant.passport_token_created_at = None
    participant.updated_at = now
    session.add(participant)
    session.flush()
    audit.record(
        session,
        action="passport.token_revoke",
        organization_id=participant.organization_id,
        actor_user_id=coach.id,
        object_type="participant",
        object_id=participant.id,
        now=now,
    )


def resolve_passport_token(session: Session, token: str) -> Participant:
    """The participant whose passport link this is.

    Raises:
        NotFound: For an unknown, renewed (old), revoked or erased participant's token.
    """
    if not plausible(token):
        raise NotFound(_NO_PASSPORT)
    participant = session.exec(
        select(Participant).where(Participant.passport_token_hash == hash_token(token))
    ).first()
    if participant is None or participant.erased_at is not None:
        raise NotFound(_NO_PASSPORT)
    return participant


def set_pin(session: Session, *, participant: Participant, pin: str | None, now: datetime) -> None:
    """Set the participant's PIN (4-8 digits), or remove it with ``None``."""
    if participant.erased_at is not None:
        raise NotFound(_NO_PASSPORT)
    if pin is not None and not PIN_RE.match(pin):
        raise ValidationFailed("The PIN must have 4 to 8 digits.")
    participant.pin_hash = hash_password(pin) if pin is not None else None
    participant.pin_failures = 0
    participant.pin_failures_since = None
    participant.updated_at = now
    session.add(participant)
    session.flush()
    audit.record(
        session,
        action="passport.pin_set" if pin is not None else "passport.pin_remove",
        organization_id=participant.organization_id,
        object_type="participant",
        object_id=participant.id,
        now=now,
    )


@dataclass(frozen=True)
class PinCheck:
    """The outcome of a PIN attempt; ``remaining`` failures before the lock."""

    ok: bool
    remaining: int


def check_pin(session: Session, *, participant: Participant, pin: str, now: datetime) -> PinCheck:
    """Check a PIN attempt, counting failures on the participant's row.

    A wrong PIN is an answer (``ok=False``), not an exception, so that the caller's
    transaction commits the counted failure. A participant without a PIN passes.

    Raises:
        RateLimited: After :data:`PIN_MAX_FAILURES` failures within :data:`PIN_WINDOW`
            (until the window has passed); the attempt is then not even checked.
    """
    assert participant.id is not None
    # Lock the row (PostgreSQL) so that parallel attempts on several instances are counted
    # one after another; SQLite serialises writers anyway.
    locked = session.get(Participant, participant.id, with_for_update=True, populate_existing=True)
    if locked is None or locked.erased_at is not None:
        raise NotFound(_NO_PASSPORT)
    if locked.pin_hash is None:
        return PinCheck(ok=True, remaining=PIN_MAX_FAILURES)
    since = locked.pin_failures_since
    if since is not None and now - since >= PIN_WINDOW:
        locked.pin_failures, locked.pin_failures_since = 0, None
        since = None
    if locked.pin_failures >= PIN_MAX_FAILURES and since is not None:
        retry = since + PIN_WINDOW - now
        raise RateLimited(
            "Too many wrong PINs; try again later.",
            retry_after=max(1, int(retry.total_seconds())),
        )
    if verify_password(locked.pin_hash, pin):
        locked.pin_failures, locked.pin_failures_since = 0, None
        ok = True
    else:
        locked.pin_failures += 1
        locked.pin_failures_since = since or now
        ok = False
        audit.record(
            session,
            action="passport.pin_failed",
            organization_id=locked.organization_id,
            object_type="participant",
            object_id=locked.id,
            now=now,
        )
    session.add(locked)
    session.flush()
    return PinCheck(ok=ok, remaining=max(PIN_MAX_FAILURES - locked.pin_failures, 0))


def _new_sign_in_token(session: Session, participant: Participant, *, now: datetime) -> str:
    assert participant.id is not None
    token = new_token()
    session.add(
        SignInToken(
            participant_id=participant.id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + SIGN_IN_TTL,
        )
    )
    return token


def issue_sign_in_token(
    session: Session,
    *,
    coach: User,
    participant_id: int,
    now: datetime,
    ip_address: str | None = None,
) -> str:
    """A one-time sign-in link for the coach's screen (a QR code the participant scans right
    after an award): single use, valid for :data:`SIGN_IN_TTL`."""
    participant = _participant_of_coach(session, coach, participant_id)
    token = _new_sign_in_token(session, participant, now=now)
    audit.record(
        session,
        action="passport.sign_in_qr",
        organization_id=participant.organization_id,
        actor_user_id=coach.id,
        object_type="participant",
        object_id=participant.id,
        ip_address=ip_address,
        now=now,
    )
    session.flush()
    return token


def request_sign_in_link(session: Session, settings: Settings, *, email: str, now: datetime) -> int:
    """Send a one-time sign-in link to every participant with this e-mail address.

    Answers the same way whether or not the address is known (the caller shows one
    message); returns the number of links queued, for tests and logs only.
    """
    address = email.strip().lower()
    if "@" not in address or len(address) > 320:
        raise ValidationFailed("The e-mail address is not valid.")
    participants = session.exec(
        select(Participant)
        .where(Participant.email == address)
        .where(col(Participant.erased_at).is_(None))
    ).all()
    queued = 0
    for participant in participants:
        assert participant.id is not None
        recent = session.exec(
            select(func.count())
            .select_from(SignInToken)
            .where(SignInToken.participant_id == participant.id)
            .where(col(SignInToken.created_at) > now - SIGN_IN_TTL)
        ).one()
        if recent >= SIGN_IN_MAX_PER_WINDOW:
            continue
        token = _new_sign_in_token(session, participant, now=now)
        expires = now + SIGN_IN_TTL
        outbox.enqueue(
            session,
            kind="sign-in-link",
            recipient=address,
            # In the language of the page the link was asked for.
            subject=_("Osaamispassi: sign-in link"),
            body=(
                _(
                    "Open your competence passport with this link. It works once, for "
                    "{minutes} minutes:"
                ).format(minutes=int(SIGN_IN_TTL.total_seconds() // 60))
                + f"\n\n{sign_in_url(settings, token)}\n\n"
                + _("If you did not ask for this link, you can ignore this message.")
                + "\n"
            ),
            now=now,
            expires_at=expires,
            organization_id=participant.organization_id,
            participant_id=participant.id,
        )
        audit.record(
            session,
            action="passport.sign_in_link",
            organization_id=participant.organization_id,
            object_type="participant",
            object_id=participant.id,
            now=now,
        )
        queued += 1
    session.flush()
    return queued


def consume_sign_in_token(session: Session, *, token: str, now: datetime) -> Participant:
    """Use a sign-in link: returns its participant and marks the link used.

    Raises:
        NotFound: For an unknown, used, expired or erased participant's link.
    """
    if not plausible(token):
        raise NotFound(_NO_SIGN_IN)
    digest = hash_token(token)
    # One atomic UPDATE: of two parallel uses (on any instances) exactly one wins.
    result = session.execute(
        update(SignInToken)
        .where(col(SignInToken.token_hash) == digest)
        .where(col(SignInToken.used_at).is_(None))
        .where(col(SignInToken.expires_at) > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(result, "rowcount", 0) or 0) != 1:
        raise NotFound(_NO_SIGN_IN)
    row = session.exec(select(SignInToken).where(SignInToken.token_hash == digest)).one()
    participant = session.get(Participant, row.participant_id)
    if participant is None or participant.erased_at is not None:
        raise NotFound(_NO_SIGN_IN)
    audit.record(
        session,
        action="passport.sign_in",
        organization_id=participant.organization_id,
        object_type="participant",
        object_id=participant.id,
        now=now,
    )
    session.flush()
    return participant
