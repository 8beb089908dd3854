"""What a share page is made from, read in one statement: its state and its fingerprint.

A share page (`/s/{token}`) is a function of rows in the database and of the time: the link
and its participant, the credentials it shows, their awards' badge versions, the issuers'
status lists and keys, the trust registry, the qualification catalog and, when the evidence
is shown, the photos. :func:`page_state` reads all of them in one statement (one round
trip, one snapshot), without the stored credentials' documents (those never change for a
credential id; erasing them erases the participant, which ends the link), and digests them.
The web layer keeps a rendered page under that digest (app/web/public.py): when the digest
read for a request is the same, so is every input of the page's verification and of its
text, and the kept page is the page that would be made now. A revocation, a suspension, a
withdrawn key, a changed trust registry, a new badge in a shared passport or a renamed
participant changes the digest on the very next request, on every instance, as it changed
the verification before (decision 0016).

What depends on the time alone (a credential becoming valid, expiring, or expiring soon) is
covered by :func:`valid_until`: a kept page is used only before the first moment at which
any of its credentials' dates would change what it says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, case, or_, union_all
from sqlalchemy import select as core_select
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import Session, col

from app.errors import NotFound
from app.fingerprints import BitsDigest, by_kind, digest, first_change, moments, part
from app.loop_reads import Read
from app.models import (
    Award,
    BadgeVersion,
    Credential,
    EvidencePhoto,
    ForeignBadge,
    Organization,
    Participant,
    Qualification,
    ShareLink,
    SigningKey,
    StatusList,
    TrustedIssuer,
)
from app.sharing.view import EXPIRY_WARNING
from app.tokens import hash_token, plausible

_NO_LINK = "No such share link."

# A kept page is made again at least this often, whatever its dates say.
PAGE_MAX_AGE = timedelta(minutes=5)


_WIDTH = 13  # values per row: the most any part has (a credential's)


def _part(kind: str, *values: Any) -> Any:
    return part(kind, *values, width=_WIDTH)


_TOKEN: Any = bindparam("token_hash")
_NOW = bindparam("now", type_=ShareLink.__table__.c.expires_at.type)  # type: ignore[attr-defined]
_THE_LINK = col(ShareLink.token_hash) == _TOKEN
# The link's participant's awards (whatever the link shows, a superset of what it needs).
_AWARDS = (
    core_select(col(Award.id))
    .join(ShareLink, col(ShareLink.participant_id) == col(Award.participant_id))
    .where(_THE_LINK)
)
_ORGANIZATIONS = (
    core_select(col(Credential.organization_id))
    .where(col(Credential.award_id).in_(_AWARDS))
    .distinct()
)

# Everything a share page is made from, in one statement (one round trip, one snapshot).
_STATE = union_all(
    _part(
        "link",
        col(ShareLink.id),
        col(ShareLink.participant_id),
        col(ShareLink.credential_id),
        case((col(ShareLink.revoked_at).is_(None), 0), else_=1),
        case((col(ShareLink.expires_at) <= _NOW, 1), else_=0),
        case((col(ShareLink.show_name), 1), else_=0),
        case((col(ShareLink.show_evidence), 1), else_=0),
        col(Participant.display_name),
        case((col(ShareLink.show_photo), 1), else_=0),
        case((col(Participant.erased_at).is_(None), 0), else_=1),
        col(ShareLink.foreign_badge_id),
        case((col(ShareLink.show_foreign), 1), else_=0),
    )
    .join(Participant, col(Participant.id) == col(ShareLink.participant_id))
    .where(_THE_LINK),
    # One badge: the link's credential, if it is this participant's, revoked or not (a link
    # to a badge revoked later shows it as revoked). The passport: the current badges.
    _part(
        "credential",
        col(Credential.id),
        col(Credential.public_id),
        col(Credential.award_id),
        col(Credential.organization_id),
        col(Credential.status_list_id),
        col(Credential.status_index),
        col(Credential.revoked_at),
        col(Credential.suspended_at),
        col(Credential.replaced_by_id),
        col(Credential.issued_at),
        col(Award.badge_version_id),
        col(Award.criteria_observed),
        col(BadgeVersion.content_hash),
    )
    .join(Award, col(Award.id) == col(Credential.award_id))
    .join(BadgeVersion, col(BadgeVersion.id) == col(Award.badge_version_id))
    .join(ShareLink, col(ShareLink.participant_id) == col(Award.participant_id))
    .where(_THE_LINK)
    .where(
        or_(
            col(Credential.id) == col(ShareLink.credential_id),
            and_(
                col(ShareLink.credential_id).is_(None),
                col(ShareLink.foreign_badge_id).is_(None),
                col(Credential.revoked_at).is_(None),
                col(Credential.replaced_by_id).is_(None),
            ),
        )
    ),
    _part(
        "status",
        col(StatusList.id),
        col(StatusList.public_id),
        col(StatusList.purpose),
        col(StatusList.version),
        BitsDigest(col(StatusList.bits)),
    ).where(col(StatusList.organization_id).in_(_ORGANIZATIONS)),
    _part(
        "key",
        col(SigningKey.organization_id),
        col(SigningKey.key_id),
        col(SigningKey.status),
        col(SigningKey.public_jwk),
    ).where(col(SigningKey.organization_id).in_(_ORGANIZATIONS)),
    _part("trusted", col(TrustedIssuer.issuer_id), col(TrustedIssuer.documents)),
    _part("organization", col(Organization.id), col(Organization.slug)),
    _part("catalog", col(Qualification.id), col(Qualification.content_hash)),
    _part("photo", col(EvidencePhoto.award_id), col(EvidencePhoto.public_id)).where(
        col(EvidencePhoto.award_id).in_(_AWARDS)
    ),
    # A whole-passport link that shows the badges from other issuers too: which they are.
    _part("foreign", col(ForeignBadge.id), col(ForeignBadge.digest))
    .join(ShareLink, col(ShareLink.participant_id) == col(ForeignBadge.participant_id))
    .where(_THE_LINK)
    .where(
        col(ShareLink.show_foreign),
        col(ShareLink.credential_id).is_(None),
        col(ShareLink.foreign_badge_id).is_(None),
    ),
)
_KINDS = (
    "link",
    "credential",
    "status",
    "key",
    "trusted",
    "organization",
    "catalog",
    "photo",
    "foreign",
)


@dataclass(frozen=True)
class PageState:
    """A working share link and the digest of everything its page is made from."""

    link_id: int
    passport: bool  # the whole passport, not one badge
    credential_ids: tuple[int, ...]
    fingerprint: str
    # A link to a badge of another issuer (app.passport.foreign): verified with the network
    # on every opening, never kept.
    foreign_badge_id: int | None = None
    # A whole-passport link's badges from other issuers, when it shows them: the page is
    # then verified with the network on every opening and never kept, as above.
    foreign_ids: tuple[int, ...] = ()


def page_state(session: Session, token: str, *, now: datetime) -> PageState:
    """Read what the page of `token` is made from, in one statement (so in one snapshot of
    the database on either database, in or out of a transaction).

    Raises:
        NotFound: For unknown, expired or revoked links and erased participants, all alike
            (as sharing.service.active_share_link).
    """
    return state_of(session.connection().execute(_STATE, state_params(token, now=now)))


def state_params(token: str, *, now: datetime) -> dict[str, Any]:
    """The parameters of the statement `page_state` sends (`state_read`).

    Raises:
        NotFound: For a token that no link could have.
    """
    if not plausible(token):
        raise NotFound(_NO_LINK)
    return {"token_hash": hash_token(token), "now": now}


@lru_cache(maxsize=4)
def state_read(dialect: Dialect) -> Read:
    """`page_state`'s statement for a read on the event loop (app.loop_reads), to be given
    `state_params`; its rows go to `state_of`."""
    compiled: SQLCompiler = _STATE.compile(dialect=dialect)
    return Read.prepare(compiled, {"token_hash": None, "now": None})


def state_of(rows: Iterable[Sequence[Any]]) -> PageState:
    """The page state in the rows of `page_state`'s statement.

    Raises:
        NotFound: As `page_state`.
    """
    parts = by_kind(rows, _KINDS)
    if len(parts["link"]) != 1:
        raise NotFound(_NO_LINK)
    link = parts["link"][0]
    link_id, _, credential_id, revoked, expired, _, _, _, _, erased, foreign_id = link[:11]
    if revoked != "0" or expired != "0" or erased != "0":
        raise NotFound(_NO_LINK)
    if credential_id is not None and not parts["credential"]:
        raise NotFound(_NO_LINK)  # (a passport with no current badge still opens)
    assert link_id is not None
    return PageState(
        link_id=int(link_id),
        passport=credential_id is None and foreign_id is None,
        foreign_badge_id=None if foreign_id is None else int(foreign_id),
        credential_ids=tuple(int(row[0]) for row in parts["credential"] if row[0] is not None),
        fingerprint=digest(parts, _KINDS),
        foreign_ids=tuple(int(row[0]) for row in parts["foreign"] if row[0] is not None),
    )


def valid_until(documents: Iterable[Mapping[str, Any]], *, now: datetime) -> datetime:
    """The first moment after `now` at which a page of these credentials could read
    differently because of the time alone: any date in them (validFrom, validUntil, an
    endorsement's...) or EXPIRY_WARNING before it, at most PAGE_MAX_AGE ahead."""
    return first_change(
        moments(documents), offsets=(timedelta(0), -EXPIRY_WARNING), now=now, at_most=PAGE_MAX_AGE
    )
