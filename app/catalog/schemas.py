"""The shapes of the catalog files (criteria/*.yaml and badges/*.yaml)."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, model_validator

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANGUAGES = ("fi", "sv", "en")


def _slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise ValueError("use lowercase letters a-z, digits and single hyphens")
    return value


Slug = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_slug)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """Text in Finnish, with Swedish and English where given."""

    fi: str = Field(min_length=1)
    sv: str | None = Field(default=None, min_length=1)
    en: str | None = Field(default=None, min_length=1)

    def get(self, lang: str) -> str:
        """The text in `lang`, falling back to Finnish."""
        value = getattr(self, lang, None)
        return value if isinstance(value, str) else self.fi


class FullText(Text):
    """Text that must exist in all three languages."""

    sv: str = Field(min_length=1)
    en: str = Field(min_length=1)


RequirementCode = Annotated[
    str, Field(pattern=r"^(ammattitaitovaatimukset|osaamistavoitteet)_\d+$")
]
UnitCode = Annotated[str, Field(pattern=r"^tutkinnonosat_\d+$")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class Requirement(Strict):
    """A vocational skill requirement (ammattitaitovaatimus) or a common unit's competence
    objective (osaamistavoite).

    In an imported unit, `text` is the official text and `code` its Koodisto code where the
    peruste format has one (2019 and later). In a unit awaiting import, `text` is the
    catalog's own description of what is observed, shown as such and never sent to schools
    as an official requirement.
    """

    id: Slug
    code: RequirementCode | None = None
    osa_alue: Annotated[str, Field(pattern=r"^[A-Z0-9]{2,8}$")] | None = None
    area: Text | None = None  # the kohdealue (2019 format) the requirement belongs to
    text: Text
    assessment: dict[Literal["T1", "H3", "K5"], Text] | None = None


class Replaced(Strict):
    """An earlier unit code that credentials may carry, and why this unit replaces it."""

    code: UnitCode
    name: str = Field(min_length=1)
    reason: Literal["wrong-code", "renewed"]
    note: str | None = None


class Unit(Strict):
    code: UnitCode
    koodisto_version: Annotated[int, Field(gt=0)] | None = None
    name: Text
    osp: Annotated[int, Field(gt=0, le=200)] | None = None
    url: HttpUrl | None = None
    status: Literal["imported", "awaiting-import"] = "imported"
    replaces: list[Replaced] = Field(default_factory=list)
    requirements: Annotated[list[Requirement], Field(min_length=1)]

    @model_validator(mode="after")
    def _status_rules(self) -> Unit:
        if self.status == "imported" and self.osp is None:
            raise ValueError("an imported unit has its osp from the peruste")
        if self.status == "awaiting-import" and any(r.code for r in self.requirements):
            raise ValueError("a unit awaiting import has no official requirement codes")
        return self


class Provenance(Strict):
    """Where an imported qualification's data came from (`osaamispassi eperusteet import`)."""

    source: str = Field(min_length=1)  # the API URL, or the file name
    sha256: Sha256  # of the answer or file as read
    imported: date
    modified: datetime  # the peruste's `muokattu`
    valid_from: date | None = None  # voimassaoloAlkaa
    valid_until: date | None = None  # voimassaoloLoppuu
    transition_ends: date | None = None  # siirtymaPaattyy


class Qualification(Strict):
    slug: Slug
    kind: Literal["qualification", "common-units"]
    eperusteet_id: Annotated[int, Field(gt=0)] | None = None
    diaarinumero: Annotated[str, Field(pattern=r"^[A-Z]+-\d+-\d{4}$|^\d+/\d+/\d{4}$")] | None = None
    koulutus_code: Annotated[str, Field(pattern=r"^koulutus_\d{6}$")] | None = None
    name: FullText
    url: HttpUrl
    provenance: Provenance | None = None
    notes: str | None = None
    # Common units: the osa-alueet the import takes (e.g. YTTT, VVAI22:FI).
    osa_alueet: list[Annotated[str, Field(pattern=r"^[A-Z0-9]{2,8}(:[A-Z0-9]{1,8})?$")]] = Field(
        default_factory=list
    )
    units: Annotated[list[Unit], Field(min_length=1)]

    @model_validator(mode="after")
    def _koulutus_for_qualifications(self) -> Qualification:
        if self.kind == "qualification" and self.koulutus_code is None:
            raise ValueError("koulutus_code is required for a qualification")
        if self.provenance is not None:
            if self.eperusteet_id is None or self.diaarinumero is None:
                raise ValueError("an imported qualification has its peruste id and diaarinumero")
            if any(u.status != "imported" for u in self.units):
                raise ValueError("every unit of an imported qualification is imported")
        elif any(u.status == "imported" for u in self.units):
            raise ValueError("a unit can be imported only with the qualification's provenance")
        return self

    @property
    def status(self) -> Literal["imported", "awaiting-import"]:
        return "imported" if self.provenance is not None else "awaiting-import"


class Category(StrEnum):
    arjenhallinta = "arjenhallinta"
    tyoelamataidot = "tyoelamataidot"
    vuorovaikutus = "vuorovaikutus"
    digitaidot = "digitaidot"
    ammatilliset_taidot = "ammatilliset-taidot"


# OB 3.0 AchievementType enumeration (the ones that make sense for workshop badges).
AchievementType = Literal[
    "Achievement",
    "ApprenticeshipCertificate",
    "Assessment",
    "Assignment",
    "Award",
    "Badge",
    "Certificate",
    "Competency",
    "CoCurricular",
    "Course",
    "License",
    "MicroCredential",
]


class Criterion(Strict):
    id: Slug
    text: FullText
    requirements: list[Slug] = Field(default_factory=list)


class Badge(Strict):
    slug: Slug
    version: Annotated[str, Field(pattern=r"^\d+(\.\d+){0,2}$")]
    name: FullText
    description: FullText
    category: Category
    pathway: Slug
    level: Annotated[int, Field(ge=1, le=3)]
    builds_on: Slug | None = None
    achievement_type: AchievementType
    criteria: Annotated[list[Criterion], Field(min_length=1, max_length=12)]
    tags: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(default_factory=list)
    esco: HttpUrl | None = None
    validity_months: Annotated[int, Field(gt=0, le=240)] | None = None
    image: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Badge:
        ids = [c.id for c in self.criteria]
        if len(ids) != len(set(ids)):
            raise ValueError("criteria ids must be unique within the badge")
        if self.level == 1 and self.builds_on is not None:
            raise ValueError("a level 1 badge does not build on another badge")
        if self.level > 1 and self.builds_on is None:
            raise ValueError("builds_on is required for levels 2 and 3")
        if self.category is Category.ammatilliset_taidot:
            for criterion in self.criteria:
                if not criterion.requirements:
                    raise ValueError(
                        f"criterion {criterion.id!r}: a vocational badge must map every "
                        "criterion to at least one skill requirement"
                    )
        return self

    @property
    def image_file(self) -> str:
        return self.image or f"{self.slug}.svg"
