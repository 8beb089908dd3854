"""Saved ePerusteet answers, read from the shared folder (never copied into the project).

With REQUIRE_SHARED=1 a missing folder or file fails the tests instead of skipping them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EPERUSTEET

REQUIRE_SHARED = os.environ.get("REQUIRE_SHARED") == "1"

PUU = (
    "koski__src__main__resources__mockdata__eperusteet__rakenne-puuteollisuuden-perustutkinto.json"
)
AMOSAA = (
    "eperusteet-amosaa__eperusteet-amosaa-service__src__test__resources__perusteet__"
    "amosaayhteinenPeruste.json"
)
KONFO_UNIT = "konfo-backend__test__resources__eperuste-tutkinnon-osa.json"
UNIT_400014 = "ehoks__resources__dev__dev-routes__eperusteet-service_api_tutkinnonosat_400014.json"
SEARCH_AUTO = "koski__src__main__resources__mockdata__eperusteet__hakutulokset-auto.json"
PERUSTEET_RAVINTOLA = "ehoks__resources__dev__dev-routes__eperusteet_api_perusteet.json"
AJONEUVO = "koski__src__main__resources__mockdata__eperusteet__ajoneuvoalan-perustutkinto-2025.json"


def shared_path(name: str) -> Path:
    """The path of a saved answer; skips (fails under REQUIRE_SHARED=1) when it is missing."""
    path = EPERUSTEET / name
    if not path.is_file():
        message = f"saved ePerusteet data not found at {path}"
        if REQUIRE_SHARED:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def shared() -> Callable[[str], Any]:
    """Load a saved answer by file name (decoded JSON, a fresh copy on every call)."""

    def load(name: str) -> Any:
        return json.loads(shared_path(name).read_bytes())

    return load
