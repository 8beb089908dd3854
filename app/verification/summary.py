"""Turning a verification result into the API answer, with the recognition summary."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, cast
from sqlalchemy import select as core_select
from sqlmodel import Session, col

from app.config import Settings
from app.memo import DerivedCache
from app.models import Qualification, QualificationUnit, SkillRequirement
from app.trust.service import IssuerTrust, issuer_trust
from app.vc.verify import VerificationResult, issuer_id
from app.verification.schemas import (
    AlignmentOut,
    CheckOut,
    CredentialSummary,
    IssuerOut,
    RecognitionSummary,
    RequirementOut,
    UnitOut,
    VerificationOut,
)

UNIT_CODE = re.compile(r"^tutkinnonosat_\d+$")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _achievement(credential: Mapping[str, Any]) -> Mapping[str, Any]:
    subjects = _as_list(credential.get("credentialSubject"))
    if subjects and isinstance(subjects[0], Mapping):
        achievement = subjects[0].get("achievement")
        if isinstance(achievement, Mapping):
            return achievement
    return {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class CatalogIndex:
    """What the recognition summary needs of the catalog: per unit code its credits and
    qualification, per skill requirement its unit's code."""

    units: Mapping[str, tuple[int, str]]
    requirement_units: Mapping[str, str]


# The catalog changes only by `catalog sync`, which rewrites a qualification's units and
# requirements only together with its content_hash. The (id, content_hash) pairs, read on
# every request, therefore identify the catalog's content: the index built from them is
# reused until a sync (by any app instance) changes a hash, adds or removes a qualification.
_CATALOG_VERSION = core_select(col(Qualification.id), col(Qualification.content_hash)).order_by(
    col(Qualification.id)
)
_UNITS = (
    core_select(
        col(QualificationUnit.code),
        col(QualificationUnit.osp),
        cast(col(Qualification.name), Text),
        col(Qualification.diaarinumero),
        col(Qualification.koulutus_code),
    )
    .join(Qualification, col(Qualification.id) == col(QualificationUnit.qualification_id))
    .order_by(col(QualificationUnit.id))
)
_REQUIREMENTS = core_select(col(SkillRequirement.key), col(QualificationUnit.code)).join(
    QualificationUnit, col(QualificationUnit.id) == col(SkillRequirement.unit_id)
)
_CATALOG_CACHE: DerivedCache[tuple[tuple[int, str], ...], CatalogIndex] = DerivedCache(
    max_entries=4
)


def _qualification_label(name: Mapping[str, str], diaarinumero: str, koulutus: str | None) -> str:
    return f"{name['fi']} ({diaarinumero}" + (f", {koulutus})" if koulutus else ")")


def _build_index(session: Session) -> CatalogIndex:
    units = {
        code: (int(osp), _qualification_label(json.loads(name), diaarinumero, koulutus))
        for code, osp, name, diaarinumero, koulutus in session.connection().execute(_UNITS).all()
    }
    requirements = {
        str(key): str(code) for key, code in session.connection().execute(_REQUIREMENTS).all()
    }
    return CatalogIndex(units=units, requirement_units=requirements)


def catalog_index(session: Session) -> CatalogIndex:
    """The catalog's index for the summary, rebuilt when the catalog has changed."""
    rows = session.connection().execute(_CATALOG_VERSION).all()
    version = tuple((int(i or 0), str(h)) for i, h in rows)
    return _CATALOG_CACHE.get(version, lambda: _build_index(session))


def recognition_summary(
    session: Session, alignments: list[Mapping[str, Any]]
) -> RecognitionSummary:
    """Group alignments by qualification unit; enrich with our ePerusteet data when known."""
    units: dict[str, UnitOut] = {}
    requirement_keys: list[tuple[Mapping[str, Any], str]] = []
    others: list[AlignmentOut] = []
    for a in alignments:
        code = _text(a.get("targetCode")) or ""
        if UNIT_CODE.match(code):
            units.setdefault(
                code,
                UnitOut(
                    code=code,
                    name=_text(a.get("targetName")) or code,
                    url=_text(a.get("targetUrl")),
                    qualification=_text(a.get("targetFramework")),
                ),
            )
        elif a.get("targetType") == "ext:Ammattitaitovaatimus" and code:
            requirement_keys.append((a, code))
        elif isinstance(a.get("targetName"), str) and isinstance(a.get("targetUrl"), str):
            others.append(
                AlignmentOut(
                    target_name=a["targetName"],
                    target_url=a["targetUrl"],
                    target_code=_text(a.get("targetCode")),
                    target_framework=_text(a.get("targetFramework")),
                    target_type=_text(a.get("targetType")),
                )
            )
    catalog = catalog_index(session) if units or requirement_keys else None
    if catalog is not None:
        for code, out in units.items():
            if code in catalog.units:
                out.osp, out.qualification = catalog.units[code]
    if catalog is not None and requirement_keys:
        for alignment, key in requirement_keys:
            unit_code = catalog.requirement_units.get(key)
            description = _text(alignment.get("targetDescription")) or ""
            unit_code = unit_code or next(
                (c for c in description.split() if UNIT_CODE.match(c)), None
            )
            requirement = RequirementOut(
                id=key,
                text=_text(alignment.get("targetName")) or key,
                url=_text(alignment.get("targetUrl")),
            )
            if unit_code and unit_code in units:
                units[unit_code].requirements.append(requirement)
            else:
                others.append(
                    AlignmentOut(
                        target_name=requirement.text,
                        target_url=requirement.url or "",
                        target_code=key,
                        target_type="ext:Ammattitaitovaatimus",
                    )
                )
    return RecognitionSummary(units=list(units.values()), other_alignments=others)


def to_api(
    session: Session,
    settings: Settings,
    result: VerificationResult,
    trust: IssuerTrust | None = None,
) -> VerificationOut:
    """The API answer for one verification."""
    checks = [
        CheckOut(id=c.id, status=c.status, code=c.code, message=c.message) for c in result.checks
    ]
    credential = result.credential
    if credential is None:
        return VerificationOut(
            verified=result.verified,
            outcome=result.outcome,
            input_format=result.input_format,
            proof_format=result.proof_format,
            checks=checks,
        )
    trust = trust if trust is not None else issuer_trust(session, settings)
    # Who issued it is established only by a valid signature with a key bound to the
    # issuer: otherwise the issuer id is just what the document claims.
    genuine = all(
        (c := result.check(name)) is not None and c.status == "passed"
        for name in ("proof", "issuer")
    )
    known_as = trust.trust_of(issuer_id(credential)) if genuine else None
    achievement = _achievement(credential)
    issuer = credential.get("issuer")
    issuer_obj = issuer if isinstance(issuer, Mapping) else {}
    image = achievement.get("image") or credential.get("image")
    image_url = image.get("id") if isinstance(image, Mapping) else _text(image)
    criteria = achievement.get("criteria")
    summary = CredentialSummary(
        id=_text(credential.get("id")),
        name=_text(achievement.get("name")) or _text(credential.get("name")),
        description=_text(achievement.get("description")),
        criteria=_text(criteria.get("narrative")) if isinstance(criteria, Mapping) else None,
        achievement_type=_text(achievement.get("achievementType")),
        image=_text(image_url),
        issuer=IssuerOut(
            id=issuer_id(credential),
            name=_text(issuer_obj.get("name")),
            url=_text(issuer_obj.get("url")),
            known=known_as is not None,
            trust=known_as,
        ),
        valid_from=_text(credential.get("validFrom") or credential.get("issuanceDate")),
        valid_until=_text(credential.get("validUntil") or credential.get("expirationDate")),
    )
    alignments = [a for a in _as_list(achievement.get("alignment")) if isinstance(a, Mapping)]
    return VerificationOut(
        verified=result.verified,
        outcome=result.outcome,
        input_format=result.input_format,
        proof_format=result.proof_format,
        checks=checks,
        credential=summary,
        recognition=recognition_summary(session, alignments) if genuine else RecognitionSummary(),
    )
