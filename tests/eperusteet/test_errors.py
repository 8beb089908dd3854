"""Missing and ill-typed fields raise EperusteetFormatError naming the source and the path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.eperusteet.client import load_file
from app.eperusteet.parser import (
    EperusteetFormatError,
    parse_peruste,
    parse_search_page,
    parse_unit,
    parse_units,
)
from tests.eperusteet.conftest import AMOSAA, KONFO_UNIT, PUU, SEARCH_AUTO


def test_missing_unit_code(shared: Callable[[str], Any]) -> None:
    data = shared(PUU)
    del data["tutkinnonOsat"][0]["koodiUri"]
    with pytest.raises(EperusteetFormatError) as caught:
        parse_peruste(data, source=PUU)
    message = str(caught.value)
    assert PUU in message
    assert "tutkinnonOsat[0].koodiUri" in message
    assert "missing" in message


def test_is_a_value_error() -> None:
    assert issubclass(EperusteetFormatError, ValueError)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.update(id="3932281"), "id"),
        (lambda d: d.pop("id"), "id"),
        (lambda d: d.update(nimi="Puuteollisuuden perustutkinto"), "nimi"),
        (lambda d: d["nimi"].pop("fi"), "nimi.fi"),
        (lambda d: d["nimi"].update(fi=7), "nimi.fi"),
        (lambda d: d.update(voimassaoloAlkaa=1533070800000.5), "voimassaoloAlkaa"),
        (lambda d: d.update(voimassaoloAlkaa="2018-08-01T00:00:00"), "voimassaoloAlkaa"),
        (lambda d: d.update(voimassaoloAlkaa="1.8.2018"), "voimassaoloAlkaa"),
        (lambda d: d.update(diaarinumero=["OPH-2455-2017"]), "diaarinumero"),
        (lambda d: d.update(koulutukset={}), "koulutukset"),
        (lambda d: d["koulutukset"][0].pop("koulutuskoodiUri"), "koulutukset[0].koulutuskoodiUri"),
        (lambda d: d.update(tutkinnonOsat="none"), "tutkinnonOsat"),
        (lambda d: d["tutkinnonOsat"].__setitem__(3, None), "tutkinnonOsat[3]"),
        (lambda d: d["tutkinnonOsat"][3].update(id=True), "tutkinnonOsat[3].id"),
        (lambda d: d["tutkinnonOsat"][3].update(koodiUri="105445"), "tutkinnonOsat[3].koodiUri"),
        (lambda d: d["tutkinnonOsat"][3].update(laajuus="40"), "tutkinnonOsat[3].laajuus"),
        (lambda d: d["tutkinnonOsat"][3].update(laajuus=7.5), "tutkinnonOsat[3].laajuus"),
        (lambda d: d["tutkinnonOsat"][3]["nimi"].pop("fi"), "tutkinnonOsat[3].nimi.fi"),
        (
            lambda d: d["tutkinnonOsat"][3]["ammattitaitovaatimukset"].update(sv=["x"]),
            "tutkinnonOsat[3].ammattitaitovaatimukset.sv",
        ),
        (
            lambda d: d["tutkinnonOsat"][3]["arviointi"]["arvioinninKohdealueet"][0].update(
                arvioinninKohteet={}
            ),
            "tutkinnonOsat[3].arviointi.arvioinninKohdealueet[0].arvioinninKohteet",
        ),
        (
            lambda d: d["suoritustavat"][0]["tutkinnonOsaViitteet"][2].update(_tutkinnonOsa="x"),
            "suoritustavat[0].tutkinnonOsaViitteet[2]._tutkinnonOsa",
        ),
        (
            lambda d: d["suoritustavat"][0]["tutkinnonOsaViitteet"][2].pop("id"),
            "suoritustavat[0].tutkinnonOsaViitteet[2].id",
        ),
    ],
)
def test_wrong_peruste_fields(
    shared: Callable[[str], Any], change: Callable[[dict[str, Any]], object], path: str
) -> None:
    data = shared(PUU)
    change(data)
    with pytest.raises(EperusteetFormatError) as caught:
        parse_peruste(data, source="puu.json")
    assert str(caught.value).startswith(f"puu.json: {path}: ")


def test_wrong_2019_requirement(shared: Callable[[str], Any]) -> None:
    data = shared(AMOSAA)
    unit = next(u for u in data["tutkinnonOsat"] if u["koodiUri"] == "tutkinnonosat_106735")
    index = data["tutkinnonOsat"].index(unit)
    unit["ammattitaitovaatimukset2019"]["kohdealueet"][1]["vaatimukset"][0]["vaatimus"]["fi"] = 5
    with pytest.raises(EperusteetFormatError) as caught:
        parse_peruste(data, source="amosaa.json")
    assert str(caught.value).startswith(
        f"amosaa.json: tutkinnonOsat[{index}].ammattitaitovaatimukset2019.kohdealueet[1]"
        ".vaatimukset[0].vaatimus.fi: expected a string"
    )


def test_wrong_osa_alue(shared: Callable[[str], Any]) -> None:
    data = shared(AMOSAA)
    unit = next(u for u in data["tutkinnonOsat"] if u["koodiUri"] == "tutkinnonosat_106729")
    unit["osaAlueet"][0]["pakollisetOsaamistavoitteet"]["tavoitteet"]["kohdealueet"] = {}
    with pytest.raises(EperusteetFormatError, match=r"osaAlueet\[0\]\.pakollisetOsaamistavoitteet"):
        parse_peruste(data, source="amosaa.json")


def test_unit_errors(shared: Callable[[str], Any]) -> None:
    data = shared(KONFO_UNIT)
    del data["nimi"]
    with pytest.raises(EperusteetFormatError, match=r"^konfo: nimi: required field is missing$"):
        parse_unit(data, source="konfo")
    with pytest.raises(EperusteetFormatError, match=r"^konfo: \$: expected an object, got array$"):
        parse_unit([], source="konfo")  # type: ignore[arg-type]
    with pytest.raises(EperusteetFormatError, match=r"^units: data\[1\]\.koodiUri"):
        parse_units({"data": [shared(KONFO_UNIT), {"id": 1, "nimi": {"fi": "x"}}]}, source="units")


def test_search_page_errors(shared: Callable[[str], Any]) -> None:
    data = shared(SEARCH_AUTO)
    data["sivuja"] = "1"
    with pytest.raises(EperusteetFormatError, match=r"^hakutulokset: sivuja: expected an integer"):
        parse_search_page(data, source="hakutulokset")
    data = shared(SEARCH_AUTO)
    data["data"][4]["nimi"] = {"_id": "1"}
    with pytest.raises(EperusteetFormatError, match=r"^hakutulokset: data\[4\]\.nimi: no text"):
        parse_search_page(data, source="hakutulokset")
    with pytest.raises(EperusteetFormatError, match=r"^hakutulokset: content: required"):
        parse_search_page({"sivu": 0}, source="hakutulokset")


def test_load_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(b'{"id": 1, "nimi": ')
    with pytest.raises(EperusteetFormatError, match=r"broken\.json: not a JSON document"):
        load_file(path)
    path.write_bytes(b'{"id": 1, "nimi": {"sv": "Bara svenska"}}')
    with pytest.raises(EperusteetFormatError, match=r"broken\.json: nimi\.fi: required"):
        load_file(path)
