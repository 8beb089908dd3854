"""`eperusteet sync` (issue #12): a changed copy of a saved peruste gives the right findings,
flags the right badges, and a confirmed update makes new badge versions."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import date
from typing import Any

import pytest

from app.catalog.loader import Catalog, load_catalog
from app.config import PROJECT_ROOT
from app.eperusteet.catalog_import import Source
from app.eperusteet.parser import parse_peruste
from app.eperusteet.sync import Finding, compare
from tests.eperusteet.conftest import PUU, shared_path

TODAY = date(2026, 12, 3)
RENAMED = "Puutuotteiden valmistuksessa toimiminen"


def _source(data: dict[str, Any]) -> Source:
    raw = json.dumps(data).encode()
    peruste = parse_peruste(data, source="changed.json")
    return Source(peruste, "changed.json", hashlib.sha256(raw).hexdigest())


def puu() -> dict[str, Any]:
    return json.loads(shared_path(PUU).read_text(encoding="utf-8"))


def _unit(data: dict[str, Any], code: str) -> dict[str, Any]:
    return next(u for u in data["tutkinnonOsat"] if u.get("koodiUri") == code)


def changed_copy(*, rename: bool = True, drop_first_of_105438: bool = True) -> dict[str, Any]:
    """The wood industry peruste with 105444 renamed and a requirement of 105438 removed."""
    data = copy.deepcopy(puu())
    if rename:
        _unit(data, "tutkinnonosat_105444")["nimi"]["fi"] = RENAMED
    if drop_first_of_105438:
        unit = _unit(data, "tutkinnonosat_105438")
        for lang in ("fi", "sv"):
            html = unit["ammattitaitovaatimukset"][lang]
            start = html.index("<li>")
            unit["ammattitaitovaatimukset"][lang] = html[:start] + html[html.index("</li>") + 5 :]
    data["muokattu"] += 86_400_000
    return data


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(PROJECT_ROOT)


def _kinds(findings: list[Finding]) -> dict[str, Finding]:
    return {f"{f.kind} {f.requirement or f.unit_code or ''}".strip(): f for f in findings}


def test_the_saved_peruste_matches_the_catalog(catalog: Catalog) -> None:
    assert compare(catalog, "puuteollisuuden-perustutkinto", _source(puu()), today=TODAY) == []


def test_a_renamed_unit_and_a_removed_requirement(catalog: Catalog) -> None:
    findings = compare(
        catalog, "puuteollisuuden-perustutkinto", _source(changed_copy()), today=TODAY
    )
    found = _kinds(findings)
    renamed = found["unit-renamed tutkinnonosat_105444"]
    assert renamed.before == {"name": "Puutuotevalmistuksessa toimiminen"}
    assert renamed.after == {"name": RENAMED}
    assert renamed.badges == ("puutyo-1", "puutyo-2", "puutyo-3")
    removed = found["requirement-removed puu-pintakasittely-turvallisuus"]
    assert removed.before is not None and removed.before["text"].startswith("suunnitella omaa")
    assert removed.badges == ("puutyo-3",)
    update = found["update-available"]
    assert update.after is not None and update.after["units"][0]["name"]["fi"] == RENAMED
    assert set(update.badges) == {"puutyo-1", "puutyo-2", "puutyo-3"}
    assert len(findings) == 3


def test_a_changed_requirement_text_keeps_its_id(catalog: Catalog) -> None:
    data = changed_copy(rename=False, drop_first_of_105438=False)
    unit = _unit(data, "tutkinnonosat_105444")
    unit["ammattitaitovaatimukset"]["fi"] = unit["ammattitaitovaatimukset"]["fi"].replace(
        "valmistaa puuteollisuuden tuotteita", "valmistaa puutuotteita"
    )
    findings = compare(catalog, "puuteollisuuden-perustutkinto", _source(data), today=TODAY)
    changed = _kinds(findings)["requirement-changed puu-105444-valmistus"]
    assert changed.after == {"text": "valmistaa puutuotteita"}
    assert set(changed.badges) == {"puutyo-1", "puutyo-2", "puutyo-3"}


def test_a_peruste_ending_soon_is_reported(catalog: Catalog) -> None:
    data = puu()
    data["voimassaoloLoppuu"] = 1_801_000_000_000  # 2027-01-26
    findings = compare(catalog, "puuteollisuuden-perustutkinto", _source(data), today=TODAY)
    ending = _kinds(findings)["peruste-ending"]
    assert ending.after == {"date": "2027-01-26"}
    assert "puutyo-1" in ending.badges
