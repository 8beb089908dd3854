"""The catalog's qualification data is true to ePerusteet (issue #12): every unit code exists in
the Koodisto code list "tutkinnonosat" with the same Finnish name, the osp of every unit found
in a saved peruste is that peruste's, and the common units are those in force since 2022.

The saved answers are read from shared/eperusteet (see its SOURCES.md); nothing is copied."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from app.catalog.loader import load_catalog
from app.config import PROJECT_ROOT
from tests.conftest import EPERUSTEET

CODE_LIST = "koski__src__main__resources__mockdata__koodisto__koodit__tutkinnonosat.json"
PERUSTEET = {
    3932281: "koski__src__main__resources__mockdata__eperusteet__"
    "rakenne-puuteollisuuden-perustutkinto.json",
    8505691: "eperusteet-amosaa__eperusteet-amosaa-service__src__test__resources__perusteet__"
    "amosaayhteinenPeruste.json",
}


def _read(name: str) -> Any:
    path = EPERUSTEET / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: the shared ePerusteet data is needed for this test")
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def code_list() -> dict[str, tuple[str, int]]:
    """koodiUri -> (Finnish name, version)."""
    out = {}
    for item in _read(CODE_LIST):
        names = {m["kieli"]: m["nimi"].strip() for m in item["metadata"]}
        out[item["koodiUri"]] = (names.get("FI", ""), int(item["versio"]))
    return out


@cache
def peruste_osp() -> dict[int, dict[str, int]]:
    """peruste id -> unit code -> osp on its tutkinnonOsaViite."""
    out: dict[int, dict[str, int]] = {}
    for peruste_id, name in PERUSTEET.items():
        data = _read(name)
        by_id = {str(u["id"]): u["koodiUri"] for u in data["tutkinnonOsat"]}
        osp: dict[str, int] = {}
        for way in data["suoritustavat"]:
            for viite in way.get("tutkinnonOsaViitteet") or []:
                if viite.get("laajuus") is not None:
                    osp.setdefault(by_id[str(viite["_tutkinnonOsa"])], int(viite["laajuus"]))
        out[peruste_id] = osp
    return out


CATALOG = load_catalog(PROJECT_ROOT)
UNITS = [(q, u) for q in CATALOG.qualifications.values() for u in q.units]


@pytest.mark.parametrize(("qualification", "unit"), UNITS, ids=[u.code for _, u in UNITS])
def test_every_unit_code_is_in_the_code_list_with_its_name(qualification: Any, unit: Any) -> None:
    codes = code_list()
    assert unit.code in codes, f"{unit.code} is not in the Koodisto code list"
    name, version = codes[unit.code]
    assert unit.name.fi == name, f"{unit.code}: the code list calls it {name!r}"
    if unit.koodisto_version is not None:
        assert unit.koodisto_version == version


@pytest.mark.parametrize(("qualification", "unit"), UNITS, ids=[u.code for _, u in UNITS])
def test_osp_is_the_perustes_where_the_peruste_is_saved(qualification: Any, unit: Any) -> None:
    for osp in peruste_osp().values():
        if unit.code in osp:
            assert unit.osp == osp[unit.code], f"{unit.code}: the peruste says {osp[unit.code]}"


def test_replaced_codes_exist_and_are_not_what_the_badges_said() -> None:
    codes = code_list()
    for _, unit in UNITS:
        for old in unit.replaces:
            assert old.code in codes
            if old.reason == "wrong-code":
                assert codes[old.code][0] != old.name, f"{old.code} is not a wrong code"


def test_the_common_units_are_those_in_force_since_2022() -> None:
    common = CATALOG.qualifications["yhteiset-tutkinnon-osat"]
    assert common.eperusteet_id == 8505691 and common.diaarinumero == "OPH-456-2022"
    assert [u.code for u in common.units] == [
        "tutkinnonosat_106727",
        "tutkinnonosat_106728",
        "tutkinnonosat_106729",
    ]
    assert not any(
        u.code in ("tutkinnonosat_400012", "tutkinnonosat_400013", "tutkinnonosat_400014")
        for _, u in UNITS
    )


def test_the_codes_issue_12_found_wrong_are_gone() -> None:
    used = {u.code for _, u in UNITS}
    for wrong in ("106921", "106922", "106933", "106935", "106937"):
        assert f"tutkinnonosat_{wrong}" not in used
