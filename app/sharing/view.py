"""The data the public verification page shows for one credential.

The badge's own words come from the signed credential (what the holder can show anyone);
the ePerusteet units and skill requirements come from the recognition summary that the
verification API also uses; the state comes from verifying the credential **now** with the
service's own verifier, against the database's status lists and keys.

No verification result is cached: a page must never say "valid" after a revocation or a key
compromise, and verifying one of our credentials needs no network (keys, status lists and
contexts are local). The one fact kept between requests is that an exact document's Data
Integrity proof verified with an exact key (app.vc.dataintegrity.VerifiedProofs), which
spares its canonicalization; the key's status, the status list, the validity window and the
trust registry are read on every request (decision 0015).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from app.catalog.categories import CATEGORY_NAMES
from app.catalog.schemas import Badge
from app.config import Settings
from app.errors import NotFound
from app.models import Award, BadgeVersion, Credential, Participant
from app.vc.dates import parse_datetime
from app.vc.verify import VerificationResult
from app.verification.schemas import RecognitionSummary
from app.verification.service import verify_many
from app.verification.summary import CatalogIndex, catalog_index, recognition_summary

EXPIRY_WARNING = timedelta(days=30)


class State(StrEnum):
    green = "green"  # verified, nothing to note
    amber = "amber"  # verified with notes (expiring soon, ...), or intact by an unconfirmed key
    red = "red"  # failed: revoked, suspended, expired, tampered, key withdrawn


@dataclass(frozen=True)
class CheckView:
    id: str
    status: str  # passed, failed, skipped, warning
    code: str
    message: str


@dataclass(frozen=True)
class VerificationView:
    state: State
    checks: list[CheckView]
    checked_at: datetime
    # The signature is intact but the key could not be bound to the issuer: amber, and
    # never "genuine" (VerificationResult.outcome == "issuer_unconfirmed").
    issuer_unconfirmed: bool = False

    @property
    def verified(self) -> bool:
        return self.state is not State.red and not self.issuer_unconfirmed


@dataclass(frozen=True)
class IssuerView:
    id: str | None
    name: str | None
    url: str | None


@dataclass(frozen=True)
class EvidenceView:
    name: str | None
    narrative: str | None


@dataclass(frozen=True)
class CatalogText:
    """A badge's texts in every language, from the catalog version it was awarded from
    (the credential itself is written in Finnish)."""

    name: dict[str, str]
    description: dict[str, str]
    criteria: dict[str, list[str]]
    area: dict[str, str] = field(default_factory=dict)  # the category's name
    level: int | None = None


@dataclass(frozen=True)
class PublicCredentialView:
    public_id: str
    url: str | None
    name: str | None
    description: str | None
    criteria: str | None
    achievement_type: str | None
    image_url: str | None
    issuer: IssuerView
    valid_from: str | None
    valid_until: str | None
    recognition: RecognitionSummary
    verification: VerificationView
    holder_name: str | None = None
    evidence: list[EvidenceView] = field(default_factory=list)
    catalog_text: CatalogText | None = None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def reduce_result(result: VerificationResult, *, now: datetime) -> VerificationView:
    """Green, amber or red with the list of checks.

    Red when any check failed, except that a valid signature by a key that could not be
    bound to the issuer is amber (intact, issuer unconfirmed, not verified); amber when a
    check warned or was skipped, or the credential expires within :data:`EXPIRY_WARNING`;
    green otherwise.
    """
    checks = [CheckView(c.id, c.status, c.code, c.message) for c in result.checks]
    credential = result.credential or {}
    until = credential.get("validUntil") or credential.get("expirationDate")
    if result.verified and until:
        try:
            end = parse_datetime(until)
        except ValueError:
            end = None
        if end is not None and end - now <= EXPIRY_WARNING:
            checks.append(
                CheckView(
                    "validity",
                    "warning",
                    "expiring_soon",
                    f"The credential expires soon ({until}).",
                )
            )
    unconfirmed = result.outcome == "issuer_unconfirmed"
    if unconfirmed:
        state = State.amber
    elif not result.verified:
        state = State.red
    elif any(c.status in ("warning", "skipped") for c in checks):
        state = State.amber
    else:
        state = State.green
    return VerificationView(
        state=state, checks=checks, checked_at=now, issuer_unconfirmed=unconfirmed
    )


def _achievement(credential: Mapping[str, Any]) -> Mapping[str, Any]:
    subject = next(iter(_as_list(credential.get("credentialSubject"))), None)
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    return achievement if isinstance(achievement, Mapping) else {}


def build_public_view(
    session: Session,
    settings: Settings,
    *,
    credential: Credential,
    now: datetime,
    show_name: bool,
    show_evidence: bool,
) -> PublicCredentialView:
    """The public page's data for one of our credentials, verified now.

    ``show_name`` and ``show_evidence`` come from the share link (or, for a badge made
    public without a link, the defaults: name shown, evidence hidden).

    Raises:
        NotFound: When the holder has been erased (the stored credential is gone).
    """
    return shared_views(
        session,
        settings,
        credentials=[credential],
        now=now,
        show_name=show_name,
        show_evidence=show_evidence,
    )[0]


def shared_views(
    session: Session,
    settings: Settings,
    *,
    credentials: list[Credential],
    now: datetime,
    show_name: bool,
    show_evidence: bool,
    holder: Participant | None = None,
) -> list[PublicCredentialView]:
    """Views of every credential a page shows (an opened share link, a public badge),
    verified now and together: one verifier, each key and status list looked up once
    (app.verification.service.verify_many), the catalog's index read once.

    ``holder``: the participant all the credentials belong to, when the caller has read
    them as that participant's (an opened share link); otherwise each credential's award
    and participant are read here.

    Raises:
        NotFound: When a holder has been erased (the stored credential is gone).
    """
    if not credentials:
        return []
    holders: dict[int, Participant]
    if holder is not None:
        holders = {c.award_id: holder for c in credentials}
    else:
        holders = _holders(session, credentials)
    for credential in credentials:
        participant = holders.get(credential.award_id)
        if participant is None or participant.erased_at is not None or not credential.json_ld:
            raise NotFound("No such badge.")
    results = verify_many(session, settings, [c.json_ld for c in credentials], now=now)
    catalog = catalog_index(session)
    texts = _catalog_texts(session, credentials)
    return [
        _view(
            credential,
            result,
            catalog=catalog,
            session=session,
            now=now,
            holder_name=holders[credential.award_id].display_name if show_name else None,
            show_evidence=show_evidence,
            catalog_text=texts.get(credential.award_id),
        )
        for credential, result in zip(credentials, results, strict=True)
    ]


def _catalog_texts(session: Session, credentials: list[Credential]) -> dict[int, CatalogText]:
    """Each credential's badge texts in every language, by award id (one query): the name,
    the description and the criteria the coach observed, from the version awarded."""
    rows = session.exec(
        select(Award.id, Award.criteria_observed, BadgeVersion.definition)
        .join(BadgeVersion, col(BadgeVersion.id) == col(Award.badge_version_id))
        .where(col(Award.id).in_({c.award_id for c in credentials}))
    ).all()
    texts: dict[int, CatalogText] = {}
    for award_id, observed, definition in rows:
        if award_id is None:
            continue
        badge = Badge.model_validate(definition)
        criteria = [c for c in badge.criteria if c.id in set(observed)]
        texts[award_id] = CatalogText(
            name=badge.name.model_dump(),
            description=badge.description.model_dump(),
            criteria={
                language: [str(getattr(c.text, language) or c.text.fi) for c in criteria]
                for language in ("fi", "sv", "en")
            },
            area=CATEGORY_NAMES[badge.category],
            level=badge.level,
        )
    return texts


def _holders(session: Session, credentials: list[Credential]) -> dict[int, Participant]:
    """Each credential's holder, by award id (one query)."""
    rows = session.exec(
        select(Award.id, Participant)
        .join(Participant, col(Participant.id) == col(Award.participant_id))
        .where(col(Award.id).in_({c.award_id for c in credentials}))
    ).all()
    return {award_id: participant for award_id, participant in rows if award_id is not None}


def _view(
    credential: Credential,
    result: VerificationResult,
    *,
    catalog: CatalogIndex,
    session: Session,
    now: datetime,
    holder_name: str | None,
    show_evidence: bool,
    catalog_text: CatalogText | None = None,
) -> PublicCredentialView:
    return document_view(
        credential.json_ld,
        result,
        public_id=credential.public_id,
        catalog=catalog,
        session=session,
        now=now,
        holder_name=holder_name,
        show_evidence=show_evidence,
        catalog_text=catalog_text,
    )


def _shown_image(image: Any, *, foreign: bool, own_origin: str) -> str | None:
    url = _text(image.get("id")) if isinstance(image, Mapping) else _text(image)
    # A given badge's image is shown only when it is in the credential itself or on this
    # service: fetching it from elsewhere would tell that host who looks at the badge (and
    # the pages' policy allows no other origin).
    if foreign and url is not None and not url.startswith(("data:image/", f"{own_origin}/")):
        return None
    return url


def document_view(
    document: Mapping[str, Any],
    result: VerificationResult,
    *,
    public_id: str,
    catalog: CatalogIndex,
    session: Session,
    now: datetime,
    holder_name: str | None,
    show_evidence: bool,
    catalog_text: CatalogText | None = None,
    foreign: bool = False,
    own_origin: str = "",
) -> PublicCredentialView:
    """The page's data for a credential document and its verification result (`foreign`: a
    document a visitor gave, not one of ours)."""
    achievement = _achievement(document)
    issuer = document.get("issuer")
    issuer_obj = issuer if isinstance(issuer, Mapping) else {}
    image = achievement.get("image") or document.get("image")
    criteria = achievement.get("criteria")
    alignments = [a for a in _as_list(achievement.get("alignment")) if isinstance(a, Mapping)]
    evidence = []
    if show_evidence:
        evidence = [
            EvidenceView(name=_text(e.get("name")), narrative=_text(e.get("narrative")))
            for e in _as_list(document.get("evidence"))
            if isinstance(e, Mapping)
        ]
    return PublicCredentialView(
        public_id=public_id,
        url=_text(document.get("id")),
        name=_text(achievement.get("name")) or _text(document.get("name")),
        description=_text(achievement.get("description")),
        criteria=_text(criteria.get("narrative")) if isinstance(criteria, Mapping) else None,
        achievement_type=_text(achievement.get("achievementType")),
        image_url=_shown_image(image, foreign=foreign, own_origin=own_origin),
        issuer=IssuerView(
            id=_text(issuer_obj.get("id")) or _text(issuer),
            name=_text(issuer_obj.get("name")),
            url=_text(issuer_obj.get("url")),
        ),
        valid_from=_text(document.get("validFrom")),
        valid_until=_text(document.get("validUntil")),
        recognition=recognition_summary(session, alignments, catalog=catalog),
        verification=reduce_result(result, now=now),
        holder_name=holder_name,
        evidence=evidence,
        catalog_text=catalog_text,
    )
