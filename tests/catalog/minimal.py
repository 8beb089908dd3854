"""A tiny, valid catalog written into a temporary folder; tests break one file at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

QUALIFICATION: dict[str, Any] = {
    "slug": "puuteollisuuden-perustutkinto",
    "kind": "qualification",
    "eperusteet_id": 3932281,
    "diaarinumero": "OPH-2455-2017",
    "koulutus_code": "koulutus_351741",
    "name": {
        "fi": "Puuteollisuuden perustutkinto",
        "sv": "Grundexamen inom träindustrin",
        "en": "Vocational Qualification in Wood Industry",
    },
    "url": "https://eperusteet.opintopolku.fi/#/fi/ammatillinen/3932281/tiedot",
    "provenance": {
        "source": "peruste-3932281.json",
        "sha256": "0" * 64,
        "imported": "2026-12-03",
        "modified": "2022-08-15T11:55:02Z",
        "valid_from": "2018-08-01",
    },
    "units": [
        {
            "code": "tutkinnonosat_105444",
            "name": {
                "fi": "Puutuotevalmistuksessa toimiminen",
                "sv": "Att arbeta inom tillverkning av träprodukter",
                "en": "Working in wood product making",
            },
            "osp": 45,
            "requirements": [
                {"id": "puu-turva", "text": {"fi": "noudattaa työturvallisuusohjeita"}},
                {"id": "puu-tyovaiheet", "text": {"fi": "suunnitella työvaiheiden järjestyksen"}},
            ],
        }
    ],
}


def badge(slug: str, level: int, builds_on: str | None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": slug,
        "version": "1.0",
        "name": {"fi": f"Puutyö {level}", "sv": f"Träarbete {level}", "en": f"Woodwork {level}"},
        "description": {"fi": "Osaa tehdä.", "sv": "Kan göra.", "en": "Can do."},
        "category": "ammatilliset-taidot",
        "pathway": "puutyo",
        "level": level,
        "builds_on": builds_on,
        "achievement_type": "Competency",
        "criteria": [
            {
                "id": "turva",
                "text": {"fi": "Osaa", "sv": "Kan", "en": "Can"},
                "requirements": ["puu-turva"],
            },
        ],
        "tags": ["puutyö"],
    }
    data.update(extra)
    return data


SVG = '<svg xmlns="http://www.w3.org/2000/svg"><title>Puutyö</title></svg>\n'


def write_catalog(root: Path, badges: list[dict[str, Any]] | None = None) -> Path:
    (root / "criteria").mkdir(parents=True, exist_ok=True)
    (root / "badges").mkdir(parents=True, exist_ok=True)
    write_yaml(root / "criteria" / f"{QUALIFICATION['slug']}.yaml", QUALIFICATION)
    for b in (
        badges
        if badges is not None
        else [badge("puutyo-1", 1, None), badge("puutyo-2", 2, "puutyo-1")]
    ):
        write_yaml(root / "badges" / f"{b['slug']}.yaml", b)
        (root / "badges" / f"{b['slug']}.svg").write_text(SVG, encoding="utf-8")
    return root


def write_yaml(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
