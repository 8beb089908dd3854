"""The client with a fake fetch: URLs, query strings, paging limits, refused arguments."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from app.eperusteet.client import (
    DEFAULT_BASE_URL,
    EperusteetClient,
    EperusteetPagingLimitError,
)
from app.eperusteet.parser import EperusteetFormatError
from tests.eperusteet.conftest import KONFO_UNIT, PUU, SEARCH_AUTO, shared_path

BASE = "https://eperusteet.opintopolku.fi/eperusteet-service/api/external"


class FakeFetch:
    """Records every URL; answers from a function of the URL."""

    def __init__(self, answer: Callable[[str], bytes]) -> None:
        self.urls: list[str] = []
        self._answer = answer

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        return self._answer(url)


def constant(body: bytes) -> FakeFetch:
    return FakeFetch(lambda url: body)


def refuse() -> FakeFetch:
    def answer(url: str) -> bytes:
        raise AssertionError(f"no fetch expected, got {url}")

    return FakeFetch(answer)


def search_page(sivu: int, sivuja: int, ids: list[int]) -> bytes:
    hits = [{"id": i, "nimi": {"fi": f"Peruste {i}"}} for i in ids]
    page = {"data": hits, "sivu": sivu, "sivuja": sivuja, "sivukoko": 2, "kokonaismäärä": 99}
    return json.dumps(page).encode()


def paged(sivuja: int) -> FakeFetch:
    """Pages of two hits each; page n has ids 10n and 10n+1."""

    def answer(url: str) -> bytes:
        sivu = int(url.split("sivu=")[1].split("&")[0])
        return search_page(sivu, sivuja, [10 * sivu, 10 * sivu + 1])

    return FakeFetch(answer)


def test_default_base_url() -> None:
    assert DEFAULT_BASE_URL == BASE
    assert EperusteetClient(fetch=refuse()).base_url == BASE
    assert EperusteetClient(fetch=refuse(), base_url=BASE + "/").base_url == BASE


@pytest.mark.parametrize("base", ["ftp://example.org/api", "eperusteet", "https://x/api?a=1"])
def test_bad_base_url(base: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        EperusteetClient(fetch=refuse(), base_url=base)


def test_search_url_and_parse() -> None:
    fetch = constant(shared_path(SEARCH_AUTO).read_bytes())
    page = EperusteetClient(fetch=fetch).search(nimi="auto")
    assert fetch.urls == [f"{BASE}/perusteet?nimi=auto&sivu=0&sivukoko=50"]
    assert len(page.hits) == 11
    assert page.pages == 1


def test_search_query_is_encoded() -> None:
    fetch = constant(search_page(3, 4, []))
    EperusteetClient(fetch=fetch).search(
        nimi="puu & kivi/ä", diaarinumero="OPH-2455-2017", sivu=3, sivukoko=10
    )
    assert fetch.urls == [
        f"{BASE}/perusteet?nimi=puu%20%26%20kivi%2F%C3%A4&diaarinumero=OPH-2455-2017"
        "&sivu=3&sivukoko=10"
    ]


@pytest.mark.parametrize("kwargs", [{"sivukoko": 51}, {"sivukoko": 0}, {"sivukoko": True}])
def test_page_size_refused(kwargs: dict[str, Any]) -> None:
    fetch = refuse()
    client = EperusteetClient(fetch=fetch)
    with pytest.raises(ValueError, match="sivukoko"):
        client.search(**kwargs)
    with pytest.raises(ValueError, match="sivukoko"):
        client.iter_search(**kwargs)  # at the call, before iterating
    assert fetch.urls == []


def test_negative_page_refused() -> None:
    fetch = refuse()
    with pytest.raises(ValueError, match="sivu"):
        EperusteetClient(fetch=fetch).search(sivu=-1)
    assert fetch.urls == []


def test_iter_search_stops_at_last_page() -> None:
    fetch = paged(sivuja=3)
    hits = list(EperusteetClient(fetch=fetch).iter_search(nimi="x", sivukoko=2))
    assert [h.id for h in hits] == [0, 1, 10, 11, 20, 21]
    assert fetch.urls == [f"{BASE}/perusteet?nimi=x&sivu={n}&sivukoko=2" for n in range(3)]


def test_iter_search_single_saved_page() -> None:
    fetch = constant(shared_path(SEARCH_AUTO).read_bytes())
    hits = list(EperusteetClient(fetch=fetch).iter_search(nimi="auto"))
    assert len(hits) == 11
    assert len(fetch.urls) == 1


def test_iter_search_stops_at_cap() -> None:
    fetch = paged(sivuja=1000)
    client = EperusteetClient(fetch=fetch, max_pages=3)
    seen: list[int] = []
    with pytest.raises(EperusteetPagingLimitError, match="1000 pages"):
        for hit in client.iter_search():
            seen.append(hit.id)
    assert seen == [0, 1, 10, 11, 20, 21]
    assert len(fetch.urls) == 3


def test_iter_search_refuses_the_wrong_page() -> None:
    fetch = FakeFetch(lambda url: search_page(0, 5, [1]))  # a server ignoring `sivu`
    with pytest.raises(EperusteetFormatError, match="page 1 asked for, 0 given"):
        list(EperusteetClient(fetch=fetch).iter_search())
    assert len(fetch.urls) == 2


def test_max_pages_must_be_positive() -> None:
    with pytest.raises(ValueError):
        EperusteetClient(fetch=refuse(), max_pages=0)


def test_peruste() -> None:
    fetch = constant(shared_path(PUU).read_bytes())
    peruste = EperusteetClient(fetch=fetch).peruste(3932281)
    assert fetch.urls == [f"{BASE}/peruste/3932281"]
    assert peruste.id == 3932281
    assert len(peruste.units) == 43


@pytest.mark.parametrize("bad", [0, -5, True, "3932281"])
def test_peruste_id_refused(bad: Any) -> None:
    fetch = refuse()
    with pytest.raises(ValueError, match="peruste_id"):
        EperusteetClient(fetch=fetch).peruste(bad)
    assert fetch.urls == []


def test_peruste_part() -> None:
    fetch = constant(b'{"fi": "Huippuosaajana toimiminen"}')
    value = EperusteetClient(fetch=fetch).peruste_part(8505691, "tutkinnonOsat/7283253/koodi/nimi")
    assert value == {"fi": "Huippuosaajana toimiminen"}
    assert fetch.urls == [f"{BASE}/peruste/8505691/tutkinnonOsat/7283253/koodi/nimi"]


@pytest.mark.parametrize(
    "path",
    [
        "",
        "..",
        "tutkinnonOsat/../../perusteet",
        "/tutkinnonOsat",
        "tutkinnonOsat/",
        "a//b",
        "a?b=1",
        "a#b",
        "a%2e%2e",
        "a b",
        "a/./b",
        "a\\b",
        "a\n",
    ],
)
def test_peruste_part_path_refused(path: str) -> None:
    fetch = refuse()
    with pytest.raises(ValueError, match="path"):
        EperusteetClient(fetch=fetch).peruste_part(8505691, path)
    assert fetch.urls == []


def test_unit() -> None:
    fetch = constant(shared_path(KONFO_UNIT).read_bytes())
    unit = EperusteetClient(fetch=fetch).unit("tutkinnonosat_106512")
    assert fetch.urls == [f"{BASE}/peruste/tutkinnonosa/tutkinnonosat_106512"]
    assert unit.code == "tutkinnonosat_106512"
    assert unit.format == "2019"


@pytest.mark.parametrize(
    "code",
    [
        "tutkinnonosat_",
        "106512",
        "TUTKINNONOSAT_106512",
        "tutkinnonosat_106512/../x",
        "tutkinnonosat_106512\n",
        "tutkinnonosat_١٠٦٥١٢",  # Arabic-Indic digits
        "osaamismerkit_1007",
    ],
)
def test_unit_code_refused_before_fetch(code: str) -> None:
    fetch = refuse()
    with pytest.raises(ValueError, match="koodi_uri"):
        EperusteetClient(fetch=fetch).unit(code)
    assert fetch.urls == []


@pytest.mark.parametrize("body", [b"<html>Service unavailable</html>", b"", b"\xc3\x28", b"{"])
def test_not_json_names_the_url(body: bytes) -> None:
    client = EperusteetClient(fetch=constant(body))
    with pytest.raises(EperusteetFormatError, match=rf"^{BASE}/peruste/1: not a JSON document"):
        client.peruste(1)
    with pytest.raises(EperusteetFormatError, match="/peruste/tutkinnonosa/tutkinnonosat_1: not"):
        client.unit("tutkinnonosat_1")
    with pytest.raises(EperusteetFormatError, match="/perusteet"):
        client.search()


def test_json_of_the_wrong_shape_names_the_url() -> None:
    client = EperusteetClient(fetch=constant(b"[1, 2]"))
    with pytest.raises(EperusteetFormatError, match=rf"^{BASE}/peruste/7: \$: expected an object"):
        client.peruste(7)


def test_fetch_errors_pass_through() -> None:
    class Down(Exception):
        pass

    def answer(url: str) -> bytes:
        raise Down(url)

    with pytest.raises(Down):
        EperusteetClient(fetch=FakeFetch(answer)).peruste(1)


def test_fetch_raw_only_under_base_url() -> None:
    fetch = constant(b"{}")
    client = EperusteetClient(fetch=fetch)
    assert client.fetch_raw(client.peruste_url(3932281)) == b"{}"
    assert fetch.urls == [f"{BASE}/peruste/3932281"]
    for url in ("https://evil.example/peruste/1", BASE, BASE + "x/peruste/1"):
        with pytest.raises(ValueError, match="only URLs under"):
            client.fetch_raw(url)
    assert len(fetch.urls) == 1
