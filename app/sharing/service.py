"""Share links and public badges.

A participant shares one credential, or the whole passport (``credential_id`` null), by a
link whose random token is stored only as its SHA-256. A link can expire and be revoked; it
shows the holder's name unless turned off and the coach's evidence only when turned on.
Every unknown, expired, revoked or erased participant's link gives the same NotFound.

A participant may also make one credential public at ``/credentials/{public_id}`` without
any link (:func:`set_credential_public`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.config import Settings
from app.db import Bookkeeping
from app.errors import NotFound, ValidationFailed
from app.models import Award, Credential, EvidencePhoto, ForeignBadge, Participant, ShareLink
from app.tokens import hash_token, new_token, plausible

log = logging.getLogger(__name__)

MAX_LINK_LIFETIME = timedelta(days=366)
_NO_LINK = "No such share link."


def share_url(settings: Settings, token: str) -> str:
    """The address an employer opens."""
    return f"{settings.public_origin}/s/{token}"


def owned_credential(session: Session, *, participant: Participant, public_id: str) -> Credential:
    """One of the participant's own credentials, by its public id.

    Raises:
        NotFound: When there is no such credential or it belongs to someone else.
    """
    row = session.exec(
        select(Credential)
        .join(Award, col(Award.id) == col(Credential.award_id))
        .where(Credential.public_id == public_id)
        .where(Award.participant_id == participant.id)
    ).first()
    if row is None or participant.erased_at is not None:
        raise NotFound("No such badge.")
    return row


def participant_credentials(
    session: Session, *, participant: Participant, include_revoked: bool = False
) -> Sequence[Credential]:
    """The participant's credentials, newest first (current ones only by default)."""
    query = (
        select(Credential)
        .join(Award, col(Award.id) == col(Credential.award_id))
        .where(Award.participant_id == participant.id)
        .order_by(col(Credential.issued_at).desc(), col(Credential.id).desc())
    )
    if not include_revoked:
        query = query.where(col(Credential.revoked_at).is_(None)).where(
            col(Credential.replaced_by_id).is_(None)
        )
    return session.exec(query).all()


def create_share_link(
    session: Session,
    *,
    participant: Participant,
    credential_public_id: str | None,
    now: datetime,
    expires_at: datetime | None = None,
    show_name: bool = True,
    show_evidence: bool = False,
    show_photo: bool = False,
    made_for: str = "share",
    foreign_badge_public_id: str | None = None,
    show_foreign: bool = False,
) -> tuple[ShareLink, str]:
    """Create a share link; returns the row and the token (shown once, stored hashed).

    ``credential_public_id`` None shares the whole passport, unless
    ``foreign_badge_public_id`` names one of the participant's badges from other issuers
    (app.passport.foreign); ``made_for`` "print" marks the code of a printout. A
    whole-passport link with ``show_foreign`` shows the badges from other issuers too.
    """
    if made_for not in ("share", "print"):
        raise ValueError(f"unknown purpose of a share link: {made_for}")
    if participant.erased_at is not None:
        raise NotFound("No such participant.")
    credential_id = None
    if credential_public_id is not None:
        credential = owned_credential(
            session, participant=participant, public_id=credential_public_id
        )
        if credential.revoked_at is not None:
            raise ValidationFailed("A revoked badge cannot be shared.")
        credential_id = credential.id
    foreign_badge_id = None
    if foreign_badge_public_id is not None:
        foreign = session.exec(
            select(ForeignBadge)
            .where(ForeignBadge.public_id == foreign_badge_public_id)
            .where(ForeignBadge.participant_id == participant.id)
        ).first()
        if foreign is None or credential_id is not None:
            raise NotFound("No such badge.")
        foreign_badge_id = foreign.id
    if expires_at is not None:
        if expires_at <= now:
            raise ValidationFailed("The expiry must be in the future.")
        if expires_at - now > MAX_LINK_LIFETIME:
            raise ValidationFailed("A link can be valid for at most a year.")
    assert participant.id is not None
    token = new_token()
    link = ShareLink(
        participant_id=participant.id,
        credential_id=credential_id,
        foreign_badge_id=foreign_badge_id,
        token_hash=hash_token(token),
        show_name=show_name,
        show_evidence=show_evidence,
        show_photo=show_photo,
        show_foreign=show_foreign and credential_id is None and foreign_badge_id is None,
        made_for=made_for,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(link)
    session.flush()
    audit.record(
        session,
        action="share.create",
        organization_id=participant.organization_id,
        object_type="share_link",
        object_id=link.id,
        details={
            "scope": "credential"
            if credential_id
            else ("other-badge" if foreign_badge_id else "passport"),
            "for": made_for,
        },
        now=now,
    )
    return link, token


@dataclass(frozen=True)
class ShareLinkInfo:
    """A share link as the participant's own list shows it (never the token)."""

    id: int
    credential_public_id: str | None
    show_name: bool
    show_evidence: bool
    show_photo: bool
    made_for: str
    open_count: int
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    active: bool
    # A one-badge link whose badge was revoked: it opens, but shows the badge as not valid.
    badge_revoked: bool = False
    # A link to a badge of another issuer: its name.
    other_badge_name: str | None = None
    # A whole-passport link that shows the badges from other issuers too.
    show_foreign: bool = False


def list_share_links(
    session: Session, *, participant: Participant, now: datetime
) -> list[ShareLinkInfo]:
    """The participant's links, newest first, with how often each was opened."""
    rows = session.exec(
        select(ShareLink, Credential.public_id, Credential.revoked_at, ForeignBadge.name)
        .join(Credential, col(Credential.id) == col(ShareLink.credential_id), isouter=True)
        .join(ForeignBadge, col(ForeignBadge.id) == col(ShareLink.foreign_badge_id), isouter=True)
        .where(ShareLink.participant_id == participant.id)
        .order_by(col(ShareLink.created_at).desc(), col(ShareLink.id).desc())
    ).all()
    out = []
    for link, credential_public_id, credential_revoked_at, other_badge_name in rows:
        expires = link.expires_at
        assert link.id is not None
        out.append(
            ShareLinkInfo(
                id=link.id,
                credential_public_id=credential_public_id,
                show_name=link.show_name,
                show_evidence=link.show_evidence,
                show_photo=link.show_photo,
                show_foreign=link.show_foreign,
                made_for=link.made_for,
                open_count=link.open_count,
                created_at=link.created_at,
                expires_at=link.expires_at,
                revoked_at=link.revoked_at,
                active=link.revoked_at is None and (expires is None or expires > now),
                badge_revoked=credential_revoked_at is not None,
                other_badge_name=other_badge_name,
            )
        )
    return out


def revoke_share_link(
    session: Session, *, participant: Participant, link_id: int, now: datetime
) -> ShareLink:
    """Stop a link from working; another participant's link id is NotFound."""
    link = session.get(ShareLink, link_id)
    if link is None or link.participant_id != participant.id:
        raise NotFound(_NO_LINK)
    if link.revoked_at is None:
        link.revoked_at = now
        session.add(link)
        session.flush()
        audit.record(
            session,
            action="share.revoke",
            organization_id=participant.organization_id,
            object_type="share_link",
            object_id=link.id,
            now=now,
        )
    return link


def stop_print_links(session: Session, *, participant: Participant, now: datetime) -> int:
    """Stop the working codes of the participant's earlier printouts; how many were stopped."""
    links = session.exec(
        select(ShareLink)
        .where(ShareLink.participant_id == participant.id)
        .where(ShareLink.made_for == "print")
        .where(col(ShareLink.revoked_at).is_(None))
    ).all()
    stopped = 0
    for link in links:
        if link.expires_at is not None and link.expires_at <= now:
            continue
        assert link.id is not None
        revoke_share_link(session, participant=participant, link_id=link.id, now=now)
        stopped += 1
    return stopped


@dataclass(frozen=True)
class OpenedShare:
    """What an opened link shows: one credential or the participant's current ones, all of
    them `participant`'s."""

    link: ShareLink
    participant: Participant
    credentials: list[Credential]
    show_name: bool
    show_evidence: bool
    show_photo: bool


def active_share_link(
    session: Session, token: str, *, now: datetime
) -> tuple[ShareLink, Participant]:
    """The link of a token and its participant, without counting an opening.

    Raises:
        NotFound: For unknown, expired or revoked links and erased participants, all alike.
    """
    if not plausible(token):
        raise NotFound(_NO_LINK)
    link = session.exec(select(ShareLink).where(ShareLink.token_hash == hash_token(token))).first()
    if link is None or link.revoked_at is not None:
        raise NotFound(_NO_LINK)
    expires = link.expires_at
    if expires is not None and expires <= now:
        raise NotFound(_NO_LINK)
    participant = session.get(Participant, link.participant_id)
    if participant is None or participant.erased_at is not None:
        raise NotFound(_NO_LINK)
    return link, participant


def open_share(session: Session, token: str, *, now: datetime) -> OpenedShare:
    """Open a share link (reads only; `count_opening` counts it).

    Raises:
        NotFound: For unknown, expired or revoked links and erased participants, all alike.
    """
    link, participant = active_share_link(session, token, now=now)
    if link.credential_id is not None:
        # Joined with its award, so that every credential returned is known to be this
        # participant's (the page then need not read awards and participants again).
        credential = session.exec(
            select(Credential)
            .join(Award, col(Award.id) == col(Credential.award_id))
            .where(col(Credential.id) == link.credential_id)
            .where(col(Award.participant_id) == participant.id)
        ).first()
        if credential is None:
            raise NotFound(_NO_LINK)
        # A link to a badge revoked later still opens: the page then shows it as revoked,
        # which is what an employer holding the link needs to know.
        credentials = [credential]
    else:
        credentials = list(participant_credentials(session, participant=participant))
    return OpenedShare(
        link=link,
        participant=participant,
        credentials=credentials,
        show_name=link.show_name,
        show_evidence=link.show_evidence,
        show_photo=link.show_photo,
    )


# Incremented in the database, not in Python: parallel openings on several instances add up.
_COUNT_OPENING = (
    update(ShareLink)
    .where(col(ShareLink.id) == bindparam("link_id"))
    .values(open_count=ShareLink.open_count + bindparam("openings"))
)


def count_opening(write: Bookkeeping, link_id: int, openings: int = 1) -> bool:
    """Add `openings` to a share link's count by `write` (app.db.bookkeeping: a short
    transaction of its own; a busy database skips the count rather than fail the employer's
    page, and False is returned)."""
    return write(_COUNT_OPENING, {"link_id": link_id, "openings": openings})


class OpenCounts:
    """Openings of share links counted in this process and added to the database together,
    at most every FLUSH_SECONDS (decision 0016).

    A page view then costs no write: under load the open-count write was a tenth of a share
    page's time and, on SQLite, a turn at the write lock per view. The count a participant
    sees lags by at most FLUSH_SECONDS; an instance that is killed loses the openings of its
    last FLUSH_SECONDS (one stopped in order writes them). A count that cannot be written
    (the database busy or away) is kept for the next round. Instances add to the stored
    count, so theirs add up.
    """

    FLUSH_SECONDS = 1.0
    # Links with unwritten openings kept at most; past that, the oldest are written at once.
    MAX_PENDING = 10_000

    def __init__(self, write: Bookkeeping, *, every: float | None = FLUSH_SECONDS) -> None:
        """`every`: seconds between writes by the thread of `start`; None: no thread (the
        owner calls `flush`, as the in-process tests do on their one connection)."""
        self._write = write
        self._every = every
        self._pending: dict[int, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, link_id: int) -> None:
        with self._lock:
            self._pending[link_id] = self._pending.get(link_id, 0) + 1
            full = len(self._pending) > self.MAX_PENDING
        if full:
            self.flush()

    def pending(self) -> int:
        with self._lock:
            return sum(self._pending.values())

    def flush(self) -> bool:
        """Write every kept count; True when nothing is left unwritten."""
        with self._lock:
            counts, self._pending = self._pending, {}
        failed: dict[int, int] = {}
        for link_id, openings in counts.items():
            if not count_opening(self._write, link_id, openings):
                failed[link_id] = openings
        if failed:
            with self._lock:
                for link_id, openings in failed.items():
                    self._pending[link_id] = self._pending.get(link_id, 0) + openings
        return not failed

    def start(self) -> None:
        """Write the counts every FLUSH_SECONDS from a thread of this process."""
        if self._thread is None and self._every is not None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="open-counts", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread and write what is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()

    def _run(self) -> None:
        assert self._every is not None
        while not self._stop.wait(self._every):
            try:
                self.flush()
            except Exception:
                log.exception("writing the share links' open counts failed")


def shared_photo_ids(
    session: Session, credentials: Sequence[Credential], *, chosen_at: datetime | None
) -> dict[str, str]:
    """Evidence photo of each credential (credential public id -> photo public id).

    `chosen_at` is when the participant chose to show the photos (the link was made): a photo
    attached to a badge later was not in the preview she saw, so the link does not show it.
    Times are kept to the second; a photo of the same second is left out (the safe side).
    None for the preview itself, which shows the photos as they are now.
    """
    award_ids = {c.award_id: c.public_id for c in credentials}
    query = select(EvidencePhoto).where(col(EvidencePhoto.award_id).in_(award_ids))
    if chosen_at is not None:
        query = query.where(col(EvidencePhoto.attached_at) < chosen_at)
    photos = session.exec(query.order_by(col(EvidencePhoto.id))).all()
    out: dict[str, str] = {}
    for photo in photos:
        assert photo.award_id is not None
        out.setdefault(award_ids[photo.award_id], photo.public_id)
    return out


def shared_photo(
    session: Session, token: str, photo_public_id: str, *, now: datetime
) -> EvidencePhoto:
    """An evidence photo that a working share link shows (its evidence turned on, the photo
    of a badge the link shares).

    Raises:
        NotFound: Otherwise, whatever the reason.
    """
    link, participant = active_share_link(session, token, now=now)
    if not link.show_photo:
        raise NotFound("No such photo.")
    if link.credential_id is not None:
        credential = session.get(Credential, link.credential_id)
        credentials = [credential] if credential is not None else []
    else:
        credentials = list(participant_credentials(session, participant=participant))
    ids = shared_photo_ids(session, credentials, chosen_at=link.created_at)
    if photo_public_id not in ids.values():
        raise NotFound("No such photo.")
    photo = session.exec(
        select(EvidencePhoto).where(EvidencePhoto.public_id == photo_public_id)
    ).one()
    return photo


def own_photo(session: Session, *, participant: Participant, photo_public_id: str) -> EvidencePhoto:
    """A photo of the participant's own issued badge, for the participant to see.

    Raises:
        NotFound: For any other photo (someone else's, not attached to an award).
    """
    photo = session.exec(
        select(EvidencePhoto).where(EvidencePhoto.public_id == photo_public_id)
    ).first()
    if (
        photo is None
        or photo.participant_id != participant.id
        or photo.award_id is None
        or participant.erased_at is not None
    ):
        raise NotFound("No such photo.")
    return photo


def set_credential_public(
    session: Session,
    *,
    participant: Participant,
    credential_public_id: str,
    public: bool,
    now: datetime,
) -> Credential:
    """Make one of the participant's badges public at /credentials/{id}, or private again."""
    credential = owned_credential(session, participant=participant, public_id=credential_public_id)
    if public and credential.revoked_at is not None:
        raise ValidationFailed("A revoked badge cannot be made public.")
    if credential.is_public != public:
        credential.is_public = public
        session.add(credential)
        session.flush()
        audit.record(
            session,
            action="credential.public" if public else "credential.private",
            organization_id=credential.organization_id,
            object_type="credential",
            object_id=credential.public_id,
            now=now,
        )
    return credential


def public_credential(session: Session, public_id: str) -> Credential:
    """A credential its holder has made public.

    Raises:
        NotFound: When it does not exist, is not public, or its holder has been erased.
    """
    row = session.exec(
        select(Credential, Participant)
        .join(Award, col(Award.id) == col(Credential.award_id))
        .join(Participant, col(Participant.id) == col(Award.participant_id))
        .where(Credential.public_id == public_id)
    ).first()
    if row is None:
        raise NotFound("No such badge.")
    credential, participant = row
    if not credential.is_public or participant.erased_at is not None:
        raise NotFound("No such badge.")
    return credential
