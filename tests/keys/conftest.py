"""Fixtures for key tests: locate the shared standards folder (vectors hold test keys)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def standards_dir() -> Path:
    """The shared standards folder (may not exist)."""
    override = os.environ.get("OSAAMISPASSI_STANDARDS_DIR")
    if override:
        return Path(override)
    return (REPO_ROOT / ".." / "shared" / "standards").resolve()


def load_vector_json(relative: str) -> Any:
    """Parse ``standards/<relative>`` or skip the test naming the missing file."""
    path = standards_dir() / relative
    if not path.exists():
        pytest.skip(f"standards file missing: {path} (set OSAAMISPASSI_STANDARDS_DIR)")
    return json.loads(path.read_text(encoding="utf-8"))
