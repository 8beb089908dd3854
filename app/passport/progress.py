"""What a participant's passport shows: badges by category and pathway, the next step of each
pathway, and progress toward vocational qualification units ("toward a qualification").

Only current badges count toward a qualification: a revoked or replaced badge documents
nothing any more. A skill requirement counts as covered when a criterion the coach observed
for a current badge maps to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from app.awards.queries import EarnedBadge, badge_choices, participant_badges
from app.catalog import repository as catalog_repo
from app.catalog.categories import CATEGORY_NAMES
from app.catalog.schemas import Badge, Category
from app.models import Qualification, QualificationUnit, SkillRequirement


@dataclass(frozen=True)
class LevelStep:
    """One level of a pathway as the participant stands: "earned", "next" or "later"."""

    level: int
    name: dict[str, str]
    state: str


@dataclass
class PathwayView:
    slug: str
    name: dict[str, str]
    badges: list[EarnedBadge] = field(default_factory=list)
    next_name: dict[str, str] | None = None
    steps: list[LevelStep] = field(default_factory=list)


@dataclass
class CategoryView:
    category: str
    names: dict[str, str]
    pathways: list[PathwayView] = field(default_factory=list)


def shown_badges(session: Session, participant_id: int) -> list[EarnedBadge]:
    """The participant's badges, newest first; replaced ones are hidden (their correction is
    shown), revoked ones stay so that the person sees what happened."""
    return [
        b
        for b in participant_badges(session, participant_id)
        if b.credential.replaced_by_id is None
    ]


def passport_groups(session: Session, badges: list[EarnedBadge]) -> list[CategoryView]:
    """Badges grouped by category and pathway (newest first in each), with each started
    pathway's next step from the catalog."""
    earned = {b.badge.slug for b in badges if not b.is_revoked}
    catalog = badge_choices(session, earned=earned)
    pathway_names: dict[tuple[str, str], dict[str, str]] = {}
    next_steps: dict[tuple[str, str], dict[str, str]] = {}
    levels: dict[tuple[str, str], list[LevelStep]] = {}
    for group in catalog:
        for steps in group.pathways:
            key = (group.category.value, steps.slug)
            if steps.badges:
                pathway_names[key] = steps.badges[0].definition.name.model_dump()
            following = next((c for c in steps.badges if c.is_next), None)
            if following is not None:
                next_steps[key] = following.definition.name.model_dump()
            levels[key] = [
                LevelStep(
                    choice.badge.level,
                    choice.definition.name.model_dump(),
                    "earned" if choice.earned else ("next" if choice.is_next else "later"),
                )
                for choice in steps.badges
            ]
    categories: dict[str, CategoryView] = {}
    for badge in badges:
        category = badge.badge.category
        view = categories.get(category)
        if view is None:
            view = CategoryView(category, CATEGORY_NAMES[Category(category)])
            categories[category] = view
        key = (category, badge.badge.pathway)
        pathway = next((p for p in view.pathways if p.slug == badge.badge.pathway), None)
        if pathway is None:
            pathway = PathwayView(
                badge.badge.pathway,
                pathway_names.get(key, badge.definition.name.model_dump()),
                next_name=next_steps.get(key),
                steps=levels.get(key, []),
            )
            view.pathways.append(pathway)
        pathway.badges.append(badge)
    order = [c.value for c in Category]
    return [categories[k] for k in sorted(categories, key=order.index)]


@dataclass
class RequirementProgress:
    text: dict[str, str]
    covered: bool
    badges: list[dict[str, str]] = field(default_factory=list)
    # For a skill not yet shown: the catalog's badges that would show it.
    could_show: list[dict[str, str]] = field(default_factory=list)


@dataclass
class UnitProgress:
    code: str
    name: dict[str, str]
    osp: int | None
    url: str | None
    qualification_name: dict[str, str]
    requirements: list[RequirementProgress] = field(default_factory=list)

    @property
    def covered(self) -> int:
        return sum(1 for r in self.requirements if r.covered)

    @property
    def shown(self) -> list[RequirementProgress]:
        return [r for r in self.requirements if r.covered]

    @property
    def still_open(self) -> list[RequirementProgress]:
        return [r for r in self.requirements if not r.covered]

    @property
    def next_badges(self) -> list[dict[str, str]]:
        """The badges that would show the most of this unit's open skills, best first."""
        counts: dict[str, int] = {}
        names: dict[str, dict[str, str]] = {}
        for requirement in self.still_open:
            for name in requirement.could_show:
                counts[name["fi"]] = counts.get(name["fi"], 0) + 1
                names[name["fi"]] = name
        return [names[k] for k in sorted(counts, key=lambda k: (-counts[k], k))]


def qualification_progress(session: Session, badges: list[EarnedBadge]) -> list[UnitProgress]:
    """For each qualification unit the current badges relate to: every skill requirement of
    the unit, marked covered with the badges that show it."""
    covering: dict[str, list[dict[str, str]]] = {}
    for badge in badges:
        if badge.is_revoked:
            continue
        observed = set(badge.award.criteria_observed)
        for criterion in badge.definition.criteria:
            if criterion.id not in observed:
                continue
            for key in criterion.requirements:
                names = covering.setdefault(key, [])
                name = badge.definition.name.model_dump()
                if name not in names:
                    names.append(name)
    if not covering:
        return []
    unit_ids = set(
        session.exec(
            select(SkillRequirement.unit_id).where(col(SkillRequirement.key).in_(covering))
        ).all()
    )
    rows = session.exec(
        select(SkillRequirement, QualificationUnit, Qualification)
        .join(QualificationUnit, col(QualificationUnit.id) == col(SkillRequirement.unit_id))
        .join(Qualification, col(Qualification.id) == col(QualificationUnit.qualification_id))
        .where(col(QualificationUnit.id).in_(unit_ids))
        .order_by(col(QualificationUnit.code), col(SkillRequirement.id))
    ).all()
    # Which of the catalog's badges would show a skill not yet shown (not those held now).
    held = {b.badge.slug for b in badges if not b.is_revoked}
    could_show: dict[str, list[dict[str, str]]] = {}
    for badge_row, version in catalog_repo.active_badge_versions(session):
        if badge_row.slug in held:
            continue
        definition = Badge.model_validate(version.definition)
        for criterion in definition.criteria:
            for key in criterion.requirements:
                names = could_show.setdefault(key, [])
                name = definition.name.model_dump()
                if name not in names:
                    names.append(name)
    units: dict[int, UnitProgress] = {}
    for requirement, unit, qualification in rows:
        assert unit.id is not None
        progress = units.get(unit.id)
        if progress is None:
            progress = UnitProgress(
                code=unit.code,
                name=unit.name,
                osp=unit.osp,
                url=unit.url or qualification.url,
                qualification_name=qualification.name,
            )
            units[unit.id] = progress
        shown_by = covering.get(requirement.key, [])
        progress.requirements.append(
            RequirementProgress(
                text=requirement.text,
                covered=bool(shown_by),
                badges=shown_by,
                could_show=[] if shown_by else could_show.get(requirement.key, []),
            )
        )
    return sorted(units.values(), key=lambda u: (-u.covered, u.code))
