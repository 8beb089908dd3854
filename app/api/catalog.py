"""Catalog read API: what a badge means before one arrives, and who issues them."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlmodel import col, select

from app.api import examples
from app.api.examples import json_example
from app.api.problems import not_found
from app.catalog import repository
from app.deps import SessionDep, SettingsDep
from app.errors import NotFound
from app.models import (
    BadgeVersionRequirement,
    Qualification,
    QualificationUnit,
    SkillRequirement,
)

router = APIRouter(prefix="/api/v1", tags=["catalog"])


class CriterionOut(BaseModel):
    id: str
    text: dict[str, str]
    requirements: list[str] = Field(description="Skill requirement ids (see qualifications)")


class BadgeOut(BaseModel):
    slug: str
    revision: int
    version: str
    name: dict[str, str]
    description: dict[str, str]
    category: str
    pathway: str
    level: int
    builds_on: str | None
    achievement_type: str
    achievement_id: str = Field(description="The achievement id used in credentials")
    image: str
    criteria: list[CriterionOut]
    units: list[str] = Field(description="ePerusteet unit codes the criteria map to")
    validity_months: int | None = None


class RequirementOut(BaseModel):
    id: str
    code: str | None = Field(
        default=None, description="Koodisto code (ammattitaitovaatimukset_N, osaamistavoitteet_N)"
    )
    osa_alue: str | None = Field(default=None, description="Common units: the osa-alue code")
    text: dict[str, str] = Field(
        description="The official text (imported unit) or the catalog's own description "
        "(unit awaiting import)"
    )
    assessment: dict[str, Any] | None = None


class UnitOut(BaseModel):
    code: str
    koodisto_version: int | None = None
    name: dict[str, str]
    osp: int | None = Field(description="Competence points; null until imported")
    url: str | None
    status: Literal["imported", "awaiting-import"]
    requirements: list[RequirementOut]


class QualificationOut(BaseModel):
    slug: str
    kind: str
    eperusteet_id: int | None = Field(description="null when the peruste is not yet known")
    diaarinumero: str | None
    koulutus_code: str | None
    name: dict[str, str]
    url: str
    status: Literal["imported", "awaiting-import"] = Field(
        description="imported: names, osp and requirements are ePerusteet's (see provenance); "
        "awaiting-import: unit codes and names are Koodisto's, the rest is not yet imported"
    )
    provenance: dict[str, Any] | None = Field(
        default=None,
        description="Where the imported data came from: source, sha256, imported, modified "
        "(the peruste's muokattu), valid_from, valid_until, transition_ends",
    )
    units: list[UnitOut] | None = None


def _badge_out(session: SessionDep, origin: str, badge: Any, version: Any) -> BadgeOut:
    d = version.definition
    units = session.exec(
        select(QualificationUnit.code)
        .distinct()
        .join(SkillRequirement, col(SkillRequirement.unit_id) == col(QualificationUnit.id))
        .join(
            BadgeVersionRequirement,
            col(BadgeVersionRequirement.requirement_id) == col(SkillRequirement.id),
        )
        .where(BadgeVersionRequirement.badge_version_id == version.id)
    ).all()
    base = f"{origin}/badges/{badge.slug}/v{version.revision}"
    return BadgeOut(
        slug=badge.slug,
        revision=version.revision,
        version=version.version_label,
        name=d["name"],
        description=d["description"],
        category=d["category"],
        pathway=d["pathway"],
        level=d["level"],
        builds_on=d.get("builds_on"),
        achievement_type=d["achievement_type"],
        achievement_id=base,
        image=f"{base}/image.svg",
        criteria=[CriterionOut(**c) for c in d["criteria"]],
        units=sorted(units),
        validity_months=d.get("validity_months"),
    )


@router.get(
    "/badges",
    response_model=list[BadgeOut],
    summary="The badge catalog",
    responses={200: json_example("application/json", [examples.BADGE])},
)
def list_badges(session: SessionDep, settings: SettingsDep) -> list[BadgeOut]:
    """Current version of every badge, with the qualification units it maps to."""
    return [
        _badge_out(session, settings.public_origin, b, v)
        for b, v in repository.active_badge_versions(session)
    ]


@router.get(
    "/badges/{slug}",
    response_model=BadgeOut,
    summary="One badge",
    responses={
        200: json_example("application/json", examples.BADGE),
        **not_found("No badge 'puutyo-9' in the catalog."),
    },
)
def get_badge(slug: str, session: SessionDep, settings: SettingsDep) -> BadgeOut:
    """The current version of a badge."""
    for badge, version in repository.active_badge_versions(session):
        if badge.slug == slug:
            return _badge_out(session, settings.public_origin, badge, version)
    raise NotFound(f"No badge {slug!r} in the catalog.")


def _qualification_out(session: SessionDep, q: Qualification, with_units: bool) -> QualificationOut:
    out = QualificationOut(
        slug=q.slug,
        kind=q.kind,
        eperusteet_id=q.eperusteet_id,
        diaarinumero=q.diaarinumero,
        koulutus_code=q.koulutus_code,
        name=q.name,
        url=q.url,
        status="imported" if q.status == "imported" else "awaiting-import",
        provenance=q.provenance,
    )
    if with_units:
        units = session.exec(
            select(QualificationUnit)
            .where(QualificationUnit.qualification_id == q.id)
            .where(QualificationUnit.status != "retired")
            .order_by(col(QualificationUnit.code))
        ).all()
        out.units = []
        for u in units:
            reqs = session.exec(
                select(SkillRequirement)
                .where(SkillRequirement.unit_id == u.id)
                .order_by(col(SkillRequirement.id))
            ).all()
            out.units.append(
                UnitOut(
                    code=u.code,
                    koodisto_version=u.koodisto_version,
                    name=u.name,
                    osp=u.osp,
                    url=u.url,
                    status="imported" if u.status == "imported" else "awaiting-import",
                    requirements=[
                        RequirementOut(
                            id=r.key,
                            code=r.code,
                            osa_alue=r.osa_alue,
                            text=r.text,
                            assessment=r.assessment,
                        )
                        for r in reqs
                    ],
                )
            )
    return out


@router.get(
    "/qualifications",
    response_model=list[QualificationOut],
    summary="Qualifications the badges map to",
    responses={200: json_example("application/json", [examples.QUALIFICATION | {"units": None}])},
)
def list_qualifications(session: SessionDep) -> list[QualificationOut]:
    """Qualifications (ePerusteet) in the catalog, without their units."""
    rows = session.exec(select(Qualification).order_by(col(Qualification.slug))).all()
    return [_qualification_out(session, q, with_units=False) for q in rows]


@router.get(
    "/qualifications/{slug}",
    response_model=QualificationOut,
    summary="One qualification with units and skill requirements",
    responses={
        200: json_example("application/json", examples.QUALIFICATION),
        **not_found("No qualification 'kokin-perustutkinto'."),
    },
)
def get_qualification(slug: str, session: SessionDep) -> QualificationOut:
    """A qualification's units and skill requirements, as the badges refer to them."""
    q = repository.qualification_by_slug(session, slug)
    if q is None:
        raise NotFound(f"No qualification {slug!r}.")
    return _qualification_out(session, q, with_units=True)
