"""`osaamispassi eperusteet import|sync` as an operator runs them, on a copy of the catalog."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from app.cli import app
from app.config import PROJECT_ROOT, get_settings
from tests.conftest import STANDARDS
from tests.eperusteet.conftest import AMOSAA, PUU, shared_path
from tests.eperusteet.test_sync import changed_copy

runner = CliRunner()


@pytest.fixture
def catalog_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "catalog"
    shutil.copytree(PROJECT_ROOT / "criteria", root / "criteria")
    shutil.copytree(PROJECT_ROOT / "badges", root / "badges")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CONTEXTS_DIR", str(STANDARDS / "contexts"))
    monkeypatch.setenv("CATALOG_DIR", str(root))
    monkeypatch.setenv("EPERUSTEET_URL", "https://eperusteet.invalid/api/external")
    get_settings.cache_clear()
    yield root
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_reimporting_the_saved_perusteet_changes_nothing_but_the_date(catalog_copy: Path) -> None:
    for name, slug in ((PUU, "puuteollisuuden-perustutkinto"), (AMOSAA, "yhteiset-tutkinnon-osat")):
        path = catalog_copy / "criteria" / f"{slug}.yaml"
        before = yaml.safe_load(path.read_text(encoding="utf-8"))
        code, out = run("eperusteet", "import", str(shared_path(name)))
        assert code == 0, out
        assert "same" in out and "removed" not in out
        after = yaml.safe_load(path.read_text(encoding="utf-8"))
        before["provenance"].pop("imported")
        after["provenance"].pop("imported")
        assert after == before


def test_an_import_that_would_break_a_badge_writes_nothing(
    catalog_copy: Path, tmp_path: Path
) -> None:
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(changed_copy()), encoding="utf-8")
    path = catalog_copy / "criteria" / "puuteollisuuden-perustutkinto.yaml"
    before = path.read_text(encoding="utf-8")
    code, out = run("eperusteet", "import", str(changed))
    assert code == 1
    assert "puu-pintakasittely-turvallisuus" in out and "badges/puutyo-3.yaml" in out
    assert path.read_text(encoding="utf-8") == before


def test_bad_input_names_the_field_and_the_file(catalog_copy: Path, tmp_path: Path) -> None:
    data = json.loads(shared_path(PUU).read_text(encoding="utf-8"))
    del data["tutkinnonOsat"][0]["koodiUri"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    code, out = run("eperusteet", "import", str(broken))
    assert code == 1
    assert "broken.json" in out and "tutkinnonOsat[0].koodiUri" in out
    (tmp_path / "not.json").write_text("<html>", encoding="utf-8")
    code, out = run("eperusteet", "import", str(tmp_path / "not.json"), "--qualification", "x")
    assert code == 1 and "not.json" in out and "not a JSON document" in out
    code, out = run("eperusteet", "import", str(shared_path(PUU)), "--unit", "tutkinnonosat_106921")
    assert code == 1 and "has no unit tutkinnonosat_106921" in out


def test_sync_reports_per_badge_and_stores_the_findings(catalog_copy: Path, tmp_path: Path) -> None:
    assert run("db", "upgrade")[0] == 0
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(changed_copy()), encoding="utf-8")
    code, out = run(
        "eperusteet",
        "sync",
        "--file",
        f"3932281={changed}",
        "--file",
        f"8505691={shared_path(AMOSAA)}",
    )
    # The perusteet awaiting import cannot be fetched here: said so, exit code 1.
    assert code == 1, out
    assert "ravintola-ja-catering-alan-perustutkinto: peruste 4221360:" in out
    assert "puuteollisuuden-perustutkinto: 3 finding(s)" in out
    assert "yhteiset-tutkinnon-osat: 0 finding(s)" in out
    assert "logistiikan-perustutkinto: awaiting import, no peruste id known" in out
    assert "badge puutyo-3:" in out
    assert "puu-pintakasittely-turvallisuus requirement removed" in out
    assert "3 new finding(s) stored" in out or "new finding(s) stored" in out
    # Found again: nothing stored twice.
    code, again = run("eperusteet", "sync", "--file", f"3932281={changed}")
    assert "0 new finding(s) stored" in again
