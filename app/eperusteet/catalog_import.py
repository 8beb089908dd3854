"""Turning a parsed peruste into a qualification of the catalog (criteria/<slug>.yaml).

The catalog keeps only the units its badges use (a peruste has dozens). For each of them the
official name, osp (from the peruste's tutkinnonOsaViite), Koodisto version, requirement
texts and, where the format has them, requirement codes are taken from the peruste. Badges
refer to requirements by stable ids: an existing requirement keeps its id when the new one
has the same code (2019 format) or the same Finnish text (2018 format, which has no codes);
a new one gets an id from its code, or from the unit number and its position.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from app.eperusteet.client import EperusteetClient, decode_json
from app.eperusteet.parser import EperusteetFormatError, Peruste, Unit, parse_peruste

EPERUSTEET_WEB = "https://eperusteet.opintopolku.fi/#/fi/ammatillinen"
FINNISH_TIME = ZoneInfo("Europe/Helsinki")


class ImportProblem(ValueError):
    """The peruste cannot become the qualification asked for (a unit it does not have...)."""


@dataclass(frozen=True)
class Source:
    """A peruste as read: parsed, and where it came from with the digest of the bytes."""

    peruste: Peruste
    location: str
    sha256: str


def read_source(source: str, client: EperusteetClient | None) -> Source:
    """Read a peruste from a saved file or, for a number, from the API through `client`.

    Raises:
        EperusteetFormatError: Not JSON, or not a peruste (the message names the field).
        ImportProblem: A number without a client, or a file that cannot be read.
    """
    if source.isdigit():
        if client is None:
            raise ImportProblem(f"peruste {source}: fetching is not possible here")
        location = f"{client.base_url}/peruste/{int(source)}"
        raw = client.fetch_raw(location)
    else:
        path = Path(source)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ImportProblem(f"cannot read {source}: {exc.strerror or exc}") from exc
        location = path.name
    peruste = parse_peruste(decode_json(raw, source=location), source=location)
    return Source(peruste, location, hashlib.sha256(raw).hexdigest())


def _localized(value: Mapping[str, str]) -> dict[str, str]:
    return {lang: value[lang] for lang in ("fi", "sv", "en") if value.get(lang)}


def _slug_of_code(code: str) -> str:
    return code.replace("_", "-")


def unit_url(peruste_id: int, unit: Unit) -> str:
    """The unit's page in ePerusteet (by its tutkinnonOsaViite), or the peruste's page."""
    if unit.viite_id is not None:
        return f"{EPERUSTEET_WEB}/{peruste_id}/tutkinnonosat/{unit.viite_id}"
    return f"{EPERUSTEET_WEB}/{peruste_id}/tiedot"


def _requirements(
    unit: Unit,
    existing: Sequence[Mapping[str, Any]],
    prefix: str,
    osa_alueet: set[str] | None,
    taken: set[str],
    include_optional: bool,
) -> list[dict[str, Any]]:
    by_code = {r["code"]: r["id"] for r in existing if r.get("code")}
    by_text = {r["text"]["fi"]: r["id"] for r in existing if isinstance(r.get("text"), Mapping)}
    # Requirements without codes (2018) whose text changed keep their id by position, when
    # the unit has as many requirements as before (otherwise a change reads as removed and
    # added, which a person reviews anyway).
    by_position = (
        {i: r["id"] for i, r in enumerate(existing, start=1) if not r.get("code")}
        if len(existing) == len(unit.requirements)
        else {}
    )
    claimed = set(by_text.values()) & {
        by_text[t]
        for t in (_localized(r.text).get("fi") for r in unit.requirements)
        if t in by_text
    }
    number = unit.code.rsplit("_", 1)[1]
    out: list[dict[str, Any]] = []
    seen_codes: set[str] = set()
    for position, req in enumerate(unit.requirements, start=1):
        if req.mandatory is False and not include_optional:
            continue
        if osa_alueet is not None and not (
            req.osa_alue in osa_alueet or f"{req.osa_alue}:{req.osa_alue_language}" in osa_alueet
        ):
            continue
        if req.code is not None:
            if req.code in seen_codes:  # one objective listed under several osa-alue variants
                continue
            seen_codes.add(req.code)
        text = _localized(req.text)
        if "fi" not in text:
            raise ImportProblem(f"{unit.code}: requirement {position} has no Finnish text")
        if req.code is not None:
            key = by_code.get(req.code)
        else:
            key = by_text.get(text["fi"])
            if key is None and by_position.get(position) not in claimed:
                key = by_position.get(position)
        if key is None:
            key = _slug_of_code(req.code) if req.code else f"{prefix}-{number}-{position}"
        if key in taken:
            raise ImportProblem(f"{unit.code}: requirement id {key!r} would be used twice")
        taken.add(key)
        item: dict[str, Any] = {"id": key}
        if req.code:
            item["code"] = req.code
        if req.osa_alue:
            item["osa_alue"] = req.osa_alue
        if req.area:
            item["area"] = _localized(req.area)
        item["text"] = text
        out.append(item)
    if not out:
        raise ImportProblem(f"{unit.code}: no requirements to import (check --osa-alue)")
    return out


def qualification_data(
    source: Source,
    *,
    slug: str,
    existing: Mapping[str, Any] | None,
    unit_codes: Sequence[str] = (),
    osa_alueet: Sequence[str] = (),
    prefix: str | None = None,
    include_optional: bool = False,
    today: date,
) -> dict[str, Any]:
    """The qualification's catalog data from the peruste, merged with the existing file.

    Args:
        source: The peruste read.
        slug: The qualification's slug (its file name).
        existing: The current criteria/<slug>.yaml content, if any: its units (when
            `unit_codes` is empty), requirement ids, name, koulutus code and replaced codes
            are kept.
        unit_codes: The units to take (default: those the existing file has).
        osa_alueet: For common units, the osa-alueet to take: a code such as YTTT, or a code
            and a language variant such as VVAI22:FI (default: the existing file's choice,
            else all). The choice is kept in the file.
        prefix: Prefix of new requirement ids of the 2018 format (default: the slug's
            first word).
        include_optional: Also take the optional competence objectives of common units
            (valinnaiset osaamistavoitteet); by default only the mandatory ones.
        today: The import date.

    Raises:
        ImportProblem: No units chosen, or a unit the peruste does not have.
    """
    peruste = source.peruste
    old = dict(existing or {})
    old_units = {u["code"]: u for u in old.get("units") or [] if isinstance(u, Mapping)}
    codes = list(unit_codes) or list(old_units)
    if not codes:
        raise ImportProblem("choose the units to import (--unit tutkinnonosat_NNNNNN)")
    units_by_code = {u.code: u for u in peruste.units}
    missing = [c for c in codes if c not in units_by_code]
    if missing:
        raise ImportProblem(
            f"peruste {peruste.id} ({source.location}) has no unit {', '.join(missing)}"
        )
    chosen = [units_by_code[c] for c in codes]
    kind = old.get("kind") or ("common-units" if all(u.common for u in chosen) else "qualification")
    name = old.get("name") or _localized(peruste.name)
    koulutus = old.get("koulutus_code") or next(iter(peruste.koulutus_codes), None)
    id_prefix = prefix or slug.split("-")[0]
    selection = list(osa_alueet) or list(old.get("osa_alueet") or [])
    taken: set[str] = set()
    units: list[dict[str, Any]] = []
    for unit in chosen:
        if unit.osp is None:
            raise ImportProblem(f"{unit.code}: the peruste gives no osp")
        previous = old_units.get(unit.code) or {}
        data: dict[str, Any] = {"code": unit.code}
        if unit.koodi_version is not None:
            data["koodisto_version"] = unit.koodi_version
        data["name"] = _localized(unit.name)
        data["osp"] = unit.osp
        data["url"] = unit_url(peruste.id, unit)
        if previous.get("replaces"):
            data["replaces"] = previous["replaces"]
        filters = set(selection) if selection and unit.common else None
        data["requirements"] = _requirements(
            unit, previous.get("requirements") or [], id_prefix, filters, taken, include_optional
        )
        units.append(data)
    provenance: dict[str, Any] = {
        "source": source.location,
        "sha256": source.sha256,
        "imported": today.isoformat(),
        "modified": peruste.modified.isoformat() if peruste.modified else None,
    }
    if peruste.modified is None:
        raise EperusteetFormatError(f"{source.location}: muokattu: missing")
    for field, value in (
        ("valid_from", peruste.valid_from),
        ("valid_until", peruste.valid_until),
        ("transition_ends", peruste.transition_ends),
    ):
        if value is not None:  # ePerusteet's dates are midnights of Finnish time
            provenance[field] = value.astimezone(FINNISH_TIME).date().isoformat()
    result: dict[str, Any] = {
        "slug": slug,
        "kind": kind,
        "eperusteet_id": peruste.id,
        "diaarinumero": peruste.diaarinumero,
    }
    if koulutus and kind == "qualification":
        result["koulutus_code"] = koulutus
    result["name"] = name
    result["url"] = f"{EPERUSTEET_WEB}/{peruste.id}/tiedot"
    result["provenance"] = provenance
    if old.get("notes"):
        result["notes"] = old["notes"]
    if selection:
        result["osa_alueet"] = selection
    result["units"] = units
    return result


HEADER = """\
# {name} (ePerusteet {id}, {diaarinumero}).
# Written by `osaamispassi eperusteet import`: unit names, osp, requirement texts and codes
# are ePerusteet's (see `provenance`). Edit the ids, `replaces` and `notes` if needed; the
# rest is replaced at the next import.
"""


def to_yaml(data: Mapping[str, Any]) -> str:
    """The qualification as the catalog file's text (deterministic)."""
    header = HEADER.format(
        name=data["name"]["fi"], id=data["eperusteet_id"], diaarinumero=data["diaarinumero"]
    )
    body = yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False, width=100)
    return header + body
