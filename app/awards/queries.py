"""Read models for the coach's pages: a participant's badges, the badge picker, criteria
with the qualification requirements they relate to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from app.catalog import repository as catalog_repo
from app.catalog.categories import CATEGORY_NAMES
from app.catalog.schemas import Badge, Category
from app.errors import NotFound
from app.models import (
    Award,
    BadgeDefinition,
    BadgeVersion,
    Credential,
    EvidencePhoto,
    Qualification,
    QualificationUnit,
    SkillRequirement,
    User,
)


@dataclass
class EarnedBadge:
    credential: Credential
    award: Award
    badge: BadgeDefinition
    definition: Badge
    revision: int
    coach_name: str
    photo_id: str | None = None

    @property
    def is_revoked(self) -> bool:
        return self.credential.revoked_at is not None

    @property
    def image_url(self) -> str:
        return f"/badges/{self.badge.slug}/v{self.revision}/image.svg"


def participant_badges(session: Session, participant_id: int) -> list[EarnedBadge]:
    """Every credential of a participant, newest first (revoked ones included)."""
    return _earned_badges(session, Award.participant_id == participant_id)


def credential_detail(session: Session, organization_id: int, public_id: str) -> EarnedBadge:
    """One credential of the organization, with what the coach's page shows of it."""
    found = _earned_badges(
        session,
        Credential.public_id == public_id,
        Credential.organization_id == organization_id,
    )
    if not found:
        raise NotFound("No such badge.")
    return found[0]


def _earned_badges(session: Session, *where: Any) -> list[EarnedBadge]:
    """The credentials that match `where`, newest first, with their award, badge, coach and
    photo: four queries whatever their number, and each badge version's definition read
    once (a participant's page used to read it once per badge)."""
    rows = session.exec(
        select(Credential, Award, BadgeVersion, BadgeDefinition)
        .join(Award, col(Award.id) == col(Credential.award_id))
        .join(BadgeVersion, col(BadgeVersion.id) == col(Award.badge_version_id))
        .join(BadgeDefinition, col(BadgeDefinition.id) == col(BadgeVersion.badge_id))
        .where(*where)
        .order_by(col(Credential.issued_at).desc(), col(Credential.id).desc())
    ).all()
    if not rows:
        return []
    award_ids = [a.id for _, a, _, _ in rows]
    photos = {
        p.award_id: p.public_id
        for p in session.exec(
            select(EvidencePhoto).where(col(EvidencePhoto.award_id).in_(award_ids))
        ).all()
    }
    coaches = {
        u.id: u.display_name
        for u in session.exec(
            select(User).where(col(User.id).in_({a.coach_id for _, a, _, _ in rows}))
        ).all()
    }
    versions = {v.id: v for _, _, v, _ in rows}
    definitions = {key: Badge.model_validate(v.definition) for key, v in versions.items()}
    return [
        EarnedBadge(
            credential=c,
            award=a,
            badge=b,
            definition=definitions[v.id],
            revision=v.revision,
            coach_name=coaches.get(a.coach_id, ""),
            photo_id=photos.get(a.id),
        )
        for c, a, v, b in rows
    ]


@dataclass
class BadgeChoice:
    badge: BadgeDefinition
    version: BadgeVersion
    definition: Badge
    earned: bool
    is_next: bool

    @property
    def image_url(self) -> str:
        return f"/badges/{self.badge.slug}/v{self.version.revision}/image.svg"


@dataclass
class Pathway:
    slug: str
    badges: list[BadgeChoice] = field(default_factory=list)


@dataclass
class CategoryGroup:
    category: Category
    names: dict[str, str]
    pathways: list[Pathway] = field(default_factory=list)


def earned_slugs(session: Session, participant_id: int) -> set[str]:
    """Slugs of the badges a participant holds (revoked ones do not count)."""
    rows = session.exec(
        select(BadgeDefinition.slug)
        .join(BadgeVersion, col(BadgeVersion.badge_id) == col(BadgeDefinition.id))
        .join(Award, col(Award.badge_version_id) == col(BadgeVersion.id))
        .join(Credential, col(Credential.award_id) == col(Award.id))
        .where(Award.participant_id == participant_id)
        .where(col(Credential.revoked_at).is_(None))
    ).all()
    return set(rows)


def badge_choices(
    session: Session, *, earned: set[str], query: str = "", category: str = ""
) -> list[CategoryGroup]:
    """The catalog by category and pathway (levels in order), marking earned badges and the
    next step of each pathway the participant has started."""
    groups: dict[str, CategoryGroup] = {}
    query = query.strip().lower()
    for badge, version in catalog_repo.active_badge_versions(session):
        definition = Badge.model_validate(version.definition)
        if category and badge.category != category:
            continue
        if query and not _matches(definition, query):
            continue
        cat = Category(badge.category)
        group = groups.setdefault(badge.category, CategoryGroup(cat, CATEGORY_NAMES[cat]))
        pathway = next((p for p in group.pathways if p.slug == badge.pathway), None)
        if pathway is None:
            pathway = Pathway(badge.pathway)
            group.pathways.append(pathway)
        pathway.badges.append(
            BadgeChoice(badge, version, definition, badge.slug in earned, is_next=False)
        )
    for group in groups.values():
        for pathway in group.pathways:
            pathway.badges.sort(key=lambda choice: choice.badge.level)
            started = any(choice.earned for choice in pathway.badges)
            for choice in pathway.badges:
                if not choice.earned:
                    choice.is_next = started
                    break
    order = [c.value for c in Category]
    return [groups[key] for key in sorted(groups, key=order.index)]


def _matches(definition: Badge, query: str) -> bool:
    texts = [definition.slug, *definition.tags]
    for text in (definition.name, definition.description):
        texts.extend([text.fi, text.sv, text.en])
    return any(query in t.lower() for t in texts)


@dataclass
class RequirementRef:
    unit_code: str
    unit_name: dict[str, str]
    qualification_name: dict[str, str]
    text: dict[str, str]
    url: str | None


@dataclass
class CriterionView:
    id: str
    text: dict[str, str]
    requirements: list[RequirementRef]


def current_badge(session: Session, slug: str) -> tuple[BadgeDefinition, BadgeVersion, Badge]:
    badge = session.exec(select(BadgeDefinition).where(BadgeDefinition.slug == slug)).first()
    if badge is None or badge.archived_at is not None:
        raise NotFound("No such badge in the catalog.")
    assert badge.id is not None
    version = catalog_repo.latest_version(session, badge.id)
    assert version is not None
    return badge, version, Badge.model_validate(version.definition)


def badge_context(session: Session, slug: str) -> dict[str, Any]:
    """What the award and group award pages show of a badge: the current version, its
    definition and the criteria with their qualification requirements."""
    badge, version, definition = current_badge(session, slug)
    return {
        "badge": badge,
        "version": version,
        "definition": definition,
        "criteria": criteria_view(session, definition),
    }


def criteria_view(session: Session, definition: Badge) -> list[CriterionView]:
    """Each criterion with the qualification units and skill requirements it relates to."""
    keys = {key for c in definition.criteria for key in c.requirements}
    refs: dict[str, RequirementRef] = {}
    if keys:
        rows: Sequence[tuple[SkillRequirement, QualificationUnit, Qualification]] = session.exec(
            select(SkillRequirement, QualificationUnit, Qualification)
            .join(QualificationUnit, col(QualificationUnit.id) == col(SkillRequirement.unit_id))
            .join(Qualification, col(Qualification.id) == col(QualificationUnit.qualification_id))
            .where(col(SkillRequirement.key).in_(keys))
        ).all()
        for req, unit, qual in rows:
            refs[req.key] = RequirementRef(
                unit_code=unit.code,
                unit_name=unit.name,
                qualification_name=qual.name,
                text=req.text,
                url=unit.url or qual.url,
            )
    return [
        CriterionView(
            id=c.id,
            text=c.text.model_dump(),
            requirements=[refs[k] for k in c.requirements if k in refs],
        )
        for c in definition.criteria
    ]
