"""A participant's data rights: a copy of everything about them, and erasure.

Export (right of access): the participant's own fields, awards, credentials (with the signed
documents), share links and the list of what was done with them (action and time). Staff
identities, IP addresses and other people's data are left out. Revocation reasons *are*
included: they are written about the person, and the access right covers them
(docs/decisions/0005-privacy-export-and-erasure.md).

Erasure: every credential is revoked (the status bits stay set, so copies already handed out
verify as revoked), the signed documents, narratives, evidence photos, name, e-mail, period,
passport link, PIN, sign-in links, queued e-mails and share links are deleted, audit events
about the person keep their action and time but lose their details and addresses, and
``erased_at`` is set.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, or_, select

from app.audit import service as audit
from app.config import Settings
from app.credentials.service import revoke_credential
from app.errors import NotFound
from app.models import (
    AuditEvent,
    Award,
    AwardJobItem,
    BadgeDefinition,
    BadgeVersion,
    Credential,
    EvidencePhoto,
    ForeignBadge,
    HostAuthorizationCode,
    HostClient,
    HostToken,
    Organization,
    OutboxMessage,
    Participant,
    ShareLink,
    SignInToken,
    WalletOffer,
)

ERASED_NAME = "(erased)"
ERASURE_REASON = "The holder's data was erased."


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _credentials(session: Session, participant: Participant) -> list[tuple[Credential, Award]]:
    return list(
        session.exec(
            select(Credential, Award)
            .join(Award, col(Award.id) == col(Credential.award_id))
            .where(Award.participant_id == participant.id)
            .order_by(col(Credential.id))
        ).all()
    )


def _about_participant(
    participant: Participant, credential_ids: list[str], link_ids: list[str]
) -> Any:
    """The audit events whose object is the participant, one of their credentials or links."""
    return or_(
        (col(AuditEvent.object_type) == "participant")
        & (col(AuditEvent.object_id) == str(participant.id)),
        (col(AuditEvent.object_type) == "credential")
        & col(AuditEvent.object_id).in_(credential_ids),
        (col(AuditEvent.object_type) == "share_link") & col(AuditEvent.object_id).in_(link_ids),
    )


def export_participant_data(
    session: Session, *, participant: Participant, now: datetime
) -> dict[str, Any]:
    """Everything the service holds about the participant, as JSON-compatible data."""
    if participant.erased_at is not None:
        raise NotFound("No such participant.")
    organization = session.get(Organization, participant.organization_id)
    assert organization is not None
    rows = _credentials(session, participant)
    awards = []
    credentials = []
    for credential, award in rows:
        version = session.get(BadgeVersion, award.badge_version_id)
        badge = session.get(BadgeDefinition, version.badge_id) if version else None
        awards.append(
            {
                "badge": badge.slug if badge else None,
                "badge_version": version.version_label if version else None,
                "criteria_observed": list(award.criteria_observed),
                "narrative": award.narrative,
                "activity_start": _iso(award.activity_start),
                "activity_end": _iso(award.activity_end),
                "state": award.state,
                "created_at": _iso(award.created_at),
                "credential": credential.public_id,
            }
        )
        credentials.append(
            {
                "id": credential.public_id,
                "issued_at": _iso(credential.issued_at),
                "valid_from": _iso(credential.valid_from),
                "valid_until": _iso(credential.valid_until),
                "revoked_at": _iso(credential.revoked_at),
                "revocation_reason": credential.revocation_reason,
                "suspended_at": _iso(credential.suspended_at),
                "is_public": credential.is_public,
                "document": credential.json_ld,
            }
        )
    links = session.exec(
        select(ShareLink, Credential.public_id, ForeignBadge.public_id)
        .join(Credential, col(Credential.id) == col(ShareLink.credential_id), isouter=True)
        .join(ForeignBadge, col(ForeignBadge.id) == col(ShareLink.foreign_badge_id), isouter=True)
        .where(ShareLink.participant_id == participant.id)
        .order_by(col(ShareLink.id))
    ).all()
    share_links = [
        {
            "id": link.id,
            "credential": credential_public_id,
            "other_badge": other_badge_public_id,
            "show_name": link.show_name,
            "show_evidence": link.show_evidence,
            "show_photo": link.show_photo,
            "show_foreign": link.show_foreign,
            "open_count": link.open_count,
            "created_at": _iso(link.created_at),
            "expires_at": _iso(link.expires_at),
            "revoked_at": _iso(link.revoked_at),
        }
        for link, credential_public_id, other_badge_public_id in links
    ]
    credential_ids = {c.id: c.public_id for c, _ in rows}
    wallet_copies = [
        {
            "credential": credential_ids.get(offer.credential_id),
            "wallet_did": offer.holder_did,
            "delivered_at": _iso(offer.used_at),
            "protocol": offer.protocol,
        }
        for offer in session.exec(
            select(WalletOffer)
            .where(WalletOffer.participant_id == participant.id)
            .where(col(WalletOffer.used_at).is_not(None))
            .order_by(col(WalletOffer.used_at))
        ).all()
    ]
    other_badges = [
        {
            "id": badge.public_id,
            "name": badge.name,
            "issuer": badge.issuer_name,
            "issuer_id": badge.issuer_id,
            "issued_at": _iso(badge.issued_at),
            "added_at": _iso(badge.added_at),
            "from_address": badge.source_url,
            "media_type": badge.media_type,
            # As it was added: a JSON or JWT text, or a baked image in base64.
            "badge": badge.data.decode()
            if badge.media_type.startswith("application/")
            else base64.b64encode(badge.data).decode(),
        }
        for badge in session.exec(
            select(ForeignBadge)
            .where(ForeignBadge.participant_id == participant.id)
            .order_by(col(ForeignBadge.id))
        ).all()
    ]
    events = session.exec(
        select(AuditEvent)
        .where(
            _about_participant(
                participant,
                [c.public_id for c, _ in rows],
                [str(link.id) for link, _, _ in links],
            )
        )
        .order_by(col(AuditEvent.id))
    ).all()
    audit.record(
        session,
        action="participant.export",
        organization_id=participant.organization_id,
        object_type="participant",
        object_id=participant.id,
        now=now,
    )
    session.flush()
    return {
        "exported_at": _iso(now),
        "organization": {"name": organization.name, "url": organization.url},
        "participant": {
            "id": participant.public_id,
            "display_name": participant.display_name,
            "email": participant.email,
            "period_start": _iso(participant.period_start),
            "period_end": _iso(participant.period_end),
            "created_at": _iso(participant.created_at),
            "updated_at": _iso(participant.updated_at),
            "has_passport_link": participant.passport_token_hash is not None,
            "has_pin": participant.pin_hash is not None,
        },
        "awards": awards,
        "credentials": credentials,
        "share_links": share_links,
        "wallet_copies": wallet_copies,
        "badges_from_other_issuers": other_badges,
        "services_with_access": _services_with_access(session, participant),
        "events": [{"action": e.action, "at": _iso(e.created_at)} for e in events],
    }


def _services_with_access(session: Session, participant: Participant) -> list[dict[str, Any]]:
    """Every service the participant let in through the Open Badges 3.0 API, with each
    grant's scopes and dates (tokens themselves are kept only as hashes, not given)."""
    rows = session.exec(
        select(HostToken, HostClient)
        .join(HostClient, col(HostClient.id) == col(HostToken.client_id))
        .where(HostToken.participant_id == participant.id)
        .order_by(col(HostToken.id))
    ).all()
    return [
        {
            "service": client.client_metadata.get("client_name"),
            "service_address": client.client_metadata.get("client_uri"),
            "scope": token.scope,
            "issued_at": _iso(token.issued_at),
            "expires_at": _iso(token.expires_at),
            "revoked_at": _iso(token.revoked_at),
        }
        for token, client in rows
    ]


@dataclass(frozen=True)
class ErasureReport:
    credentials_revoked: int
    credentials_erased: int
    share_links_deleted: int


def erase_participant(
    session: Session,
    settings: Settings,
    *,
    participant: Participant,
    actor_user_id: int | None,
    now: datetime,
) -> ErasureReport:
    """Erase the participant's personal data; their credentials stay revoked for good."""
    if participant.erased_at is not None:
        raise NotFound("No such participant.")
    assert participant.id is not None
    rows = _credentials(session, participant)
    revoked = 0
    for credential, _ in rows:
        if credential.revoked_at is None:
            revoke_credential(
                session,
                settings,
                credential=credential,
                reason=ERASURE_REASON,
                actor_user_id=actor_user_id,
                now=now,
            )
            revoked += 1
    for credential, award in rows:
        # The signed documents hold the evidence narrative and the e-mail's identity hash;
        # the row keeps only its status entry, so the index is never given to anyone else.
        credential.json_ld = {}
        credential.jwt = ""
        credential.revocation_reason = ERASURE_REASON
        credential.is_public = False
        award.narrative = ""
        award.activity_start = award.activity_end = None
        session.add(credential)
        session.add(award)
    link_ids = [
        str(i)
        for i in session.exec(
            select(ShareLink.id).where(ShareLink.participant_id == participant.id)
        ).all()
    ]
    session.execute(delete(ShareLink).where(col(ShareLink.participant_id) == participant.id))
    session.execute(delete(SignInToken).where(col(SignInToken.participant_id) == participant.id))
    # Which wallets hold a copy (a DID each): the copies themselves are revoked with the badge.
    session.execute(delete(WalletOffer).where(col(WalletOffer.participant_id) == participant.id))
    session.execute(
        delete(EvidencePhoto).where(col(EvidencePhoto.participant_id) == participant.id)
    )
    session.execute(delete(HostToken).where(col(HostToken.participant_id) == participant.id))
    session.execute(
        delete(HostAuthorizationCode).where(
            col(HostAuthorizationCode.participant_id) == participant.id
        )
    )
    session.execute(delete(ForeignBadge).where(col(ForeignBadge.participant_id) == participant.id))
    session.execute(
        delete(OutboxMessage).where(col(OutboxMessage.participant_id) == participant.id)
    )
    # A group award's sentence about the person goes too; one still waiting is not issued.
    session.execute(
        update(AwardJobItem)
        .where(col(AwardJobItem.participant_id) == participant.id)
        .values(sentence="")
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.execute(
        update(AuditEvent)
        .where(_about_participant(participant, [c.public_id for c, _ in rows], link_ids))
        .values(details={}, ip_address=None)
        .execution_options(synchronize_session=False)
    )
    participant.display_name = ERASED_NAME
    participant.email = None
    participant.period_start = participant.period_end = None
    participant.passport_token_hash = None
    participant.passport_token_created_at = None
    participant.pin_hash = None
    participant.pin_failures = 0
    participant.pin_failures_since = None
    participant.erased_at = now
    participant.updated_at = now
    session.add(participant)
    session.flush()
    audit.record(
        session,
        action="participant.erase",
        organization_id=participant.organization_id,
        actor_user_id=actor_user_id,
        object_type="participant",
        object_id=participant.id,
        now=now,
    )
    session.flush()
    return ErasureReport(
        credentials_revoked=revoked,
        credentials_erased=len(rows),
        share_links_deleted=len(link_ids),
    )
