"""Fixtures for key tests: locate the shared standards folder (vectors hold test keys)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import STANDARDS


def standards_dir() -> Path:
    """The shared standards folder (may not exist); see tests/conftest.py."""
    return STANDARDS


def load_vector_json(relative: str) -> Any:
    """Parse ``standards/<relative>`` or skip the test naming the missing file."""
    path = standards_dir() / relative
    if not path.exists():
        pytest.skip(f"standards file missing: {path} (set OSAAMISPASSI_STANDARDS_DIR)")
    return json.loads(path.read_text(encoding="utf-8"))
