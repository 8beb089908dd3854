"""ePerusteet changes found by `osaamispassi eperusteet sync`: stored for an admin to look at,
and applied when the admin confirms them (a new version of each badge they touch).

Credentials already issued keep what they were issued with: their alignments are signed, and
each badge version keeps the mapping it was made with.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.catalog import repository
from app.catalog.loader import content_hash
from app.catalog.schemas import Qualification as QualificationFile
from app.catalog.service import apply_qualification, mapping_of, requirement_keys
from app.errors import Conflict, NotFound, ValidationFailed
from app.models import (
    BadgeVersion,
    BadgeVersionRequirement,
    CatalogFinding,
    Qualification,
    QualificationUnit,
    SkillRequirement,
)

UPDATE = "update-available"


@dataclass(frozen=True)
class NewFinding:
    """What `eperusteet sync` found (app.eperusteet.sync.Finding, without the import)."""

    fingerprint: str
    qualification: str
    kind: str
    unit_code: str | None
    requirement: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    badges: Sequence[str]


def store_findings(
    session: Session,
    findings: Iterable[NewFinding],
    *,
    peruste_modified: dict[str, datetime | None],
    now: datetime,
) -> int:
    """Store the findings not stored before (by fingerprint); returns how many are new."""
    known = set(session.exec(select(CatalogFinding.fingerprint)).all())
    added = 0
    for finding in findings:
        if finding.fingerprint in known:
            continue
        known.add(finding.fingerprint)
        session.add(
            CatalogFinding(
                fingerprint=finding.fingerprint,
                qualification_slug=finding.qualification,
                kind=finding.kind,
                unit_code=finding.unit_code,
                requirement_key=finding.requirement,
                before=finding.before,
                after=finding.after,
                badges=list(finding.badges),
                peruste_modified=peruste_modified.get(finding.qualification),
                detected_at=now,
            )
        )
        added += 1
    session.flush()
    return added


def open_findings(session: Session) -> list[CatalogFinding]:
    """Findings no admin has confirmed yet, by qualification and kind."""
    return list(
        session.exec(
            select(CatalogFinding)
            .where(col(CatalogFinding.confirmed_at).is_(None))
            .order_by(
                col(CatalogFinding.qualification_slug),
                col(CatalogFinding.unit_code),
                col(CatalogFinding.id),
            )
        ).all()
    )


def badges_needing_a_look(session: Session) -> list[str]:
    """Every badge an open finding touches."""
    return sorted({b for f in open_findings(session) for b in f.badges})


def confirm_update(
    session: Session, *, slug: str, actor_user_id: int | None, now: datetime
) -> list[str]:
    """Apply the latest ePerusteet update found for qualification `slug`: its units and
    requirements as the peruste now has them, and a new version of every badge whose mapping
    changed. Every open finding of the qualification is confirmed with it.

    Returns:
        The badges that got a new version.

    Raises:
        NotFound: No open update for the qualification.
        Conflict: A badge uses a requirement the update removes: change the badge first.
        ValidationFailed: The stored update is not a valid qualification.
    """
    findings = [f for f in open_findings(session) if f.qualification_slug == slug]
    updates = [f for f in findings if f.kind == UPDATE and f.after]
    if not updates:
        raise NotFound("There is no update of this qualification to confirm.")
    update = updates[-1]
    try:
        qual = QualificationFile.model_validate(update.after)
    except ValidationError as exc:
        raise ValidationFailed(
            "The stored update of {slug} is not valid. Run the check again.", params={"slug": slug}
        ) from exc
    new_keys = {r.id for u in qual.units for r in u.requirements}
    old_keys = set(
        session.exec(
            select(SkillRequirement.key)
            .join(QualificationUnit, col(QualificationUnit.id) == col(SkillRequirement.unit_id))
            .join(Qualification, col(Qualification.id) == col(QualificationUnit.qualification_id))
            .where(Qualification.slug == slug)
            .where(QualificationUnit.status != "retired")
        ).all()
    )
    removed = old_keys - new_keys
    latest = repository.active_badge_versions(session)
    blocked = sorted(
        badge.slug for badge, version in latest if requirement_keys(version.definition) & removed
    )
    if blocked:
        raise Conflict(
            "The update removes skill requirements that these badges use: {badges}. Map their "
            "criteria to the current requirements in the catalog files first.",
            params={"badges": ", ".join(blocked)},
        )
    apply_qualification(session, qual)
    row = repository.qualification_by_slug(session, slug)
    assert row is not None and qual.provenance is not None
    row.confirmed_modified = qual.provenance.modified
    session.add(row)
    renewed: list[str] = []
    for badge, version in latest:
        keys = requirement_keys(version.definition)
        if not keys & new_keys:
            continue
        mapping = mapping_of(session, keys)
        if mapping == version.mapping:
            continue
        assert badge.id is not None
        fresh = BadgeVersion(
            badge_id=badge.id,
            revision=version.revision + 1,
            version_label=version.version_label,
            content_hash=content_hash(
                {"badge": version.definition, "image": version.image_svg, "mapping": mapping}
            ),
            definition=version.definition,
            mapping=mapping,
            image_svg=version.image_svg,
            created_at=now,
        )
        session.add(fresh)
        session.flush()
        assert fresh.id is not None
        for req in session.exec(
            select(SkillRequirement).where(col(SkillRequirement.key).in_(sorted(keys)))
        ).all():
            assert req.id is not None
            session.add(BadgeVersionRequirement(badge_version_id=fresh.id, requirement_id=req.id))
        renewed.append(f"{badge.slug} r{fresh.revision}")
    for finding in findings:
        finding.confirmed_at = now
        finding.confirmed_by_user_id = actor_user_id
        session.add(finding)
    audit.record(
        session,
        action="catalog.confirm",
        organization_id=None,
        actor_user_id=actor_user_id,
        object_type="qualification",
        object_id=row.id,
        details={"qualification": slug, "badges": renewed, "findings": len(findings)},
        now=now,
    )
    session.flush()
    return renewed
