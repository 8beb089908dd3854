"""Pure parser for answers of the ePerusteet external API (qualification requirements).

No network, no database, no settings: JSON already decoded in, frozen dataclasses out.

Two formats of vocational units (tutkinnon osat) are understood:

* "2018": requirements as HTML in `ammattitaitovaatimukset` (one `<li>` per requirement,
  per language) and assessment criteria in `arviointi.arvioinninKohdealueet`; the common
  units (yhteiset tutkinnon osat) carry `osaAlueet[].osaamistavoitteet[]` with HTML
  `tavoitteet`.
* "2019": requirements in `ammattitaitovaatimukset2019` with Koodisto codes
  (`ammattitaitovaatimukset_NNNN`) and a generic assessment scale; the common units carry
  `osaAlueet[].pakollisetOsaamistavoitteet` / `valinnaisetOsaamistavoitteet` with codes
  `osaamistavoitteet_NNNN`.

Missing or ill-typed required fields raise `EperusteetFormatError` naming the source and
the JSON path of the field. Whatever the parser leaves out on purpose (a language whose list
items do not line up with the Finnish ones, a list it does not read) is recorded in the
`warnings` of the unit or the qualification, never dropped silently. Unknown fields are
ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any, Literal, NoReturn

Localized = dict[str, str]
"""Text per language code ("fi", "sv", "en", ...): only languages present, values cleaned."""

UnitFormat = Literal["2018", "2019"]

UNIT_CODE = re.compile(r"tutkinnonosat_[0-9]+")
_LANGUAGE_KEY = re.compile(r"[a-z]{2,3}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COMMON_TYPES = frozenset({"reformi_tutke2", "tutke2"})
# Lead-ins that introduce a requirement list; removed when a list item repeats them.
_LEAD_IN = re.compile(
    r"^(?:opiskelija osaa|den studerande kan|students? (?:know|knows) how to|"
    r"the student (?:is able to|can))\b[\s:]*",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^[•●▪◦]\s*")
_LANGUAGE_PREFERENCE = ("fi", "sv", "en")


class EperusteetFormatError(ValueError):
    """An ePerusteet document lacks a required field or has one of the wrong type."""


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """One skill requirement (ammattitaitovaatimus) or competence objective (osaamistavoite).

    Attributes:
        code: Koodisto URI such as `ammattitaitovaatimukset_4735` or
            `osaamistavoitteet_1099`; None in the 2018 HTML format.
        text: The requirement without the "Opiskelija osaa" lead-in or a trailing period.
        area: The kohdealue description grouping the requirement (2019 format), else None.
        osa_alue: Code of the common unit's osa-alue (e.g. "YTYK"), else None.
        osa_alue_language: Language variant of the osa-alue (`kielikoodi` value, e.g. "FI",
            "SV"), for osa-alueet that exist once per language; else None.
        mandatory: True for pakolliset, False for valinnaiset osaamistavoitteet of a common
            unit; None for other units.
    """

    code: str | None
    text: Localized
    area: Localized | None = None
    osa_alue: str | None = None
    osa_alue_language: str | None = None
    mandatory: bool | None = None


@dataclass(frozen=True)
class LevelCriteria:
    """The assessment criteria of one competence level (2018 format).

    Attributes:
        level: The level id of the source (`_osaamistaso`, e.g. "5", "7", "9").
        criteria: One text per criterion.
    """

    level: str
    criteria: tuple[Localized, ...]


@dataclass(frozen=True)
class AssessmentArea:
    """One arvioinnin kohdealue of a 2018 unit: its title and the criteria per level.

    Levels with no criteria are left out; levels are ordered by their id.
    """

    title: Localized
    levels: tuple[LevelCriteria, ...]


@dataclass(frozen=True)
class Unit:
    """A vocational unit (tutkinnon osa).

    Attributes:
        code: Koodisto URI `tutkinnonosat_NNNNNN`.
        koodi_version: Version of the Koodisto code, when given.
        name: Unit name.
        osp: Scope in competence points: from the qualification's viite when parsed as part
            of a qualification, else the unit's own `laajuus`.
        viite_id: Id of the tutkinnon osa viite pointing to this unit, when known.
        unit_id: ePerusteet id of the unit.
        format: "2019" when the unit uses `ammattitaitovaatimukset2019`, 2020 osa-alueet or
            the generic assessment scale; otherwise "2018".
        requirements: The requirements in document order.
        assessment: Assessment areas of the 2018 format (empty for 2019 units).
        generic_scale: Whether the unit is assessed on the generic scale (2019 format).
        modified: Last modification time (`muokattu`).
        common: Whether this is a common unit (yhteinen tutkinnon osa).
        warnings: What the parser left out of this unit, and why.
    """

    code: str
    koodi_version: int | None
    name: Localized
    osp: int | None
    viite_id: int | None
    unit_id: int
    format: UnitFormat
    requirements: tuple[Requirement, ...]
    assessment: tuple[AssessmentArea, ...]
    generic_scale: bool
    modified: datetime | None
    common: bool
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Peruste:
    """A qualification (tutkinnon peruste) with its units.

    Attributes:
        id: ePerusteet id of the peruste.
        diaarinumero: Register number of the regulation (e.g. "OPH-2455-2017"), when given.
        name: Name of the qualification.
        koulutus_codes: Koodisto URIs of the qualification (`koulutus_NNNNNN`).
        valid_from: Start of validity (voimassaoloAlkaa).
        valid_until: End of validity (voimassaoloLoppuu).
        transition_ends: End of the transition period (siirtymaPaattyy).
        modified: Last modification time (muokattu).
        units: The units in document order (`tutkinnonOsat`).
        warnings: Inconsistencies found between the viitteet and the units.
    """

    id: int
    diaarinumero: str | None
    name: Localized
    koulutus_codes: tuple[str, ...]
    valid_from: datetime | None
    valid_until: datetime | None
    transition_ends: datetime | None
    modified: datetime | None
    units: tuple[Unit, ...]
    warnings: tuple[str, ...] = ()

    def unit(self, code: str) -> Unit:
        """Return the unit with the given Koodisto URI.

        Args:
            code: A `tutkinnonosat_NNNNNN` URI.

        Raises:
            KeyError: When the qualification has no such unit.
        """
        for unit in self.units:
            if unit.code == code:
                return unit
        raise KeyError(code)


@dataclass(frozen=True)
class SearchHit:
    """One qualification of a search result page (no units)."""

    id: int
    name: Localized
    diaarinumero: str | None
    koulutustyyppi: str | None
    koulutus_codes: tuple[str, ...]
    valid_from: datetime | None
    valid_until: datetime | None
    transition_ends: datetime | None


@dataclass(frozen=True)
class SearchPage:
    """One page of `GET /perusteet`.

    Attributes:
        hits: The qualifications on this page.
        page: Zero-based page number (`sivu` / `number`).
        pages: Number of pages (`sivuja` / `totalPages`).
        page_size: Page size (`sivukoko` / `size`).
        total: Number of matches over all pages (`kokonaismäärä` / `totalElements`).
    """

    hits: tuple[SearchHit, ...]
    page: int
    pages: int
    page_size: int
    total: int


# --- field access with paths ---------------------------------------------------------------


@dataclass(frozen=True)
class _At:
    """Where a value sits: the document (file name or URL) and the JSON path inside it."""

    source: str
    path: str = ""

    def key(self, name: str) -> _At:
        return _At(self.source, f"{self.path}.{name}" if self.path else name)

    def index(self, i: int) -> _At:
        return _At(self.source, f"{self.path}[{i}]")

    def fail(self, problem: str) -> NoReturn:
        raise EperusteetFormatError(f"{self.source}: {self.path or '$'}: {problem}")


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def _as_object(value: object, at: _At) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        at.fail(f"expected an object, got {_type_name(value)}")
    return value


def _opt_object(obj: Mapping[str, Any], name: str, at: _At) -> Mapping[str, Any] | None:
    value = obj.get(name)
    if value is None:
        return None
    return _as_object(value, at.key(name))


def _req_object(obj: Mapping[str, Any], name: str, at: _At) -> Mapping[str, Any]:
    if obj.get(name) is None:
        at.key(name).fail("required field is missing")
    return _as_object(obj[name], at.key(name))


def _opt_list(obj: Mapping[str, Any], name: str, at: _At) -> Sequence[Any]:
    value = obj.get(name)
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        at.key(name).fail(f"expected an array, got {_type_name(value)}")
    return value


def _req_list(obj: Mapping[str, Any], name: str, at: _At) -> Sequence[Any]:
    if obj.get(name) is None:
        at.key(name).fail("required field is missing")
    return _opt_list(obj, name, at)


def _opt_int(obj: Mapping[str, Any], name: str, at: _At) -> int | None:
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        at.key(name).fail(f"expected an integer, got {_type_name(value)}")
    if isinstance(value, float):
        if not value.is_integer():
            at.key(name).fail(f"expected an integer, got {value}")
        return int(value)
    return value


def _req_int(obj: Mapping[str, Any], name: str, at: _At) -> int:
    value = _opt_int(obj, name, at)
    if value is None:
        at.key(name).fail("required field is missing")
    return value


def _opt_str(obj: Mapping[str, Any], name: str, at: _At) -> str | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        at.key(name).fail(f"expected a string, got {_type_name(value)}")
    return value.strip() or None


def _req_str(obj: Mapping[str, Any], name: str, at: _At) -> str:
    value = _opt_str(obj, name, at)
    if value is None:
        at.key(name).fail("required field is missing")
    return value


def _opt_bool(obj: Mapping[str, Any], name: str, at: _At) -> bool | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        at.key(name).fail(f"expected a boolean, got {_type_name(value)}")
    return value


def _opt_time(obj: Mapping[str, Any], name: str, at: _At) -> datetime | None:
    """Epoch milliseconds (what the API sends) or an ISO 8601 time with an offset."""
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return _EPOCH + timedelta(milliseconds=value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            at.key(name).fail(f"not a time: {value!r}")
        if parsed.tzinfo is None:
            at.key(name).fail(f"time without a time zone: {value!r}")
        return parsed.astimezone(UTC)
    at.key(name).fail(f"expected epoch milliseconds, got {_type_name(value)}")


# --- text ----------------------------------------------------------------------------------


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment, with a space for every tag boundary."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def html_to_text(fragment: str) -> str:
    """Return the text of an HTML fragment: tags removed, entities unescaped, whitespace
    collapsed.

    Args:
        fragment: HTML or plain text.

    Returns:
        The text on one line, stripped.
    """
    if "<" not in fragment and "&" not in fragment:
        return _collapse(fragment)
    extractor = _TextExtractor()
    extractor.feed(fragment)
    extractor.close()
    return _collapse("".join(extractor.parts))


class _ListItemExtractor(HTMLParser):
    """Collects the own text of every `<li>` (without nested list items), in document order,
    and the text of paragraphs outside lists (for lists written as "•" paragraphs)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[str] = []
        self.paragraphs: list[str] = []
        # Open elements that matter: ("list", -1) or ("li", index into self.items).
        self._open: list[tuple[str, int]] = []
        self._buffers: dict[int, list[str]] = {}
        self._paragraph: list[str] | None = None

    def _close_item(self) -> None:
        _, slot = self._open.pop()
        self.items[slot] = _collapse("".join(self._buffers.pop(slot)))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "li":
            if self._open and self._open[-1][0] == "li":
                self._close_item()  # an omitted </li>
            self.items.append("")
            slot = len(self.items) - 1
            self._buffers[slot] = []
            self._open.append(("li", slot))
        elif tag in ("ul", "ol"):
            self._open.append(("list", -1))
        elif tag == "p" and not self._open:
            self._flush_paragraph()
            self._paragraph = []
        else:
            self._data(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "li":
            if self._open and self._open[-1][0] == "li":
                self._close_item()
        elif tag in ("ul", "ol"):
            while self._open and self._open[-1][0] == "li":
                self._close_item()
            if self._open:
                self._open.pop()
        elif tag == "p" and not self._open:
            self._flush_paragraph()
        else:
            self._data(" ")

    def handle_data(self, data: str) -> None:
        self._data(data)

    def _data(self, data: str) -> None:
        for kind, slot in reversed(self._open):
            if kind == "li":
                self._buffers[slot].append(data)
                return
        if self._paragraph is not None and not self._open:
            self._paragraph.append(data)

    def _flush_paragraph(self) -> None:
        if self._paragraph is not None:
            text = _collapse("".join(self._paragraph))
            if text:
                self.paragraphs.append(text)
        self._paragraph = None

    def close(self) -> None:
        super().close()
        while self._open:
            if self._open[-1][0] == "li":
                self._close_item()
            else:
                self._open.pop()
        self._flush_paragraph()


def _clean_requirement(text: str) -> str:
    text = _LEAD_IN.sub("", _BULLET.sub("", text)).strip()
    while text.endswith("."):
        text = text[:-1].rstrip()
    return text


def list_items(fragment: str) -> list[str]:
    """Return the requirement texts of one HTML list, one per `<li>`.

    Each `<li>` contributes its own text (nested items are items of their own; an item that
    only wraps a nested list contributes nothing). When the fragment has no `<li>` at all,
    paragraphs starting with a bullet ("•") are taken as the items. Lead-ins such as
    "Opiskelija osaa" and trailing periods are removed.

    Args:
        fragment: An HTML fragment such as `<p>Opiskelija osaa</p><ul><li>…</li></ul>`.

    Returns:
        The non-empty item texts in document order.
    """
    extractor = _ListItemExtractor()
    extractor.feed(fragment)
    extractor.close()
    items = [t for t in extractor.items if t]
    if not items:
        items = [p for p in extractor.paragraphs if _BULLET.match(p)]
    cleaned = (_clean_requirement(t) for t in items)
    return [t for t in cleaned if t]


def _language_items(value: Any, at: _At) -> dict[str, str]:
    """The language entries of a localized object (`_id`, `_tunniste` and nulls skipped)."""
    obj = _as_object(value, at)
    out: dict[str, str] = {}
    for lang, text in obj.items():
        if not isinstance(lang, str) or not _LANGUAGE_KEY.fullmatch(lang) or text is None:
            continue
        if not isinstance(text, str):
            at.key(lang).fail(f"expected a string, got {_type_name(text)}")
        out[lang] = text
    return out


def _localized(value: Any, at: _At) -> Localized:
    out: Localized = {}
    for lang, text in _language_items(value, at).items():
        cleaned = html_to_text(text)
        if cleaned:
            out[lang] = cleaned
    return out


def _opt_localized(obj: Mapping[str, Any], name: str, at: _At) -> Localized | None:
    value = obj.get(name)
    if value is None:
        return None
    return _localized(value, at.key(name)) or None


def _req_localized(obj: Mapping[str, Any], name: str, at: _At, *, lang: str) -> Localized:
    value = obj.get(name)
    if value is None:
        at.key(name).fail("required field is missing")
    texts = _localized(value, at.key(name))
    if lang not in texts:
        at.key(name).key(lang).fail("required field is missing")
    return texts


# --- units ---------------------------------------------------------------------------------


def _html_requirements(
    value: Any,
    at: _At,
    warnings: list[str],
    *,
    osa_alue: str | None = None,
    mandatory: bool | None = None,
) -> list[Requirement]:
    """Requirements of a localized HTML list (2018 format), languages aligned by position.

    The reference language is Finnish (else Swedish, English, or the first present); a
    language with a different number of items is dropped for this list, with a warning.
    """
    per_language = {lang: list_items(text) for lang, text in _language_items(value, at).items()}
    with_items = {lang: items for lang, items in per_language.items() if items}
    if not with_items:
        if any(html_to_text(t) for t in _language_items(value, at).values()):
            warnings.append(f"{at.path}: text without list items, not read as requirements")
        return []
    reference = next(
        (lang for lang in _LANGUAGE_PREFERENCE if lang in with_items), sorted(with_items)[0]
    )
    count = len(with_items[reference])
    aligned: dict[str, list[str]] = {}
    for lang, items in per_language.items():
        if len(items) == count:
            aligned[lang] = items
        else:
            warnings.append(
                f"{at.path}: {lang} has {len(items)} items, {reference} has {count}; "
                f"{lang} left out"
            )
    return [
        Requirement(
            code=None,
            text={lang: items[i] for lang, items in aligned.items()},
            osa_alue=osa_alue,
            mandatory=mandatory,
        )
        for i in range(count)
    ]


def _requirement_texts(value: Any, at: _At) -> Localized:
    out: Localized = {}
    for lang, text in _language_items(value, at).items():
        cleaned = _clean_requirement(html_to_text(text))
        if cleaned:
            out[lang] = cleaned
    return out


def _coded_requirements(
    obj: Mapping[str, Any],
    at: _At,
    warnings: list[str],
    *,
    osa_alue: str | None = None,
    osa_alue_language: str | None = None,
    mandatory: bool | None = None,
) -> list[Requirement]:
    """Requirements of an Ammattitaitovaatimukset2019Dto: its own `vaatimukset`, then those of
    each `kohdealueet[]` with the area's `kuvaus`."""
    groups: list[tuple[Localized | None, Sequence[Any], _At]] = [
        (None, _opt_list(obj, "vaatimukset", at), at.key("vaatimukset"))
    ]
    for i, area_value in enumerate(_opt_list(obj, "kohdealueet", at)):
        area_at = at.key("kohdealueet").index(i)
        area_obj = _as_object(area_value, area_at)
        area = _opt_localized(area_obj, "kuvaus", area_at)
        groups.append(
            (area, _opt_list(area_obj, "vaatimukset", area_at), area_at.key("vaatimukset"))
        )
    out: list[Requirement] = []
    for area, items, list_at in groups:
        for j, item in enumerate(items):
            item_at = list_at.index(j)
            item_obj = _as_object(item, item_at)
            koodi = _opt_object(item_obj, "koodi", item_at)
            code = _opt_str(koodi, "uri", item_at.key("koodi")) if koodi else None
            vaatimus = item_obj.get("vaatimus")
            text = _requirement_texts(vaatimus, item_at.key("vaatimus")) if vaatimus else {}
            if not text and koodi is not None and koodi.get("nimi") is not None:
                text = _requirement_texts(koodi["nimi"], item_at.key("koodi").key("nimi"))
            if not text:
                warnings.append(f"{item_at.path}: requirement without text left out")
                continue
            out.append(
                Requirement(
                    code=code,
                    text=text,
                    area=area,
                    osa_alue=osa_alue,
                    osa_alue_language=osa_alue_language,
                    mandatory=mandatory,
                )
            )
    return out


def _osa_alue_requirements(
    unit: Mapping[str, Any], at: _At, warnings: list[str]
) -> tuple[list[Requirement], bool]:
    """Requirements of a common unit's osa-alueet; the flag tells whether any osa-alue uses
    the 2020 form."""
    out: list[Requirement] = []
    form_2020 = False
    for i, value in enumerate(_opt_list(unit, "osaAlueet", at)):
        oa_at = at.key("osaAlueet").index(i)
        oa = _as_object(value, oa_at)
        code = _opt_str(oa, "koodiArvo", oa_at)
        koodi = _opt_object(oa, "koodi", oa_at)
        if code is None and koodi is not None:
            code = _opt_str(koodi, "arvo", oa_at.key("koodi"))
        kielikoodi = _opt_object(oa, "kielikoodi", oa_at)
        language = _opt_str(kielikoodi, "arvo", oa_at.key("kielikoodi")) if kielikoodi else None
        tyyppi = _opt_str(oa, "tyyppi", oa_at)
        if tyyppi is not None and tyyppi.lower() == "osaalue2020":
            form_2020 = True
        for name, mandatory in (
            ("pakollisetOsaamistavoitteet", True),
            ("valinnaisetOsaamistavoitteet", False),
        ):
            tavoite = _opt_object(oa, name, oa_at)
            if tavoite is None:
                continue
            form_2020 = True
            tavoitteet = _opt_object(tavoite, "tavoitteet", oa_at.key(name))
            if tavoitteet is not None:
                out += _coded_requirements(
                    tavoitteet,
                    oa_at.key(name).key("tavoitteet"),
                    warnings,
                    osa_alue=code,
                    osa_alue_language=language,
                    mandatory=mandatory,
                )
        for j, value_2014 in enumerate(_opt_list(oa, "osaamistavoitteet", oa_at)):
            ot_at = oa_at.key("osaamistavoitteet").index(j)
            ot = _as_object(value_2014, ot_at)
            tavoitteet_html = ot.get("tavoitteet")
            if tavoitteet_html is None:
                continue
            out += _html_requirements(
                tavoitteet_html,
                ot_at.key("tavoitteet"),
                warnings,
                osa_alue=code,
                mandatory=_opt_bool(ot, "pakollinen", ot_at),
            )
    return out, form_2020


def _level_key(level: LevelCriteria) -> tuple[int, int, str]:
    return (0, int(level.level), "") if level.level.isdigit() else (1, 0, level.level)


def _assessment(unit: Mapping[str, Any], at: _At) -> tuple[AssessmentArea, ...]:
    arviointi = _opt_object(unit, "arviointi", at)
    if arviointi is None:
        return ()
    arv_at = at.key("arviointi")
    areas: list[AssessmentArea] = []
    for i, area_value in enumerate(_opt_list(arviointi, "arvioinninKohdealueet", arv_at)):
        area_at = arv_at.key("arvioinninKohdealueet").index(i)
        area = _as_object(area_value, area_at)
        levels: list[LevelCriteria] = []
        for j, target_value in enumerate(_opt_list(area, "arvioinninKohteet", area_at)):
            target_at = area_at.key("arvioinninKohteet").index(j)
            target = _as_object(target_value, target_at)
            for k, level_value in enumerate(_opt_list(target, "osaamistasonKriteerit", target_at)):
                level_at = target_at.key("osaamistasonKriteerit").index(k)
                level = _as_object(level_value, level_at)
                level_id = level.get("_osaamistaso")
                if isinstance(level_id, int) and not isinstance(level_id, bool):
                    level_id = str(level_id)
                if not isinstance(level_id, str) or not level_id:
                    level_at.key("_osaamistaso").fail("required field is missing")
                criteria = tuple(
                    text
                    for n, c in enumerate(_opt_list(level, "kriteerit", level_at))
                    if (text := _localized(c, level_at.key("kriteerit").index(n)))
                )
                if criteria:
                    levels.append(LevelCriteria(level=level_id, criteria=criteria))
        title = _opt_localized(area, "otsikko", area_at) or {}
        areas.append(AssessmentArea(title=title, levels=tuple(sorted(levels, key=_level_key))))
    return tuple(areas)


def _parse_unit(
    data: Any, at: _At, *, osp: int | None, viite_id: int | None, warnings: list[str]
) -> Unit:
    unit = _as_object(data, at)
    unit_id = _req_int(unit, "id", at)
    code = _req_str(unit, "koodiUri", at)
    if not UNIT_CODE.fullmatch(code):
        at.key("koodiUri").fail(f"not a tutkinnonosat code: {code!r}")
    koodi = _opt_object(unit, "koodi", at)
    koodi_version = _opt_int(koodi, "versio", at.key("koodi")) if koodi else None
    name = _req_localized(unit, "nimi", at, lang="fi")
    own_osp = _opt_int(unit, "laajuus", at)
    if osp is None:
        osp = own_osp
    if viite_id is None:
        viite_id = _opt_int(unit, "tutkinnonosaViiteId", at)
    tyyppi = (_opt_str(unit, "tyyppi", at) or "").lower()

    requirements: list[Requirement] = []
    a2019 = _opt_object(unit, "ammattitaitovaatimukset2019", at)
    if a2019 is not None:
        requirements += _coded_requirements(a2019, at.key("ammattitaitovaatimukset2019"), warnings)
    elif unit.get("ammattitaitovaatimukset") is not None:
        requirements += _html_requirements(
            unit["ammattitaitovaatimukset"], at.key("ammattitaitovaatimukset"), warnings
        )
    if a2019 is None and _opt_list(unit, "ammattitaitovaatimuksetLista", at):
        warnings.append(f"{at.key('ammattitaitovaatimuksetLista').path}: not read")
    common_requirements, form_2020 = _osa_alue_requirements(unit, at, warnings)
    requirements += common_requirements

    generic_scale = _opt_object(unit, "geneerinenArviointiasteikko", at) is not None
    unit_format: UnitFormat = "2019" if a2019 is not None or form_2020 or generic_scale else "2018"
    return Unit(
        code=code,
        koodi_version=koodi_version,
        name=name,
        osp=osp,
        viite_id=viite_id,
        unit_id=unit_id,
        format=unit_format,
        requirements=tuple(requirements),
        assessment=_assessment(unit, at) if unit_format == "2018" else (),
        generic_scale=generic_scale,
        modified=_opt_time(unit, "muokattu", at),
        common=tyyppi in _COMMON_TYPES or bool(_opt_list(unit, "osaAlueet", at)),
        warnings=tuple(warnings),
    )


def parse_unit(
    data: Mapping[str, Any],
    *,
    source: str,
    osp: int | None = None,
    viite_id: int | None = None,
) -> Unit:
    """Parse one unit (`TutkinnonOsaKaikkiDto`, e.g. `GET /peruste/tutkinnonosa/{koodiUri}`).

    Args:
        data: The decoded JSON object.
        source: File name or URL, named in error messages.
        osp: Scope from the qualification's viite; defaults to the unit's own `laajuus`.
        viite_id: Id of the viite pointing to the unit; defaults to `tutkinnonosaViiteId`.

    Returns:
        The unit.

    Raises:
        EperusteetFormatError: A required field (id, koodiUri, nimi.fi) is missing or a field
            has the wrong type.
    """
    return _parse_unit(data, _At(source), osp=osp, viite_id=viite_id, warnings=[])


def parse_units(data: Any, *, source: str) -> tuple[Unit, ...]:
    """Parse a list of units: a JSON array, or a page object whose `data` (or `content`)
    holds them (as the saved versions of a common unit are).

    Args:
        data: The decoded JSON.
        source: File name or URL, named in error messages.

    Returns:
        The units in document order.

    Raises:
        EperusteetFormatError: As `parse_unit`, with the item's path.
    """
    at = _At(source)
    if isinstance(data, Mapping):
        key = "data" if "data" in data else "content"
        items, at = _req_list(data, key, at), at.key(key)
    elif isinstance(data, list):
        items = data
    else:
        at.fail(f"expected an array or an object, got {_type_name(data)}")
    return tuple(
        _parse_unit(item, at.index(i), osp=None, viite_id=None, warnings=[])
        for i, item in enumerate(items)
    )


# --- qualifications ------------------------------------------------------------------------


def _viite_target(viite: Mapping[str, Any], at: _At) -> int:
    target = viite.get("_tutkinnonOsa", viite.get("tutkinnonOsa"))
    name = "_tutkinnonOsa" if "_tutkinnonOsa" in viite else "tutkinnonOsa"
    if isinstance(target, Mapping):  # an embedded unit
        return _req_int(target, "id", at.key(name))
    if isinstance(target, str) and target.isdigit():
        return int(target)
    if isinstance(target, int) and not isinstance(target, bool):
        return target
    if target is None:
        at.key("_tutkinnonOsa").fail("required field is missing")
    at.key(name).fail(f"expected a unit id, got {target!r}")


def _viitteet(
    peruste: Mapping[str, Any], at: _At, warnings: list[str]
) -> dict[int, tuple[int | None, int]]:
    """Map unit id -> (osp, viite id), preferring suoritustapa "reformi"."""
    ways: list[tuple[int, str, Mapping[str, Any], _At]] = []
    for i, value in enumerate(_opt_list(peruste, "suoritustavat", at)):
        way_at = at.key("suoritustavat").index(i)
        way = _as_object(value, way_at)
        way_code = (_opt_str(way, "suoritustapakoodi", way_at) or "").lower()
        ways.append((0 if way_code == "reformi" else 1, way_code, way, way_at))
    found: dict[int, tuple[int | None, int]] = {}
    for _, way_code, way, way_at in sorted(ways, key=lambda w: w[0]):
        for j, value in enumerate(_opt_list(way, "tutkinnonOsaViitteet", way_at)):
            viite_at = way_at.key("tutkinnonOsaViitteet").index(j)
            viite = _as_object(value, viite_at)
            unit_id = _viite_target(viite, viite_at)
            entry = (_opt_int(viite, "laajuus", viite_at), _req_int(viite, "id", viite_at))
            if unit_id not in found:
                found[unit_id] = entry
            elif found[unit_id][0] != entry[0]:
                warnings.append(
                    f"{viite_at.path}: unit {unit_id} has {entry[0]} osp in suoritustapa "
                    f"{way_code!r}, {found[unit_id][0]} taken"
                )
    return found


def _koulutus_codes(peruste: Mapping[str, Any], at: _At) -> tuple[str, ...]:
    codes: list[str] = []
    for i, value in enumerate(_opt_list(peruste, "koulutukset", at)):
        item_at = at.key("koulutukset").index(i)
        codes.append(_req_str(_as_object(value, item_at), "koulutuskoodiUri", item_at))
    return tuple(codes)


def parse_peruste(data: Mapping[str, Any], *, source: str) -> Peruste:
    """Parse a qualification with its units (`PerusteKaikkiDto`, `GET /peruste/{id}`).

    Each unit's osp is taken from the `tutkinnonOsaViitteet` entry pointing to it (suoritustapa
    "reformi" first), else from the unit's own `laajuus`; differences are recorded in the
    unit's warnings.

    Args:
        data: The decoded JSON object.
        source: File name or URL, named in error messages.

    Returns:
        The qualification.

    Raises:
        EperusteetFormatError: A required field (id, nimi.fi, a unit's id, koodiUri or
            nimi.fi, a viite's id or target) is missing or a field has the wrong type.
    """
    at = _At(source)
    peruste = _as_object(data, at)
    peruste_id = _req_int(peruste, "id", at)
    name = _req_localized(peruste, "nimi", at, lang="fi")
    warnings: list[str] = []
    viitteet = _viitteet(peruste, at, warnings)
    units: list[Unit] = []
    seen: set[int] = set()
    for i, value in enumerate(_opt_list(peruste, "tutkinnonOsat", at)):
        unit_at = at.key("tutkinnonOsat").index(i)
        unit_obj = _as_object(value, unit_at)
        unit_id = _req_int(unit_obj, "id", unit_at)
        seen.add(unit_id)
        unit_warnings: list[str] = []
        osp, viite_id = viitteet.get(unit_id, (None, None))
        own = _opt_int(unit_obj, "laajuus", unit_at)
        if osp is not None and own is not None and osp != own:
            unit_warnings.append(f"{unit_at.path}: laajuus {own} differs from the viite's {osp}")
        units.append(
            _parse_unit(unit_obj, unit_at, osp=osp, viite_id=viite_id, warnings=unit_warnings)
        )
    for unit_id in viitteet.keys() - seen:
        warnings.append(f"suoritustavat: a viite points to unit {unit_id}, not in tutkinnonOsat")
    return Peruste(
        id=peruste_id,
        diaarinumero=_opt_str(peruste, "diaarinumero", at),
        name=name,
        koulutus_codes=_koulutus_codes(peruste, at),
        valid_from=_opt_time(peruste, "voimassaoloAlkaa", at),
        valid_until=_opt_time(peruste, "voimassaoloLoppuu", at),
        transition_ends=_opt_time(peruste, "siirtymaPaattyy", at),
        modified=_opt_time(peruste, "muokattu", at),
        units=tuple(units),
        warnings=tuple(sorted(warnings)),
    )


# --- search --------------------------------------------------------------------------------


def _search_hit(value: Any, at: _At) -> SearchHit:
    hit = _as_object(value, at)
    name = _localized(_req_object(hit, "nimi", at), at.key("nimi"))
    if not name:
        at.key("nimi").fail("no text in any language")
    return SearchHit(
        id=_req_int(hit, "id", at),
        name=name,
        diaarinumero=_opt_str(hit, "diaarinumero", at),
        koulutustyyppi=_opt_str(hit, "koulutustyyppi", at),
        koulutus_codes=_koulutus_codes(hit, at),
        valid_from=_opt_time(hit, "voimassaoloAlkaa", at),
        valid_until=_opt_time(hit, "voimassaoloLoppuu", at),
        transition_ends=_opt_time(hit, "siirtymaPaattyy", at),
    )


def parse_search_page(data: Mapping[str, Any], *, source: str) -> SearchPage:
    """Parse one page of `GET /perusteet`.

    Both page shapes are read: `{data, sivu, sivuja, sivukoko, kokonaismäärä}` (the saved
    answers) and Spring's `{content, number, totalPages, size, totalElements}` (the shape the
    OpenAPI description gives for `PagePerusteenJulkaisuData`).

    Args:
        data: The decoded JSON object.
        source: File name or URL, named in error messages.

    Returns:
        The page.

    Raises:
        EperusteetFormatError: A required field is missing or has the wrong type.
    """
    at = _At(source)
    page = _as_object(data, at)
    if "data" in page:
        items_key, names = "data", ("sivu", "sivuja", "sivukoko", "kokonaismäärä")
    else:
        items_key, names = "content", ("number", "totalPages", "size", "totalElements")
    items = _req_list(page, items_key, at)
    number, pages, size, total = (_req_int(page, n, at) for n in names)
    return SearchPage(
        hits=tuple(_search_hit(v, at.key(items_key).index(i)) for i, v in enumerate(items)),
        page=number,
        pages=pages,
        page_size=size,
        total=total,
    )
