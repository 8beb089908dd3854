"""Loading the catalog into the database: idempotent, versioned, archived never deleted."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, select

from app.catalog.loader import load_catalog
from app.catalog.service import sync_catalog
from app.models import BadgeDefinition, BadgeVersion, BadgeVersionRequirement, SkillRequirement
from tests.catalog.minimal import badge, write_catalog, write_yaml

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_sync_is_idempotent(session: Session, tmp_path: Path) -> None:
    catalog = load_catalog(write_catalog(tmp_path))
    first = sync_catalog(session, catalog=catalog, now=NOW)
    assert sorted(first.badges_added) == ["puutyo-1", "puutyo-2"]
    assert first.qualifications_added == ["puuteollisuuden-perustutkinto"]
    second = sync_catalog(session, catalog=load_catalog(tmp_path), now=NOW)
    assert not second.changed
    assert second.lines() == ["catalog already up to date"]
    assert len(session.exec(select(BadgeVersion)).all()) == 2
    assert len(session.exec(select(SkillRequirement)).all()) == 2
    links = session.exec(select(BadgeVersionRequirement)).all()
    assert len(links) == 2


def test_changed_badge_becomes_a_new_version(session: Session, tmp_path: Path) -> None:
    sync_catalog(session, catalog=load_catalog(write_catalog(tmp_path)), now=NOW)
    changed = badge("puutyo-1", 1, None, version="1.1")
    changed["description"]["fi"] = "Osaa tehdä turvallisesti."
    write_yaml(tmp_path / "badges" / "puutyo-1.yaml", changed)
    report = sync_catalog(session, catalog=load_catalog(tmp_path), now=NOW)
    assert report.new_versions == ["puutyo-1 r2"]
    definition = session.exec(
        select(BadgeDefinition).where(BadgeDefinition.slug == "puutyo-1")
    ).one()
    versions = session.exec(
        select(BadgeVersion)
        .where(BadgeVersion.badge_id == definition.id)
        .order_by(BadgeVersion.revision)  # type: ignore[arg-type]
    ).all()
    assert [(v.revision, v.version_label) for v in versions] == [(1, "1.0"), (2, "1.1")]
    assert versions[0].definition["description"]["fi"] == "Osaa tehdä."
    assert versions[1].definition["description"]["fi"] == "Osaa tehdä turvallisesti."


def test_removed_badge_is_archived_and_restored(session: Session, tmp_path: Path) -> None:
    sync_catalog(session, catalog=load_catalog(write_catalog(tmp_path)), now=NOW)
    (tmp_path / "badges" / "puutyo-2.yaml").unlink()
    report = sync_catalog(session, catalog=load_catalog(tmp_path), now=NOW)
    assert report.archived == ["puutyo-2"]
    row = session.exec(select(BadgeDefinition).where(BadgeDefinition.slug == "puutyo-2")).one()
    assert row.archived_at is not None
    assert session.exec(select(BadgeVersion).where(BadgeVersion.badge_id == row.id)).all()
    write_catalog(tmp_path)
    report = sync_catalog(session, catalog=load_catalog(tmp_path), now=NOW)
    assert report.restored == ["puutyo-2"]
    assert not report.new_versions
