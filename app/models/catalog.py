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
    eperusteet_id: int
    diaarinumero: str = Field(max_length=50)
    koulutus_code: str | None = Field(default=None, max_length=50)
    name: dict[str, str] = json_field()
    url: str = Field(max_length=500)
    content_hash: str = Field(max_length=64)


class QualificationUnit(SQLModel, table=True):
    """A unit (tutkinnon osa) of a qualification."""

    __tablename__ = "qualification_unit"
    __table_args__ = (UniqueConstraint("qualification_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    qualification_id: int = Field(foreign_key="qualification.id", index=True)
    code: str = Field(max_length=50, index=True)
    name: dict[str, str] = json_field()
    osp: int
    url: str | None = Field(default=None, max_length=500)


class SkillRequirement(SQLModel, table=True):
    """A vocational skill requirement (ammattitaitovaatimus) of a unit."""

    __tablename__ = "skill_requirement"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="qualification_unit.id", index=True)
    key: str = Field(max_length=100, unique=True, index=True)
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
    image_svg: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = created_at_field()


class BadgeVersionRequirement(SQLModel, table=True):
    """Which skill requirements a badge version's criteria map to (for queries by unit)."""

    __tablename__ = "badge_version_requirement"

    badge_version_id: int = Field(foreign_key="badge_version.id", primary_key=True)
    requirement_id: int = Field(foreign_key="skill_requirement.id", primary_key=True)
