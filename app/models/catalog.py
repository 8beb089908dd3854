"""Qualification criteria (from criteria/) and badge definitions with versions (from badges/)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import created_at_field, json_field, optional_datetime_field


class Qualification(SQLModel, table=True):
    """A qualification requirements document (peruste) or the common units."""

    __tablename__ = "qualification"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True, index=True)
    kind: str = Field(max_length=20)
    eperusteet_id: int | None = None
    diaarinumero: str | None = Field(default=None, max_length=50)
    koulutus_code: str | None = Field(default=None, max_length=50)
    name: dict[str, str] = json_field()
    url: str = Field(max_length=500)
    content_hash: str = Field(max_length=64)
    # "imported" (from ePerusteet, with provenance) or "awaiting-import".
    status: str = Field(default="awaiting-import", max_length=20)
    provenance: dict[str, Any] | None = json_field(nullable=True)
    # The peruste's `muokattu` of the last live update an admin confirmed (eperusteet sync):
    # criteria/ files older than it are not loaded over it.
    confirmed_modified: datetime | None = optional_datetime_field()


class QualificationUnit(SQLModel, table=True):
    """A unit (tutkinnon osa) of a qualification."""

    __tablename__ = "qualification_unit"
    __table_args__ = (UniqueConstraint("qualification_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    qualification_id: int = Field(foreign_key="qualification.id", index=True)
    code: str = Field(max_length=50, index=True)
    name: dict[str, str] = json_field()
    osp: int | None = None
    url: str | None = Field(default=None, max_length=500)
    status: str = Field(default="imported", max_length=20)
    koodisto_version: int | None = None
    # Earlier codes credentials may carry for this unit: [{code, name, reason, note}].
    replaces: list[dict[str, Any]] = json_field(default=[])


class SkillRequirement(SQLModel, table=True):
    """A vocational skill requirement (ammattitaitovaatimus) of a unit."""

    __tablename__ = "skill_requirement"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="qualification_unit.id", index=True)
    key: str = Field(max_length=100, unique=True, index=True)
    code: str | None = Field(default=None, max_length=60)
    osa_alue: str | None = Field(default=None, max_length=8)
    area: dict[str, str] | None = json_field(nullable=True)
    text: dict[str, str] = json_field()
    assessment: dict[str, Any] | None = json_field(nullable=True)


class BadgeDefinition(SQLModel, table=True):
    """A badge of the shared catalog; archived when removed from badges/, never deleted."""

    __tablename__ = "badge_definition"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True, index=True)
    category: str = Field(max_length=50, index=True)
    pathway: str = Field(max_length=100, index=True)
    level: int
    created_at: datetime = created_at_field()
    archived_at: datetime | None = optional_datetime_field()


class BadgeVersion(SQLModel, table=True):
    """One immutable version of a badge definition; credentials refer to exactly one."""

    __tablename__ = "badge_version"
    __table_args__ = (UniqueConstraint("badge_id", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    badge_id: int = Field(foreign_key="badge_definition.id", index=True)
    revision: int
    version_label: str = Field(max_length=20)
    content_hash: str = Field(max_length=64)
    definition: dict[str, Any] = json_field()
    # The qualification units and requirements the version maps to, as they were when the
    # version was made (what its credentials' alignments say); None for versions made before
    # the mapping was kept, which read the current rows.
    mapping: list[dict[str, Any]] | None = json_field(nullable=True)
    image_svg: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = created_at_field()


class BadgeVersionRequirement(SQLModel, table=True):
    """Which skill requirements a badge version's criteria map to (for queries by unit)."""

    __tablename__ = "badge_version_requirement"

    badge_version_id: int = Field(foreign_key="badge_version.id", primary_key=True)
    requirement_id: int = Field(foreign_key="skill_requirement.id", primary_key=True)


class CatalogFinding(SQLModel, table=True):
    """A difference `eperusteet sync` found between ePerusteet and the catalog, for an admin
    to look at; confirming it applies it (a new version of each badge it touches)."""

    __tablename__ = "catalog_finding"

    id: int | None = Field(default=None, primary_key=True)
    fingerprint: str = Field(max_length=64, unique=True, index=True)
    qualification_slug: str = Field(max_length=100, index=True)
    kind: str = Field(max_length=40)
    unit_code: str | None = Field(default=None, max_length=50)
    requirement_key: str | None = Field(default=None, max_length=100)
    before: dict[str, Any] | None = json_field(nullable=True)
    after: dict[str, Any] | None = json_field(nullable=True)
    badges: list[str] = json_field(default=[])
    peruste_modified: datetime | None = optional_datetime_field()
    detected_at: datetime = created_at_field()
    confirmed_at: datetime | None = optional_datetime_field()
    confirmed_by_user_id: int | None = Field(default=None, foreign_key="user_account.id")
