"""openapi.yaml is generated from the app and must not drift from it."""

from __future__ import annotations

from pathlib import Path

import yaml

from app.openapi_export import openapi_document

ROOT = Path(__file__).resolve().parent.parent


def test_openapi_yaml_matches_the_app() -> None:
    committed = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    assert committed == openapi_document(), "openapi.yaml is stale: run `make openapi`"


def test_html_pages_are_not_in_the_api_document() -> None:
    paths = openapi_document()["paths"]
    assert all(
        p.startswith(
            ("/api/", "/healthz", "/readyz", "/orgs/", "/credentials/", "/status/", "/badges/")
        )
        for p in paths
    ), sorted(paths)
