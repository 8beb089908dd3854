"""Loading the validated catalog into the database, idempotently."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.catalog import repository
from app.catalog.loader import Catalog, content_hash
from app.catalog.schemas import Qualification as QualificationFile
from app.models import (
    BadgeDefinition,
    BadgeVersion,
    BadgeVersionRequirement,
    Qualification,
    QualificationUnit,
    SkillRequirement,
)


@dataclass
class SyncReport:
    qualifications_added: list[str] = field(default_factory=list)
    qualifications_updated: list[str] = field(default_factory=list)
    badges_added: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(
            (
                self.qualifications_added,
                self.qualifications_updated,
                self.badges_added,
                self.new_versions,
                self.archived,
                self.restored,
            )
        )

    def lines(self) -> list[str]:
        out = []
        for label, items in (
            ("qualifications added", self.qualifications_added),
            ("qualifications updated", self.qualifications_updated),
            ("badges added", self.badges_added),
            ("new badge versions", self.new_versions),
            ("badges archived", self.archived),
            ("badges restored", self.restored),
            (
                "not loaded (an admin confirmed a newer ePerusteet update; run "
                "`osaamispassi eperusteet import` to write it to criteria/)",
                self.stale,
            ),
        ):
            if items:
                out.append(f"{label}: {', '.join(items)}")
        return out or ["catalog already up to date"]


def _sync_qualifications(session: Session, catalog: Catalog, report: SyncReport) -> None:
    existing_reqs = repository.requirements_by_key(session)
    for slug, qual in catalog.qualifications.items():
        row = repository.qualification_by_slug(session, slug)
        if (
            row is not None
            and row.confirmed_modified is not None
            and (qual.provenance is None or qual.provenance.modified < row.confirmed_modified)
        ):
            # An admin confirmed a newer ePerusteet update than this file holds: loading the
            # file would undo it. `eperusteet import` writes the file anew.
            report.stale.append(slug)
            continue
        if apply_qualification(session, qual, existing_reqs, row=row):
            (report.qualifications_updated if row else report.qualifications_added).append(slug)
    session.flush()


def apply_qualification(
    session: Session,
    qual: QualificationFile,
    existing_reqs: dict[str, SkillRequirement] | None = None,
    *,
    row: Qualification | None = None,
) -> bool:
    """Bring one qualification's rows in line with its catalog data; False if unchanged.

    Units no longer in it are retired (kept for old badge versions, never aligned again);
    requirements are found by their stable ids.
    """
    existing_reqs = (
        existing_reqs if existing_reqs is not None else repository.requirements_by_key(session)
    )
    slug = qual.slug
    digest = content_hash(qual.model_dump(mode="json"))
    row = row or repository.qualification_by_slug(session, slug)
    if row is not None and row.content_hash == digest:
        return False
    if row is None:
        row = Qualification(slug=slug, kind=qual.kind, name={}, url="", content_hash="")
    row.kind = qual.kind
    row.eperusteet_id = qual.eperusteet_id
    row.diaarinumero = qual.diaarinumero
    row.koulutus_code = qual.koulutus_code
    row.name = qual.name.model_dump(exclude_none=True)
    row.url = str(qual.url)
    row.status = qual.status
    row.provenance = qual.provenance.model_dump(mode="json") if qual.provenance else None
    row.content_hash = digest
    session.add(row)
    session.flush()
    assert row.id is not None
    units = repository.units_of(session, row.id)
    current = {unit.code for unit in qual.units}
    for code, old_unit in units.items():
        # A unit the catalog no longer has: kept (old badge versions may still refer to
        # its requirements), never listed or aligned to again.
        if code not in current and old_unit.status != "retired":
            old_unit.status = "retired"
            session.add(old_unit)
    for unit in qual.units:
        urow = units.get(unit.code) or QualificationUnit(
            qualification_id=row.id, code=unit.code, name={}, osp=unit.osp
        )
        urow.name = unit.name.model_dump(exclude_none=True)
        urow.osp = unit.osp
        urow.url = str(unit.url) if unit.url else None
        urow.status = unit.status
        urow.koodisto_version = unit.koodisto_version
        urow.replaces = [r.model_dump(exclude_none=True) for r in unit.replaces]
        session.add(urow)
        session.flush()
        assert urow.id is not None
        for req in unit.requirements:
            rrow = existing_reqs.get(req.id) or SkillRequirement(
                unit_id=urow.id, key=req.id, text={}
            )
            rrow.unit_id = urow.id
            rrow.code = req.code
            rrow.osa_alue = req.osa_alue
            rrow.area = req.area.model_dump(exclude_none=True) if req.area else None
            rrow.text = req.text.model_dump(exclude_none=True)
            rrow.assessment = (
                {k: v.model_dump(exclude_none=True) for k, v in req.assessment.items()}
                if req.assessment
                else None
            )
            session.add(rrow)
            existing_reqs[req.id] = rrow
    session.flush()
    return True


def _sync_badges(session: Session, catalog: Catalog, report: SyncReport, now: datetime) -> None:
    requirements = repository.requirements_by_key(session)
    rows = repository.badges_by_slug(session)
    for slug, badge in catalog.badges.items():
        row = rows.get(slug)
        if row is None:
            row = BadgeDefinition(
                slug=slug,
                category=badge.category.value,
                pathway=badge.pathway,
                level=badge.level,
                created_at=now,
            )
            report.badges_added.append(slug)
        elif row.archived_at is not None:
            row.archived_at = None
            report.restored.append(slug)
        row.category, row.pathway, row.level = badge.category.value, badge.pathway, badge.level
        session.add(row)
        session.flush()
        assert row.id is not None
        if any(m["qualification"]["slug"] in report.stale for m in catalog.mapping(slug)):
            continue  # its mapping in the files is older than a confirmed update
        digest = catalog.badge_hash(slug)
        latest = repository.latest_version(session, row.id)
        if latest is not None and latest.content_hash == digest:
            continue
        version = BadgeVersion(
            badge_id=row.id,
            revision=(latest.revision + 1) if latest else 1,
            version_label=badge.version,
            content_hash=digest,
            definition=badge.model_dump(mode="json"),
            mapping=catalog.mapping(slug),
            image_svg=catalog.images[slug],
            created_at=now,
        )
        session.add(version)
        session.flush()
        assert version.id is not None
        if latest is not None:
            report.new_versions.append(f"{slug} r{version.revision}")
        keys = {k for c in badge.criteria for k in c.requirements}
        for key in sorted(keys):
            req_id = requirements[key].id
            assert req_id is not None
            session.add(BadgeVersionRequirement(badge_version_id=version.id, requirement_id=req_id))
    for slug, row in rows.items():
        if slug not in catalog.badges and row.archived_at is None:
            row.archived_at = now
            session.add(row)
            report.archived.append(slug)
    session.flush()


def sync_catalog(session: Session, *, catalog: Catalog, now: datetime) -> SyncReport:
    """Bring the database in line with the catalog files (new versions for changed badges)."""
    report = SyncReport()
    _sync_qualifications(session, catalog, report)
    _sync_badges(session, catalog, report, now)
    return report


def requirement_keys(definition: dict[str, Any]) -> set[str]:
    """The skill requirement ids a badge definition's criteria map to."""
    return {k for c in definition.get("criteria") or [] for k in c.get("requirements") or []}


def mapping_of(session: Session, keys: Iterable[str]) -> list[dict[str, Any]]:
    """The mapping (as BadgeVersion.mapping) of these requirement ids, from the current rows:
    for a version made before versions kept their own, and for a confirmed update."""
    rows = session.exec(
        select(SkillRequirement, QualificationUnit, Qualification)
        .join(QualificationUnit, col(QualificationUnit.id) == col(SkillRequirement.unit_id))
        .join(Qualification, col(Qualification.id) == col(QualificationUnit.qualification_id))
        .where(col(SkillRequirement.key).in_(sorted(set(keys))))
        .order_by(col(QualificationUnit.code), col(SkillRequirement.key))
    ).all()
    units: dict[str, dict[str, Any]] = {}
    for req, unit, qual in rows:
        entry = units.setdefault(
            unit.code,
            {
                "qualification": {
                    "slug": qual.slug,
                    "name": qual.name,
                    "eperusteet_id": qual.eperusteet_id,
                    "diaarinumero": qual.diaarinumero,
                    "url": qual.url,
                    "status": qual.status,
                },
                "unit": {
                    "code": unit.code,
                    "koodisto_version": unit.koodisto_version,
                    "name": unit.name,
                    "osp": unit.osp,
                    "url": unit.url,
                    "status": unit.status,
                },
                "requirements": [],
            },
        )
        entry["requirements"].append(
            {"key": req.key, "code": req.code, "osa_alue": req.osa_alue, "text": req.text}
        )
    return [units[code] for code in sorted(units)]
