"""The parser against saved answers of the ePerusteet API (facts read from the files)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from app.eperusteet.client import load_file
from app.eperusteet.parser import (
    Peruste,
    Unit,
    html_to_text,
    list_items,
    parse_peruste,
    parse_search_page,
    parse_unit,
    parse_units,
)
from tests.eperusteet.conftest import (
    AJONEUVO,
    AMOSAA,
    KONFO_UNIT,
    PERUSTEET_RAVINTOLA,
    PUU,
    SEARCH_AUTO,
    UNIT_400014,
    shared_path,
)

FINNISH_SUMMER = timezone(timedelta(hours=3))  # EEST, in force on 1 August


@pytest.fixture(scope="module")
def puu() -> Peruste:
    return load_file(shared_path(PUU))


@pytest.fixture(scope="module")
def amosaa() -> Peruste:
    return load_file(shared_path(AMOSAA))


# --- 2018 format: Puuteollisuuden perustutkinto ---------------------------------------------


def test_puu_peruste_fields(puu: Peruste) -> None:
    assert puu.id == 3932281
    assert puu.diaarinumero == "OPH-2455-2017"
    assert puu.name["fi"] == "Puuteollisuuden perustutkinto"
    assert puu.name["sv"] == "Grundexamen inom träindustrin"
    assert "koulutus_351741" in puu.koulutus_codes
    assert puu.valid_from == datetime(2018, 8, 1, tzinfo=FINNISH_SUMMER)
    assert puu.valid_from == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
        milliseconds=1533070800000
    )
    assert puu.valid_from is not None and puu.valid_from.tzinfo is not None
    assert puu.valid_until is None  # set to null by the koski repository's patch
    assert puu.transition_ends is None
    assert puu.modified == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=1660564502258)
    assert len(puu.units) == 43
    assert puu.warnings == ()


def test_puu_units_are_2018_with_osp_from_viite(puu: Peruste) -> None:
    assert {u.format for u in puu.units} == {"2018"}
    assert all(u.osp is not None and u.viite_id is not None for u in puu.units)
    assert puu.unit("tutkinnonosat_105438").osp == 20
    codes = {u.code for u in puu.units}
    assert {f"tutkinnonosat_{n}" for n in range(105422, 105458)} <= codes
    assert all(u.warnings == () for u in puu.units)


def test_puu_unit_105444(puu: Peruste) -> None:
    unit = puu.unit("tutkinnonosat_105444")
    assert unit.osp == 45
    assert unit.viite_id == 3933351
    assert unit.unit_id == 3944378
    assert unit.name == {
        "fi": "Puutuotevalmistuksessa toimiminen",
        "sv": "Tillverkning av trävaror",
    }
    assert unit.koodi_version is None
    assert unit.common is False
    assert unit.generic_scale is False
    assert len(unit.requirements) == 6
    first = unit.requirements[0]
    assert first.code is None and first.area is None and first.osa_alue is None
    assert first.mandatory is None
    assert first.text["fi"].startswith("suunnitella puutuotteiden valmistuksen")
    assert first.text["sv"].startswith("planera tillverkning av trävaror")
    # the last item ends with a period in the HTML ("toimia työyhteisön jäsenenä.")
    assert unit.requirements[-1].text == {
        "fi": "toimia työyhteisön jäsenenä",
        "sv": "arbeta som medlem i arbetsgemenskapen",
    }
    assert not any("Opiskelija" in r.text["fi"] for r in unit.requirements)


def test_puu_assessment_areas(puu: Peruste) -> None:
    unit = puu.unit("tutkinnonosat_105444")
    assert len(unit.assessment) == 6
    area = unit.assessment[0]
    assert area.title["fi"] == (
        "Opiskelija suunnittelee puutuotteiden valmistuksen ja työvaiheiden keskinäisen "
        "järjestyksen."
    )
    # levels 6 and 8 have no criteria in the file; 5, 7 and 9 have four each
    assert [level.level for level in area.levels] == ["5", "7", "9"]
    assert [len(level.criteria) for level in area.levels] == [4, 4, 4]
    assert area.levels[1].criteria[0]["fi"] == (
        "käyttää piirustuksia ja työohjeita puutuotteiden valmistuksen suunnittelussa"
    )


def test_puu_two_lists_in_one_html(puu: Peruste) -> None:
    # 105433 splits its five items over two <ul> elements
    unit = puu.unit("tutkinnonosat_105433")
    assert len(unit.requirements) == 5
    assert unit.requirements[1].text["fi"].startswith("valmistaa mittatilaustyönä")


def test_puu_common_units_osp(puu: Peruste) -> None:
    osp = {code: puu.unit(f"tutkinnonosat_{code}").osp for code in ("400012", "400013", "400014")}
    assert osp == {"400012": 11, "400013": 6, "400014": 9}
    for code in ("400012", "400013", "400014"):
        unit = puu.unit(f"tutkinnonosat_{code}")
        assert unit.common is True
        assert unit.format == "2018"
        assert unit.warnings == ()


def test_puu_common_unit_requirements_2018(puu: Peruste) -> None:
    unit = puu.unit("tutkinnonosat_400014")
    assert unit.name["fi"] == "Yhteiskunta- ja työelämäosaaminen"  # trailing space stripped
    ytyk = [r for r in unit.requirements if r.osa_alue == "YTYK"]
    assert [r.mandatory for r in ytyk] == [True] * 3 + [False] * 3
    assert ytyk[0].text == {
        "fi": "toimia osana suomalaista yhteiskuntaa",
        "sv": "vara delaktig i det finländska samhället",
        # English is written as "•" paragraphs instead of a list
        "en": "operate as part of Finnish society",
    }
    assert all(r.code is None for r in unit.requirements)
    assert {r.osa_alue for r in unit.requirements} == {
        "YTYK",
        "YTTT",
        "YTOU",
        "YTYY",
        "YTTH",
        "YTKK",
    }


def test_puu_nested_swedish_list_is_aligned(puu: Peruste) -> None:
    # sv of VVVK wraps its items in an empty <li><ul>…</ul></li>
    unit = puu.unit("tutkinnonosat_400012")
    vvvk = [r for r in unit.requirements if r.osa_alue == "VVVK" and r.mandatory]
    assert len(vvvk) == 3
    assert vvvk[0].text == {
        "en": "use a foreign language in different interactive situations",
        "fi": "käyttää vierasta kieltä erilaisissa vuorovaikutustilanteissa",
        "sv": "använda det främmande språket i olika interaktionssituationer",
    }


# --- 2019 format: Ammatillinen perustutkinto 2022 (amosaa) ------------------------------------


def test_amosaa_peruste_fields(amosaa: Peruste) -> None:
    assert amosaa.id == 8505691
    assert amosaa.diaarinumero == "OPH-456-2022"
    assert amosaa.name["fi"] == "Ammatillinen perustutkinto 2022"
    assert amosaa.koulutus_codes == ()
    assert amosaa.valid_from == datetime(2022, 8, 1, tzinfo=FINNISH_SUMMER)
    assert len(amosaa.units) == 9
    assert {u.code for u in amosaa.units} == {f"tutkinnonosat_{n}" for n in range(106727, 106736)}
    assert {u.format for u in amosaa.units} == {"2019"}
    assert all(u.koodi_version == 1 for u in amosaa.units)


def test_amosaa_common_units(amosaa: Peruste) -> None:
    osp = {
        code: amosaa.unit(f"tutkinnonosat_{code}").osp for code in ("106727", "106728", "106729")
    }
    assert osp == {"106727": 11, "106728": 6, "106729": 9}
    for code in ("106727", "106728", "106729"):
        unit = amosaa.unit(f"tutkinnonosat_{code}")
        assert unit.common is True
        assert unit.generic_scale is False  # the osa-alueet carry the scale
        assert unit.assessment == ()
        assert all(r.code and r.code.startswith("osaamistavoitteet_") for r in unit.requirements)
        assert all(r.mandatory is not None for r in unit.requirements)


def test_amosaa_osaamistavoite_1099(amosaa: Peruste) -> None:
    unit = amosaa.unit("tutkinnonosat_106729")
    [req] = [r for r in unit.requirements if r.code == "osaamistavoitteet_1099"]
    assert req.osa_alue == "YTYK"
    assert req.mandatory is True
    assert req.area == {
        "en": "Participating in Finnish society",
        "fi": "Suomalaisessa yhteiskunnassa toimiminen",
        "sv": "Att verka i det finländska samhället",
    }
    assert req.text["fi"] == "tuntee kansalaisen perusoikeudet ja velvollisuudet"
    # "...vaikuttamisen tapoja." loses its period
    [r1097] = [r for r in unit.requirements if r.code == "osaamistavoitteet_1097"]
    assert r1097.text["fi"] == (
        "toimii aktiivisena kansalaisena sekä käyttää monipuolisia vaikuttamisen tapoja"
    )
    counts = {
        (osa, mandatory): sum(
            1 for r in unit.requirements if r.osa_alue == osa and r.mandatory is mandatory
        )
        for osa, mandatory in (("YTYK", True), ("YTYK", False), ("YTOU", False))
    }
    assert counts == {("YTYK", True): 13, ("YTYK", False): 8, ("YTOU", False): 0}


def test_amosaa_language_variants_of_an_osa_alue(amosaa: Peruste) -> None:
    unit = amosaa.unit("tutkinnonosat_106727")
    variants = {r.osa_alue_language for r in unit.requirements if r.osa_alue == "VVAI22"}
    assert {"FI", "SV", "SE", "RI", "VK", None} <= variants
    swedish_only = [r for r in unit.requirements if r.code == "osaamistavoitteet_1232"]
    assert swedish_only and all(set(r.text) == {"sv"} for r in swedish_only)
    assert swedish_only[0].osa_alue == "VVTK" and swedish_only[0].osa_alue_language == "FI"


def test_amosaa_unit_106735(amosaa: Peruste) -> None:
    unit = amosaa.unit("tutkinnonosat_106735")
    assert unit.osp == 15
    assert unit.common is False
    assert unit.generic_scale is True
    assert unit.name["fi"] == "Ilmastovastuullinen toiminta"
    assert len(unit.requirements) == 11
    [req] = [r for r in unit.requirements if r.code == "ammattitaitovaatimukset_4735"]
    assert req.text == {
        "en": (
            "understand climate change as a phenomenon and the impact of human actions on it "
            "as well as the need to find solutions"
        ),
        "fi": (
            "ymmärtää ilmastomuutoksen ilmiönä ja ihmisen toiminnan vaikutuksen siihen sekä "
            "ratkaisujen tarpeen"
        ),
        "sv": (
            "förstår klimatförändringen som fenomen och hur människans verksamhet påverkar den "
            "samt behovet av lösningar"
        ),
    }
    assert req.area is not None and req.area["fi"] == "Ilmastonmuutoksen lähtökohtien selvittäminen"
    assert req.osa_alue is None and req.mandatory is None


# --- single units, lists, other files --------------------------------------------------------


def test_single_unit_2019(shared: Callable[[str], Any]) -> None:
    unit = parse_unit(shared(KONFO_UNIT), source=KONFO_UNIT)
    assert unit.code == "tutkinnonosat_106512"
    assert unit.unit_id == 6906346
    assert unit.name == {
        "fi": "Rakennustyömaalla toimiminen",
        "sv": "Att arbeta på en byggarbetsplats",
    }
    assert unit.format == "2019"
    assert unit.generic_scale is True
    assert unit.osp is None and unit.viite_id is None  # the file carries no laajuus
    assert unit.koodi_version == 1
    assert len(unit.requirements) == 28
    first = unit.requirements[0]
    assert first.code == "ammattitaitovaatimukset_8667"
    assert first.text == {
        "fi": "lukee rakenne- tai rakennuspiirustuksia",
        "sv": "läser konstruktions- eller byggritningar",
    }
    assert first.area == {
        "fi": "Rakentamisen piirustukset ja työohjeet",
        "sv": "Byggritningar och arbetsanvisningar",
    }


def test_single_unit_osp_argument(shared: Callable[[str], Any]) -> None:
    unit = parse_unit(shared(KONFO_UNIT), source=KONFO_UNIT, osp=15, viite_id=7)
    assert (unit.osp, unit.viite_id) == (15, 7)


def test_unit_400014_versions(shared: Callable[[str], Any]) -> None:
    units = parse_units(shared(UNIT_400014), source=UNIT_400014)
    assert [u.unit_id for u in units] == [3708884, 4319732, 4557564, 6603663, 6734822]
    assert {u.code for u in units} == {"tutkinnonosat_400014"}
    assert all(u.common and u.format == "2018" for u in units)
    # the saved versions have `tavoitteet: null` in every osaamistavoite
    assert all(u.requirements == () for u in units)
    assert units[2].name == {"fi": "Yhteiskunta- ja työelämäosaaminen"}


def test_search_page(shared: Callable[[str], Any]) -> None:
    page = parse_search_page(shared(SEARCH_AUTO), source=SEARCH_AUTO)
    assert (page.page, page.pages, page.page_size, page.total) == (0, 1, 25, 7)
    assert len(page.hits) == 11  # more hits than `kokonaismäärä` says
    hit = next(h for h in page.hits if h.id == 3397336)
    assert hit.diaarinumero == "OPH-2762-2017"
    assert hit.name["fi"] == "Autoalan perustutkinto"
    assert hit.koulutus_codes == ("koulutus_351301",)
    assert hit.valid_from == datetime(2018, 8, 1, tzinfo=FINNISH_SUMMER)


def test_search_page_ravintola(shared: Callable[[str], Any]) -> None:
    page = parse_search_page(shared(PERUSTEET_RAVINTOLA), source=PERUSTEET_RAVINTOLA)
    hit = next(h for h in page.hits if h.id == 4221360)
    assert hit.diaarinumero == "OPH-2707-2017"
    assert hit.koulutus_codes == ("koulutus_381142",)
    assert hit.valid_from == datetime(2018, 8, 1, tzinfo=FINNISH_SUMMER)


def test_search_page_spring_shape() -> None:
    data = {
        "content": [
            {
                "id": 1,
                "nimi": {"fi": "Testi"},
                "diaarinumero": "OPH-1-2024",
                "voimassaoloAlkaa": "2024-08-01T00:00:00+03:00",
            }
        ],
        "number": 2,
        "totalPages": 3,
        "size": 1,
        "totalElements": 3,
    }
    page = parse_search_page(data, source="spring")
    assert (page.page, page.pages, page.page_size, page.total) == (2, 3, 1, 3)
    assert page.hits[0].valid_from == datetime(2024, 7, 31, 21, tzinfo=UTC)


def test_placeholder_peruste_float_laajuus() -> None:
    peruste = load_file(shared_path(AJONEUVO))
    assert peruste.diaarinumero == "OPH-3418-2025"
    [unit] = peruste.units
    assert unit.code == "tutkinnonosat_100001"
    assert unit.osp == 30  # the viite says 30.0
    assert unit.requirements == ()


# --- HTML ------------------------------------------------------------------------------------


def test_list_items() -> None:
    html = (
        "<p>Opiskelija osaa</p>\n<ul>\n\t<li>tehdä &amp; arvioida&nbsp;työtä.</li>"
        "<li>\n\t<ul><li>sisempi</li></ul></li><li>toimia  <b>turvallisesti</b></li></ul>"
    )
    assert list_items(html) == ["tehdä & arvioida työtä", "sisempi", "toimia turvallisesti"]
    assert list_items("<ul><li>yksi<li>kaksi</ul>") == ["yksi", "kaksi"]
    assert list_items("<ul><li>Opiskelija osaa toimia</li></ul>") == ["toimia"]
    assert list_items("<p>Students know how to</p><p>• act</p><p>• work.</p>") == ["act", "work"]
    assert list_items("<p>Vapaata tekstiä</p>") == []


def test_html_to_text() -> None:
    assert html_to_text("<p>a&lt;b</p><p>c</p>") == "a<b c"
    assert html_to_text("  Viestintä-   ja vuorovaikutusosaaminen  ") == (
        "Viestintä- ja vuorovaikutusosaaminen"
    )


def _html_unit(fi: str, sv: str) -> dict[str, Any]:
    return {
        "id": 1,
        "koodiUri": "tutkinnonosat_1",
        "nimi": {"fi": "Osa", "sv": "Del"},
        "ammattitaitovaatimukset": {"_id": "9", "fi": fi, "sv": sv},
    }


def test_misaligned_language_is_dropped_with_a_warning() -> None:
    unit = parse_unit(
        _html_unit(
            "<ul><li>yksi</li><li>kaksi</li><li>kolme</li></ul>",
            "<ul><li>ett</li><li>två och tre</li></ul>",
        ),
        source="made-up",
    )
    assert [r.text for r in unit.requirements] == [{"fi": "yksi"}, {"fi": "kaksi"}, {"fi": "kolme"}]
    assert unit.warnings == ("ammattitaitovaatimukset: sv has 2 items, fi has 3; sv left out",)


def test_aligned_languages_are_paired() -> None:
    unit = parse_unit(
        _html_unit("<ul><li>yksi</li><li>kaksi</li></ul>", "<ul><li>ett</li><li>två</li></ul>"),
        source="made-up",
    )
    assert [r.text for r in unit.requirements] == [
        {"fi": "yksi", "sv": "ett"},
        {"fi": "kaksi", "sv": "två"},
    ]
    assert unit.warnings == ()
    assert unit.format == "2018"


def test_text_without_list_is_reported() -> None:
    unit = parse_unit(_html_unit("<p>Ei listaa</p>", ""), source="made-up")
    assert unit.requirements == ()
    assert unit.warnings == (
        "ammattitaitovaatimukset: text without list items, not read as requirements",
    )


def test_osp_difference_between_viite_and_unit_is_reported() -> None:
    data = {
        "id": 5,
        "nimi": {"fi": "Peruste"},
        "suoritustavat": [
            {
                "suoritustapakoodi": "ops",
                "tutkinnonOsaViitteet": [{"id": 11, "laajuus": 30, "_tutkinnonOsa": "1"}],
            },
            {
                "suoritustapakoodi": "reformi",
                "tutkinnonOsaViitteet": [{"id": 12, "laajuus": 25, "_tutkinnonOsa": "1"}],
            },
        ],
        "tutkinnonOsat": [{**_html_unit("", ""), "laajuus": 20}],
    }
    peruste = parse_peruste(data, source="made-up")
    [unit] = peruste.units
    assert (unit.osp, unit.viite_id) == (25, 12)  # reformi preferred
    assert unit.warnings == ("tutkinnonOsat[0]: laajuus 20 differs from the viite's 25",)
    assert len(peruste.warnings) == 1 and "suoritustapa 'ops'" in peruste.warnings[0]


def test_units_are_frozen(puu: Peruste) -> None:
    unit: Unit = puu.units[0]
    with pytest.raises(AttributeError):
        unit.osp = 1  # type: ignore[misc]
