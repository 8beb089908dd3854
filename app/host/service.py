"""What a client authorised by the participant reads and changes through the Open Badges 3.0
API: her badges (ours and other issuers'), one badge added (upsert) and her profile.

Only the participant's own: every function takes the participant the token was given for.
A badge added through the API is verified and kept exactly as sent, like one added on the
passport page (app/passport/foreign.py); one of our own badges sent back by its holder is
already in the passport and answered as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.config import Settings
from app.credentials.keyresolver import our_did_prefix
from app.credentials.service import credential_url, subject_id
from app.errors import NotFound, ValidationFailed, page_text
from app.models import Award, Credential, ForeignBadge, Participant
from app.net.fetch import Fetcher
from app.passport import foreign
from app.sharing.displayer import Given
from app.sharing.service import owned_credential
from app.vc import strictjson
from app.vc.baking import detect_and_unbake
from app.vc.errors import JwtError
from app.vc.jwt import decode_jws_unverified
from app.vc.verify import issuer_id

NAME_MAX = 200


@dataclass
class CredentialPage:
    """One page of the participant's badges: Data Integrity ones as objects, VC-JWT ones as
    compact strings (GetOpenBadgeCredentialsResponse), and how many there are in all."""

    credential: list[dict[str, Any]]
    compact_jws: list[str]
    total: int


def credential_page(
    session: Session, participant: Participant, *, limit: int, offset: int, since: datetime | None
) -> CredentialPage:
    """The participant's badges, the newest first: ours that stand (not revoked, not replaced
    by a correction; issued at or after `since`) and other issuers' (added at or after it)."""
    own = select(col(Credential.id), col(Credential.issued_at)).join(
        Award, col(Award.id) == col(Credential.award_id)
    )
    own = own.where(
        Award.participant_id == participant.id,
        col(Credential.revoked_at).is_(None),
        col(Credential.replaced_by_id).is_(None),
    )
    theirs = select(col(ForeignBadge.id), col(ForeignBadge.added_at)).where(
        ForeignBadge.participant_id == participant.id
    )
    if since is not None:
        own = own.where(col(Credential.issued_at) >= since)
        theirs = theirs.where(col(ForeignBadge.added_at) >= since)
    entries: list[tuple[datetime, str, int]] = [
        (at, "own", row_id) for row_id, at in session.exec(own).all() if row_id is not None
    ]
    entries += [
        (at, "foreign", row_id) for row_id, at in session.exec(theirs).all() if row_id is not None
    ]
    entries.sort(key=lambda e: (e[0], e[1], e[2]), reverse=True)
    chosen = entries[offset : offset + limit]
    own_rows = _by_id(session, Credential, [i for _, kind, i in chosen if kind == "own"])
    foreign_rows = _by_id(session, ForeignBadge, [i for _, kind, i in chosen if kind == "foreign"])
    page = CredentialPage([], [], len(entries))
    for _, kind, row_id in chosen:
        if kind == "own":
            document = own_rows[row_id].json_ld
            if document:  # an erased holder's credential keeps only its status entry
                page.credential.append(document)
            continue
        form, value = _as_given(foreign_rows[row_id])
        if form == "jwt":
            page.compact_jws.append(value)
        else:
            page.credential.append(value)
    return page


def _by_id(session: Session, model: Any, ids: list[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in session.exec(select(model).where(col(model.id).in_(ids)))}


def _as_given(badge: ForeignBadge) -> tuple[str, Any]:
    """A kept badge as the API gives it: ("jwt", compact JWS) or ("json", the object); a
    baked image gives the credential baked in it."""
    data = badge.data
    if badge.media_type in ("image/png", "image/svg+xml"):
        found = detect_and_unbake(data)
        data = (found[1] if isinstance(found, tuple) else found or "").encode()
    text = data.decode("utf-8").strip()
    if text.startswith("{"):
        return "json", json.loads(text)
    return "jwt", text


# --- upsert --------------------------------------------------------------------------------


@dataclass
class Upsert:
    """A badge sent to the passport, verified (prepared in a read-only transaction, kept in a
    writing one)."""

    badge: ForeignBadge | None  # None: one of our own, already in the passport
    body: bytes


def prepare_upsert(
    session: Session,
    settings: Settings,
    participant: Participant,
    body: bytes,
    *,
    now: datetime,
    fetcher: Fetcher,
) -> Upsert:
    """Verify a badge sent through the API (JSON or compact VC-JWT); nothing is written.

    Raises:
        ValidationFailed: It is not a badge, does not verify, or is someone else's.
    """
    document = _document_of(body)
    issuer = issuer_id(document) or ""
    if issuer.startswith(our_did_prefix(settings)):
        if _is_hers(session, settings, participant, document):
            return Upsert(None, body)
        raise ValidationFailed(
            page_text("This badge is from this service: it is in its owner's passport already.")
        )
    badge = foreign.prepare_foreign_badge(
        session, settings, participant, Given(upload=body), now=now, fetcher=fetcher
    )
    return Upsert(badge, body)


def keep_upsert(session: Session, participant: Participant, upsert: Upsert) -> bool:
    """Keep what `prepare_upsert` verified; True when it is new to the passport (201), False
    when it replaced or matched what was there (200).

    A badge with the same `id` from the same issuer replaces the one kept (its share links
    stay); the very same badge again changes nothing.
    """
    badge = upsert.badge
    if badge is None:
        return False
    mine = select(ForeignBadge).where(ForeignBadge.participant_id == participant.id)
    if session.exec(mine.where(ForeignBadge.digest == badge.digest)).first() is not None:
        return False
    if badge.credential_uri:
        kept = session.exec(
            mine.where(
                ForeignBadge.credential_uri == badge.credential_uri,
                ForeignBadge.issuer_id == badge.issuer_id,
            ).with_for_update()
        ).first()
        if kept is not None:
            for field in ("data", "media_type", "digest", "name", "issuer_name", "issued_at"):
                setattr(kept, field, getattr(badge, field))
            kept.source_url = None
            session.add(kept)
            return False
    foreign.keep_foreign_badge(session, participant, badge, field="upload")
    return True


def _document_of(body: bytes) -> dict[str, Any]:
    text = body.decode("utf-8", errors="replace").strip()
    try:
        if text.startswith("{"):
            document = strictjson.loads(text)
        else:
            payload = decode_jws_unverified(text).payload
            document = dict(payload.get("vc") or payload)
            document.setdefault("issuer", payload.get("iss"))
            document.setdefault("id", payload.get("jti"))
    except (ValueError, RecursionError, JwtError, TypeError) as exc:
        raise ValidationFailed("Send the badge as its JSON or as a compact VC-JWT.") from exc
    if not isinstance(document, dict):
        raise ValidationFailed("Send the badge as its JSON or as a compact VC-JWT.")
    return document


def _is_hers(
    session: Session, settings: Settings, participant: Participant, document: dict[str, Any]
) -> bool:
    """Whether the document's id is that of one of the participant's own credentials."""
    uri = document.get("id")
    prefix = credential_url(settings, "")
    if not isinstance(uri, str) or not uri.startswith(prefix):
        return False
    try:
        owned_credential(session, participant=participant, public_id=uri.removeprefix(prefix))
    except NotFound:
        return False
    return True


# --- profile -------------------------------------------------------------------------------


def profile(participant: Participant) -> dict[str, Any]:
    """The participant as a Profile: the id her badges name, her name and, when the workshop
    keeps one, her e-mail address; nothing more is kept."""
    result: dict[str, Any] = {
        "id": subject_id(participant),
        "type": ["Profile"],
        "name": participant.display_name,
    }
    if participant.email:
        result["email"] = participant.email
    return result


def update_profile(participant: Participant, body: Any, *, now: datetime) -> None:
    """Change the participant's name from a Profile a client sent.

    The service keeps only the name and the e-mail address; the address is where sign-in
    links go, so only the workshop changes it. Other properties are not kept (the answer
    shows the profile as kept).

    Raises:
        ValidationFailed: Not a Profile, another person's, no usable name, or a new address.
    """
    if not isinstance(body, dict):
        raise ValidationFailed("Send a Profile as a JSON object.")
    types = body.get("type")
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or "Profile" not in types:
        raise ValidationFailed('A Profile has "Profile" in its type.')
    if "id" in body and body["id"] != subject_id(participant):
        raise ValidationFailed("This Profile is another person's: its id is not yours.")
    email = body.get("email")
    if email is not None and email != (participant.email or None):
        raise ValidationFailed(
            "The e-mail address is where sign-in links are sent; ask your workshop to change it."
        )
    name = body.get("name")
    if name is None:
        return
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed("Give a name.")
    name = " ".join(name.split())
    if len(name) > NAME_MAX:
        raise ValidationFailed("The name is longer than 200 characters.")
    participant.display_name = name
    participant.updated_at = now
