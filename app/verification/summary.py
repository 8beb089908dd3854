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
    CorrectionOut,
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


REQUIREMENT_CODE = re.compile(r"^(ammattitaitovaatimukset|osaamistavoitteet)_\d+$")


@dataclass(frozen=True)
class UnitInfo:
    """What the catalog knows of a unit: enough for a record of prior learning (eHOKS)."""

    code: str
    name: Mapping[str, str]
    osp: int | None
    koodisto_version: int | None
    url: str | None
    status: str
    qualification_name: Mapping[str, str]
    peruste_id: int | None
    diaarinumero: str | None
    koulutus_code: str | None

    @property
    def qualification_label(self) -> str:
        return self.qualification_labels["fi"]

    @property
    def qualification_labels(self) -> dict[str, str]:
        """The qualification's name with its diaarinumero and koulutus code, by language."""
        details = [d for d in (self.diaarinumero, self.koulutus_code) if d]
        return {
            language: f"{name} ({', '.join(details)})" if details else name
            for language, name in self.qualification_name.items()
            if name
        }


@dataclass(frozen=True)
class RequirementInfo:
    key: str
    code: str | None
    unit_code: str
    text: Mapping[str, str]


@dataclass(frozen=True)
class Replacement:
    """A unit code the catalog once used wrongly (or that a renewal replaced)."""

    current: UnitInfo
    reason: str
    note: str | None


@dataclass(frozen=True)
class CatalogIndex:
    """The catalog as the recognition summary needs it: units by code, requirements by key
    and by Koodisto code, and earlier unit codes that credentials may still carry."""

    units: Mapping[str, UnitInfo]
    requirements: Mapping[str, RequirementInfo]
    replaced: Mapping[str, Replacement]


# The catalog changes only by `catalog sync` (and confirmed ePerusteet updates), which
# rewrite a qualification's units and requirements only together with its content_hash.
# The (id, content_hash) pairs, read on every request, therefore identify the catalog's
# content: the index built from them is reused until a change by any app instance.
_CATALOG_VERSION = core_select(col(Qualification.id), col(Qualification.content_hash)).order_by(
    col(Qualification.id)
)
_UNITS = (
    core_select(
        col(QualificationUnit.code),
        cast(col(QualificationUnit.name), Text),
        col(QualificationUnit.osp),
        col(QualificationUnit.koodisto_version),
        col(QualificationUnit.url),
        col(QualificationUnit.status),
        cast(col(QualificationUnit.replaces), Text),
        cast(col(Qualification.name), Text),
        col(Qualification.eperusteet_id),
        col(Qualification.diaarinumero),
        col(Qualification.koulutus_code),
    )
    .join(Qualification, col(Qualification.id) == col(QualificationUnit.qualification_id))
    .order_by(col(QualificationUnit.id))
)
_REQUIREMENTS = core_select(
    col(SkillRequirement.key),
    col(SkillRequirement.code),
    cast(col(SkillRequirement.text), Text),
    col(QualificationUnit.code),
).join(QualificationUnit, col(QualificationUnit.id) == col(SkillRequirement.unit_id))
_CATALOG_CACHE: DerivedCache[tuple[tuple[int, str], ...], CatalogIndex] = DerivedCache(
    max_entries=4
)


def _build_index(session: Session) -> CatalogIndex:
    units: dict[str, UnitInfo] = {}
    replaced: dict[str, Replacement] = {}
    for row in session.connection().execute(_UNITS).all():
        (code, name, osp, version, url, status, replaces, q_name, peruste, diaari, koulutus) = row
        info: UnitInfo = UnitInfo(
            code=str(code),
            name=json.loads(name),
            osp=osp,
            koodisto_version=version,
            url=url,
            status=str(status),
            qualification_name=json.loads(q_name),
            peruste_id=peruste,
            diaarinumero=diaari,
            koulutus_code=koulutus,
        )
        # A unit the catalog no longer has (retired) does not hide a current one with the
        # same code.
        if info.status != "retired" or info.code not in units:
            units[info.code] = info
        for old in json.loads(replaces or "[]"):
            replaced[str(old["code"])] = Replacement(info, str(old["reason"]), old.get("note"))
    requirements: dict[str, RequirementInfo] = {}
    for key, req_code, text, unit_code in session.connection().execute(_REQUIREMENTS).all():
        info_r = RequirementInfo(str(key), req_code, str(unit_code), json.loads(text))
        requirements[info_r.key] = info_r
        if req_code:
            requirements.setdefault(str(req_code), info_r)
    return CatalogIndex(units=units, requirements=requirements, replaced=replaced)


def catalog_version(session: Session) -> tuple[tuple[int, str], ...]:
    """The catalog's version as read now: each qualification's content digest."""
    rows = session.connection().execute(_CATALOG_VERSION).all()
    return tuple((int(i or 0), str(h)) for i, h in rows)


def catalog_index(session: Session) -> CatalogIndex:
    """The catalog's index for the summary, rebuilt when the catalog has changed."""
    version = catalog_version(session)
    return _CATALOG_CACHE.get(version, lambda: _build_index(session))


def _unit_out(code: str, alignment: Mapping[str, Any], catalog: CatalogIndex | None) -> UnitOut:
    out = UnitOut(
        code=code,
        name=_text(alignment.get("targetName")) or code,
        url=_text(alignment.get("targetUrl")),
        qualification=_text(alignment.get("targetFramework")),
    )
    info = catalog.units.get(code) if catalog is not None else None
    if info is not None:
        out.osp = info.osp
        out.koodisto_version = info.koodisto_version
        out.qualification = info.qualification_label
        out.qualification_names = info.qualification_labels
        out.names = {language: name for language, name in info.name.items() if name}
        out.peruste_id = info.peruste_id
        out.diaarinumero = info.diaarinumero
        out.status = "imported" if info.status == "imported" else "awaiting-import"
    replacement = catalog.replaced.get(code) if catalog is not None else None
    if replacement is not None:
        current = replacement.current
        out.correction = CorrectionOut(
            reason="wrong-code" if replacement.reason == "wrong-code" else "renewed",
            current_code=current.code,
            current_name=current.name["fi"],
            current_qualification=current.qualification_label,
            note=replacement.note,
        )
    return out


def recognition_summary(
    session: Session,
    alignments: list[Mapping[str, Any]],
    *,
    catalog: CatalogIndex | None = None,
) -> RecognitionSummary:
    """Group alignments by qualification unit, with what a record of previously acquired
    competence needs: the unit's code, Koodisto version, name, osp, peruste and diaarinumero,
    and each requirement's code and text. A unit code the catalog has since corrected is
    marked, with the unit that replaces it."""
    unit_codes: dict[str, None] = {}  # in order of first appearance
    requirement_alignments: list[tuple[Mapping[str, Any], str]] = []
    others: list[AlignmentOut] = []
    for a in alignments:
        code = _text(a.get("targetCode")) or ""
        if UNIT_CODE.match(code):
            unit_codes[code] = None
        elif a.get("targetType") == "ext:Ammattitaitovaatimus" and code:
            requirement_alignments.append((a, code))
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
    if catalog is None and (unit_codes or requirement_alignments):
        catalog = catalog_index(session)
    units: dict[str, UnitOut] = {}
    if catalog is not None:
        by_code = {_text(a.get("targetCode")): a for a in alignments if isinstance(a, Mapping)}
        units = {code: _unit_out(code, by_code.get(code) or {}, catalog) for code in unit_codes}
        for alignment, key in requirement_alignments:
            info = catalog.requirements.get(key)
            description = _text(alignment.get("targetDescription")) or ""
            unit_code = (info.unit_code if info else None) or next(
                (c for c in description.split() if UNIT_CODE.match(c)), None
            )
            requirement = RequirementOut(
                id=info.key if info else key,
                code=(info.code if info else None)
                or (key if REQUIREMENT_CODE.match(key) else None),
                text=_text(alignment.get("targetName")) or key,
                texts={lang: text for lang, text in info.text.items() if text} if info else None,
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
