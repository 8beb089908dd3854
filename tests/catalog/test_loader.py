"""Validation of the catalog files: every problem is reported as `file: field: problem`."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from app.catalog.loader import CatalogInvalid, load_catalog
from tests.catalog.minimal import QUALIFICATION, badge, write_catalog, write_yaml


def problems(root: Path) -> list[str]:
    with pytest.raises(CatalogInvalid) as info:
        load_catalog(root)
    return [str(p) for p in info.value.problems]


def test_minimal_catalog_is_valid(tmp_path: Path) -> None:
    catalog = load_catalog(write_catalog(tmp_path))
    assert set(catalog.badges) == {"puutyo-1", "puutyo-2"}
    assert set(catalog.requirements) == {"puu-turva", "puu-tyovaiheet"}


def test_criteria_file_that_is_not_yaml(tmp_path: Path) -> None:
    write_catalog(tmp_path)
    (tmp_path / "criteria" / "puuteollisuuden-perustutkinto.yaml").write_text("a: [b")
    found = problems(tmp_path)
    assert any(
        p.startswith("criteria/puuteollisuuden-perustutkinto.yaml: (file): not valid YAML")
        for p in found
    )


def test_criteria_file_with_missing_and_wrong_fields(tmp_path: Path) -> None:
    write_catalog(tmp_path)
    broken = copy.deepcopy(QUALIFICATION)
    del broken["url"]
    broken["units"][0]["code"] = "105444"
    broken["units"][0]["osp"] = -5
    write_yaml(tmp_path / "criteria" / "puuteollisuuden-perustutkinto.yaml", broken)
    found = problems(tmp_path)
    prefix = "criteria/puuteollisuuden-perustutkinto.yaml: "
    assert prefix + "url: Field required" in found
    assert any(p.startswith(prefix + "units[0].code: String should match pattern") for p in found)
    assert any(p.startswith(prefix + "units[0].osp: ") for p in found)


def test_imported_and_awaiting_import_rules(tmp_path: Path) -> None:
    """An imported qualification names its peruste and has osp for every unit; one awaiting
    import has no official requirement codes, and no provenance means awaiting import."""
    write_catalog(tmp_path)
    path = tmp_path / "criteria" / "puuteollisuuden-perustutkinto.yaml"
    prefix = "criteria/puuteollisuuden-perustutkinto.yaml: "
    no_diaari = copy.deepcopy(QUALIFICATION)
    del no_diaari["diaarinumero"]
    write_yaml(path, no_diaari)
    assert any("peruste id and diaarinumero" in p for p in problems(tmp_path))
    no_osp = copy.deepcopy(QUALIFICATION)
    del no_osp["units"][0]["osp"]
    write_yaml(path, no_osp)
    assert any(p.startswith(prefix + "units[0]") and "osp" in p for p in problems(tmp_path))
    awaiting = copy.deepcopy(QUALIFICATION)
    del awaiting["provenance"]
    write_yaml(path, awaiting)
    assert any("only with the qualification's provenance" in p for p in problems(tmp_path))
    awaiting["units"][0]["status"] = "awaiting-import"
    del awaiting["units"][0]["osp"]
    write_yaml(path, awaiting)
    load_catalog(tmp_path)  # valid
    awaiting["units"][0]["requirements"][0]["code"] = "ammattitaitovaatimukset_1234"
    write_yaml(path, awaiting)
    assert any("no official requirement codes" in p for p in problems(tmp_path))


def test_duplicate_requirement_id_across_files(tmp_path: Path) -> None:
    write_catalog(tmp_path)
    other = copy.deepcopy(QUALIFICATION)
    other["slug"] = "toinen"
    write_yaml(tmp_path / "criteria" / "toinen.yaml", other)
    found = problems(tmp_path)
    assert any(
        p.startswith(
            "criteria/toinen.yaml: units[0].requirements[0].id: 'puu-turva' is already used"
        )
        for p in found
    )


def test_badge_with_unknown_requirement(tmp_path: Path) -> None:
    b = badge("puutyo-1", 1, None)
    b["criteria"][0]["requirements"] = ["no-such-requirement"]
    write_catalog(tmp_path, [b])
    assert problems(tmp_path) == [
        "badges/puutyo-1.yaml: criteria[0].requirements[0]: unknown skill requirement "
        "'no-such-requirement' (not in criteria/)"
    ]


def test_vocational_badge_must_map_every_criterion(tmp_path: Path) -> None:
    b = badge("puutyo-1", 1, None)
    b["criteria"][0]["requirements"] = []
    write_catalog(tmp_path, [b])
    (found,) = problems(tmp_path)
    assert found.startswith("badges/puutyo-1.yaml: (file): Value error, criterion 'turva'")


def test_badge_pathway_problems(tmp_path: Path) -> None:
    write_catalog(
        tmp_path,
        [
            badge("puutyo-1", 1, None),
            badge("puutyo-3", 3, "puutyo-1"),
            badge("muu-2", 2, "puutyo-1", pathway="muu"),
            badge("orpo-2", 2, "ei-ole"),
        ],
    )
    found = problems(tmp_path)
    assert "badges/puutyo-3.yaml: builds_on: 'puutyo-1' is level 1; expected level 2" in found
    assert "badges/muu-2.yaml: builds_on: 'puutyo-1' is in another pathway (puutyo)" in found
    assert "badges/orpo-2.yaml: builds_on: unknown badge 'ei-ole'" in found


def test_badge_slug_image_and_enum_problems(tmp_path: Path) -> None:
    write_catalog(tmp_path, [badge("puutyo-1", 1, None)])
    write_yaml(
        tmp_path / "badges" / "vaara-nimi.yaml", badge("puutyo-9", 1, None, category="taikuus")
    )
    (tmp_path / "badges" / "puutyo-1.svg").unlink()
    found = problems(tmp_path)
    assert any(p.startswith("badges/vaara-nimi.yaml: category: Input should be") for p in found)
    assert "badges/puutyo-1.yaml: image: image file 'puutyo-1.svg' not found" in found


def test_missing_directories(tmp_path: Path) -> None:
    assert problems(tmp_path) == [
        "criteria/: (directory): missing",
        "badges/: (directory): missing",
    ]


def test_an_image_that_refers_outside_itself_is_a_problem(tmp_path: Path) -> None:
    write_catalog(tmp_path, [badge("puutyo-1", 1, None)])
    (tmp_path / "badges" / "puutyo-1.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><title>Puutyö</title>'
        '<image href="file:///etc/passwd" width="1" height="1"/></svg>\n',
        encoding="utf-8",
    )
    found = problems(tmp_path)
    assert any(
        p.startswith("badges/puutyo-1.yaml: image: must not refer to files or addresses")
        for p in found
    ), found
