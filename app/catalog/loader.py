"""Read and validate the catalog files; every problem becomes a `file: field: problem` line."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from app.catalog.png import refers_outside
from app.catalog.schemas import Badge, Qualification, Requirement, Unit

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


@dataclass
class Catalog:
    """A validated catalog: qualifications, badges and their images."""

    qualifications: dict[str, Qualification] = field(default_factory=dict)
    badges: dict[str, Badge] = field(default_factory=dict)
    images: dict[str, str] = field(default_factory=dict)  # badge slug -> SVG text
    requirements: dict[str, tuple[Qualification, Unit, Requirement]] = field(default_factory=dict)

    def badge_hash(self, slug: str) -> str:
        """A digest of everything a version of the badge consists of: its definition, its
        image and what its criteria map to (a corrected unit makes a new version)."""
        payload = {
            "badge": self.badges[slug].model_dump(mode="json"),
            "image": self.images[slug],
            "mapping": self.mapping(slug),
        }
        return content_hash(payload)

    def mapping(self, slug: str) -> list[dict[str, Any]]:
        """The units and requirements the badge's criteria map to, grouped by unit, as a
        badge version keeps them (the alignments of its credentials)."""
        keys = {k for c in self.badges[slug].criteria for k in c.requirements}
        units: dict[str, dict[str, Any]] = {}
        for key in sorted(keys):
            qual, unit, req = self.requirements[key]
            entry = units.setdefault(
                unit.code,
                {
                    "qualification": {
                        "slug": qual.slug,
                        "name": qual.name.model_dump(exclude_none=True),
                        "eperusteet_id": qual.eperusteet_id,
                        "diaarinumero": qual.diaarinumero,
                        "url": str(qual.url),
                        "status": qual.status,
                    },
                    "unit": {
                        "code": unit.code,
                        "koodisto_version": unit.koodisto_version,
                        "name": unit.name.model_dump(exclude_none=True),
                        "osp": unit.osp,
                        "url": str(unit.url) if unit.url else None,
                        "status": unit.status,
                    },
                    "requirements": [],
                },
            )
            entry["requirements"].append(
                {
                    "key": req.id,
                    "code": req.code,
                    "osa_alue": req.osa_alue,
                    "text": req.text.model_dump(exclude_none=True),
                }
            )
        return [units[code] for code in sorted(units)]


class CatalogInvalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the catalog")
        self.problems = problems


def content_hash(payload: Any) -> str:
    data = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts) or "(file)"


# libyaml's parser when PyYAML was built with it (the wheels are): the same safe constructors
# as yaml.SafeLoader, about ten times faster on the criteria files.
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(path: Path, model: type[M], rel: str) -> tuple[M | None, list[Problem]]:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)  # noqa: S506
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return None, [Problem(rel, "(file)", f"not valid YAML: {exc}".replace("\n", " "))]
    if not isinstance(raw, dict):
        return None, [Problem(rel, "(file)", "expected a mapping of fields at the top level")]
    try:
        obj = model.model_validate(raw)
    except ValidationError as exc:
        return None, [Problem(rel, _location(err["loc"]), err["msg"]) for err in exc.errors()]
    return obj, []


def load_catalog(root: Path) -> Catalog:
    """Load `root/criteria` and `root/badges`, checking every file and every reference.

    Raises:
        CatalogInvalid: with all problems found, not only the first.
    """
    problems: list[Problem] = []
    catalog = Catalog()
    criteria_dir, badges_dir = root / "criteria", root / "badges"
    for directory in (criteria_dir, badges_dir):
        if not directory.is_dir():
            problems.append(Problem(directory.name + "/", "(directory)", "missing"))
    if problems:
        raise CatalogInvalid(problems)

    for path in sorted(criteria_dir.glob("*.yaml")):
        rel = f"criteria/{path.name}"
        qual, found = _parse(path, Qualification, rel)
        problems += found
        if qual is None:
            continue
        if qual.slug != path.stem:
            problems.append(Problem(rel, "slug", f"must equal the file name {path.stem!r}"))
        if qual.slug in catalog.qualifications:
            problems.append(Problem(rel, "slug", "duplicate qualification slug"))
        catalog.qualifications[qual.slug] = qual
        codes: set[str] = set()
        for ui, unit in enumerate(qual.units):
            if unit.code in codes:
                problems.append(Problem(rel, f"units[{ui}].code", "duplicate unit code"))
            codes.add(unit.code)
            for ri, req in enumerate(unit.requirements):
                if req.id in catalog.requirements:
                    other = catalog.requirements[req.id][0].slug
                    problems.append(
                        Problem(
                            rel,
                            f"units[{ui}].requirements[{ri}].id",
                            f"{req.id!r} is already used in criteria/{other}.yaml",
                        )
                    )
                    continue
                catalog.requirements[req.id] = (qual, unit, req)

    for path in sorted(badges_dir.glob("*.yaml")):
        rel = f"badges/{path.name}"
        badge, found = _parse(path, Badge, rel)
        problems += found
        if badge is None:
            continue
        if badge.slug != path.stem:
            problems.append(Problem(rel, "slug", f"must equal the file name {path.stem!r}"))
        catalog.badges[badge.slug] = badge
        for ci, criterion in enumerate(badge.criteria):
            for ri, req_id in enumerate(criterion.requirements):
                if req_id not in catalog.requirements:
                    problems.append(
                        Problem(
                            rel,
                            f"criteria[{ci}].requirements[{ri}]",
                            f"unknown skill requirement {req_id!r} (not in criteria/)",
                        )
                    )
        image = badges_dir / badge.image_file
        if not image.is_file():
            problems.append(Problem(rel, "image", f"image file {badge.image_file!r} not found"))
        else:
            svg = image.read_text(encoding="utf-8")
            if "<svg" not in svg or "<title" not in svg:
                problems.append(
                    Problem(rel, "image", "must be an SVG with a <title> (accessible name)")
                )
            elif refers_outside(svg):
                problems.append(
                    Problem(
                        rel,
                        "image",
                        "must not refer to files or addresses outside itself (href, src, url() "
                        "other than '#...' or 'data:', or a DOCTYPE): embed what it shows",
                    )
                )
            catalog.images[badge.slug] = svg

    for slug, badge in catalog.badges.items():
        if badge.builds_on is None:
            continue
        rel = f"badges/{slug}.yaml"
        base = catalog.badges.get(badge.builds_on)
        if base is None:
            problems.append(Problem(rel, "builds_on", f"unknown badge {badge.builds_on!r}"))
        elif base.pathway != badge.pathway:
            problems.append(
                Problem(rel, "builds_on", f"{base.slug!r} is in another pathway ({base.pathway})")
            )
        elif base.level != badge.level - 1:
            problems.append(
                Problem(
                    rel,
                    "builds_on",
                    f"{base.slug!r} is level {base.level}; expected level {badge.level - 1}",
                )
            )

    if problems:
        raise CatalogInvalid(problems)
    return catalog
