"""Badges from other issuers kept in the participant's passport (issue #16, Displayer).

A participant may already hold badges from a school or a course. She adds one by its file
(JSON, VC-JWT, or a baked PNG or SVG), as pasted text or by its address. It is kept exactly
as given, never signed or changed here, listed apart from the badges of this service and
marked with its own issuer.

What may be added: a badge that verifies now (its issuer's signature and key, its status,
its dates), that is not one of this service's own (those are in their owner's passport
already) and, when the participant has an e-mail address and the badge names its
recipient by one, that names hers. It is verified again every time it is shown: a badge
its issuer revokes later shows as revoked, and the participant can remove it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.config import Settings
from app.credentials.keyresolver import our_did_prefix
from app.errors import AppError, NotFound, ValidationFailed, page_text
from app.models import ForeignBadge, Participant, ShareLink
from app.net.fetch import Fetcher, SafeFetcher
from app.sharing.displayer import Given, GivenInvalid, given_data, result_view
from app.sharing.view import PublicCredentialView
from app.vc.dates import parse_datetime
from app.vc.verify import VerificationResult, issuer_id
from app.verification.service import fetch_policy, verify

# Enough for every school and course badge a person collects; bounds what one passport
# stores (each badge at most 2 MB, app.sharing.displayer).
MAX_FOREIGN_BADGES = 100

_MEDIA_TYPES = {
    "json": "application/vc+ld+json",
    "jwt": "application/vc+jwt",
    "png": "image/png",
    "svg": "image/svg+xml",
}

# The failed check that says best why a badge cannot be added, in this order.
_REFUSALS = (
    (
        "recipient_mismatch",
        page_text("This badge was given to someone else: its e-mail address is not yours."),
    ),
    ("revoked", page_text("The issuer has revoked this badge.")),
    ("suspended", page_text("The issuer has suspended this badge.")),
    ("expired", page_text("This badge has expired.")),
    ("not_yet_valid", page_text("This badge is not valid yet.")),
)
_NOT_GENUINE = page_text(
    "This badge could not be verified as genuine, so it was not added. "
    'The "Check a badge" page shows each check.'
)


def add_foreign_badge(
    session: Session,
    settings: Settings,
    participant: Participant,
    given: Given,
    *,
    now: datetime,
    fetcher: Fetcher,
) -> ForeignBadge:
    """Verify the badge given and keep it in the participant's passport, in one transaction
    (`prepare_foreign_badge`, then `keep_foreign_badge`; a page that may wait on other hosts
    does the two in transactions of their own).

    Raises:
        GivenInvalid: As the two.
    """
    badge = prepare_foreign_badge(session, settings, participant, given, now=now, fetcher=fetcher)
    return keep_foreign_badge(session, participant, badge, field=given_field(given))


def given_field(given: Given) -> str:
    """The form field the badge was given in (where an error about it is shown)."""
    return next((way for way in ("upload", "url", "text") if getattr(given, way)), "text")


def prepare_foreign_badge(
    session: Session,
    settings: Settings,
    participant: Participant,
    given: Given,
    *,
    now: datetime,
    fetcher: Fetcher,
) -> ForeignBadge:
    """The badge given, verified now, as it would be kept; nothing is written (`session`
    is only read, and may wait on other hosts through `fetcher`).

    Raises:
        GivenInvalid: Nothing, too much or something unreadable was given; or the badge
            does not verify, is ours or is someone else's.
    """
    assert participant.id is not None
    field = given_field(given)
    data = given_data(session, settings, given, fetcher=fetcher)
    result = verify(
        session,
        settings,
        data,
        now=now,
        recipient_email=participant.email or None,
        fetcher=fetcher,
    )
    document = result.credential or {}
    issuer = issuer_id(document) or ""
    if issuer.startswith(our_did_prefix(settings)):
        raise _refused(
            field,
            page_text("This badge is from this service: it is in its owner's passport already."),
        )
    if result.outcome != "verified":
        raise _refused(field, _refusal(result))
    stored = _stored_bytes(data)
    view = result_view(session, settings, result, now=now, public_id="new")
    return ForeignBadge(
        participant_id=participant.id,
        data=stored,
        media_type=_MEDIA_TYPES.get(result.input_format or "", "application/octet-stream"),
        digest=hashlib.sha256(stored).hexdigest(),
        source_url=given.url.strip() or None,
        name=(view.name or "")[:300],
        issuer_id=issuer[:2000],
        issuer_name=(view.issuer.name or issuer)[:300],
        issued_at=_issued_at(document),
        credential_uri=_credential_uri(document),
        added_at=now,
    )


def keep_foreign_badge(
    session: Session, participant: Participant, badge: ForeignBadge, *, field: str
) -> ForeignBadge:
    """Keep a badge `prepare_foreign_badge` made in the participant's passport.

    Raises:
        GivenInvalid: The badge is in the passport already, or it holds MAX_FOREIGN_BADGES
            (the error is given for the form field `field`).
    """
    assert badge.participant_id == participant.id
    mine = select(ForeignBadge).where(ForeignBadge.participant_id == participant.id)
    if session.exec(mine.where(ForeignBadge.digest == badge.digest)).first() is not None:
        raise _refused(field, page_text("This badge is in your passport already."))
    if count_foreign_badges(session, participant) >= MAX_FOREIGN_BADGES:
        raise _refused(
            field,
            page_text(
                "Your passport holds 100 badges from other issuers: remove one to add another."
            ),
        )
    try:
        with session.begin_nested():  # the same badge added twice at once: one is kept
            session.add(badge)
    except IntegrityError as exc:
        raise _refused(field, page_text("This badge is in your passport already.")) from exc
    return badge


def foreign_badges(session: Session, participant: Participant) -> list[ForeignBadge]:
    """The participant's badges from other issuers, the newest added first."""
    return list(
        session.exec(
            select(ForeignBadge)
            .where(ForeignBadge.participant_id == participant.id)
            .order_by(col(ForeignBadge.added_at).desc(), col(ForeignBadge.id).desc())
        )
    )


def count_foreign_badges(session: Session, participant: Participant) -> int:
    count: int = session.exec(
        select(func.count())
        .select_from(ForeignBadge)
        .where(ForeignBadge.participant_id == participant.id)
    ).one()
    return count


def owned_foreign_badge(session: Session, participant: Participant, public_id: str) -> ForeignBadge:
    """One of the participant's badges from other issuers.

    Raises:
        NotFound: Unknown, or someone else's (alike).
    """
    badge = session.exec(
        select(ForeignBadge)
        .where(ForeignBadge.public_id == public_id)
        .where(ForeignBadge.participant_id == participant.id)
    ).first()
    if badge is None:
        raise NotFound(page_text("No such badge in your passport."))
    return badge


def remove_foreign_badge(session: Session, participant: Participant, public_id: str) -> None:
    """Remove a badge from other issuers from the passport (it is not kept anywhere here),
    with the links that shared it.

    Raises:
        NotFound: As owned_foreign_badge.
    """
    badge = owned_foreign_badge(session, participant, public_id)
    session.execute(delete(ShareLink).where(col(ShareLink.foreign_badge_id) == badge.id))
    session.delete(badge)
    session.flush()


def foreign_view(
    session: Session,
    settings: Settings,
    badge: ForeignBadge,
    *,
    now: datetime,
    fetcher: Fetcher,
    holder_name: str | None = None,
) -> PublicCredentialView:
    """The badge as the badge pages show it, verified now (with its holder's name where
    she chose to show it: a share link)."""
    result = verify(session, settings, badge.data, now=now, fetcher=fetcher)
    return result_view(
        session, settings, result, now=now, public_id=badge.public_id, holder_name=holder_name
    )


def passport_views(
    session: Session, settings: Settings, participant: Participant, *, now: datetime
) -> list[PublicCredentialView]:
    """Each of the participant's badges from other issuers as the pages show it, verified
    now (fetching their issuers' keys and status where needed: call it where waiting on
    other hosts holds nothing up)."""
    fetcher = SafeFetcher(fetch_policy(settings))
    return [
        foreign_view(session, settings, badge, now=now, fetcher=fetcher)
        for badge in foreign_badges(session, participant)
    ]


def _stored_bytes(data: bytes | str | dict[str, Any]) -> bytes:
    """The badge's bytes as given (a file or a fetched document as it came; pasted text in
    UTF-8, without the blank space around it)."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.strip().encode("utf-8")
    # A dict comes only from our own database (credential_at), refused above.
    raise _refused("url", _NOT_GENUINE)


def _credential_uri(document: dict[str, Any]) -> str | None:
    value = document.get("id")
    return value[:2000] if isinstance(value, str) and value else None


def _issued_at(document: dict[str, Any]) -> datetime | None:
    value = document.get("validFrom") or document.get("issuanceDate")
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _refusal(result: VerificationResult) -> str:
    failed = {c.code for c in result.checks if c.status == "failed"}
    for code, message in _REFUSALS:
        if code in failed:
            return message
    return _NOT_GENUINE


def _refused(field: str, message: str) -> GivenInvalid:
    errors: dict[str, AppError] = {field: ValidationFailed(message)}
    return GivenInvalid(errors)
