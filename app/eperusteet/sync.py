"""Comparing the catalog with ePerusteet: what changed in a peruste, and which badges it touches.

Perusteet are renewed and transition periods end. `compare` (pure) reports, per
qualification, a unit renamed, removed or moved to a new code, its osp changed, a requirement
text changed, removed or added, the peruste ending; and, when anything changed, the
qualification as an import would now write it (`update-available`), for an admin to confirm.
Nothing is rewritten silently: `osaamispassi eperusteet sync` stores the findings and the
admin's catalog page shows them side by side.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from app.catalog.loader import Catalog
from app.catalog.updates import NewFinding
from app.eperusteet.catalog_import import FINNISH_TIME, Source, qualification_data

# A peruste or its transition period ending within this time is reported.
ENDING_NOTICE = timedelta(days=365)


@dataclass(frozen=True)
class Finding:
    """One difference, with the badges whose criteria it touches."""

    qualification: str
    kind: str
    unit_code: str | None = None
    requirement: str | None = None
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    badges: tuple[str, ...] = field(default_factory=tuple)

    @property
    def fingerprint(self) -> str:
        """The same difference found again has the same fingerprint (stored once)."""
        data = [self.qualification, self.kind, self.unit_code, self.requirement, self.after]
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def to_store(findings: list[Finding]) -> list[NewFinding]:
    """The findings as the catalog's store takes them (app.catalog.updates)."""
    return [
        NewFinding(
            f.fingerprint,
            f.qualification,
            f.kind,
            f.unit_code,
            f.requirement,
            dict(f.before) if f.before else None,
            dict(f.after) if f.after else None,
            f.badges,
        )
        for f in findings
    ]


def _badges_using(catalog: Catalog, keys: set[str]) -> tuple[str, ...]:
    return tuple(
        sorted(
            slug
            for slug, badge in catalog.badges.items()
            if any(k in keys for c in badge.criteria for k in c.requirements)
        )
    )


def _existing_data(catalog: Catalog, slug: str) -> dict[str, Any]:
    return catalog.qualifications[slug].model_dump(mode="json", exclude_none=True)


def compare(catalog: Catalog, slug: str, source: Source, *, today: date) -> list[Finding]:
    """What the peruste says differently from the catalog's qualification `slug`.

    Raises:
        ImportProblem: Not raised for units the peruste lacks: those are findings.
    """
    qual = catalog.qualifications[slug]
    peruste = source.peruste
    findings: list[Finding] = []
    live_units = {u.code: u for u in peruste.units}
    live_by_name = {u.name.get("fi"): u for u in peruste.units}
    kept_codes: list[str] = []
    for unit in qual.units:
        keys = {r.id for r in unit.requirements}
        badges = _badges_using(catalog, keys)
        live = live_units.get(unit.code)
        if live is None:
            moved = live_by_name.get(unit.name.fi)
            if moved is not None:
                findings.append(
                    Finding(
                        slug,
                        "unit-moved",
                        unit.code,
                        before={"code": unit.code, "name": unit.name.fi},
                        after={"code": moved.code, "name": moved.name.get("fi")},
                        badges=badges,
                    )
                )
            else:
                findings.append(
                    Finding(
                        slug,
                        "unit-removed",
                        unit.code,
                        before={"code": unit.code, "name": unit.name.fi},
                        badges=badges,
                    )
                )
            continue
        kept_codes.append(unit.code)
        if live.name.get("fi") != unit.name.fi:
            findings.append(
                Finding(
                    slug,
                    "unit-renamed",
                    unit.code,
                    before={"name": unit.name.fi},
                    after={"name": live.name.get("fi")},
                    badges=badges,
                )
            )
        if unit.status == "imported" and live.osp != unit.osp:
            findings.append(
                Finding(
                    slug,
                    "osp-changed",
                    unit.code,
                    before={"osp": unit.osp},
                    after={"osp": live.osp},
                    badges=badges,
                )
            )
    proposed: dict[str, Any] | None = None
    if kept_codes:
        existing = _existing_data(catalog, slug)
        proposed = qualification_data(
            source, slug=slug, existing=existing, unit_codes=kept_codes, today=today
        )
        if qual.status == "imported":
            findings += _requirement_findings(catalog, slug, proposed)
        else:
            findings.append(
                Finding(
                    slug,
                    "awaiting-import-available",
                    after={"units": kept_codes, "peruste": peruste.id},
                    badges=_badges_using(
                        catalog, {r.id for u in qual.units for r in u.requirements}
                    ),
                )
            )
    for kind, moment in (
        ("peruste-ending", peruste.valid_until),
        ("transition-ending", peruste.transition_ends),
    ):
        if moment is not None:
            day = moment.astimezone(FINNISH_TIME).date()
            if day - today <= ENDING_NOTICE:
                findings.append(
                    Finding(
                        slug,
                        kind,
                        after={"date": day.isoformat()},
                        badges=_badges_using(
                            catalog, {r.id for u in qual.units for r in u.requirements}
                        ),
                    )
                )
    modified = peruste.modified
    old_modified = qual.provenance.modified if qual.provenance else None
    if findings and proposed is not None and qual.status == "imported":
        touched = {b for f in findings for b in f.badges}
        findings.append(
            Finding(
                slug,
                "update-available",
                before={"modified": old_modified.isoformat() if old_modified else None},
                after=proposed,
                badges=tuple(sorted(touched)),
            )
        )
    elif (
        not findings
        and modified is not None
        and old_modified is not None
        and modified > old_modified
    ):
        findings.append(
            Finding(
                slug,
                "peruste-modified",
                before={"modified": old_modified.isoformat()},
                after={"modified": modified.isoformat()},
            )
        )
    return findings


def _requirement_findings(
    catalog: Catalog, slug: str, proposed: Mapping[str, Any]
) -> list[Finding]:
    qual = catalog.qualifications[slug]
    findings: list[Finding] = []
    new_units = {u["code"]: u for u in proposed["units"]}
    for unit in qual.units:
        new = new_units.get(unit.code)
        if new is None:
            continue
        new_reqs = {r["id"]: r for r in new["requirements"]}
        for req in unit.requirements:
            badges = _badges_using(catalog, {req.id})
            now = new_reqs.pop(req.id, None)
            if now is None:
                findings.append(
                    Finding(
                        slug,
                        "requirement-removed",
                        unit.code,
                        req.id,
                        before={"text": req.text.fi, "code": req.code},
                        badges=badges,
                    )
                )
            elif now["text"].get("fi") != req.text.fi:
                findings.append(
                    Finding(
                        slug,
                        "requirement-changed",
                        unit.code,
                        req.id,
                        before={"text": req.text.fi},
                        after={"text": now["text"].get("fi")},
                        badges=badges,
                    )
                )
        for key, now in new_reqs.items():
            findings.append(
                Finding(
                    slug,
                    "requirement-added",
                    unit.code,
                    key,
                    after={"text": now["text"].get("fi"), "code": now.get("code")},
                )
            )
    return findings
