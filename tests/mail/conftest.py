"""Databases whose transactions really commit (delivery runs commit each claim), on SQLite
and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.migrate import upgrade
from tests.conftest import fresh_postgres_schema


@pytest.fixture(
    params=[
        pytest.param("sqlite"),
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def committed_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of its own: a SQLite file, or a PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'mail.db'}"
        upgrade(url)
        yield url
        return
    with fresh_postgres_schema("m") as url:
        yield url
