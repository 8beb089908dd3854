"""Catalog read API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from tests.factories import make_org


@pytest.fixture
def loaded(session: Session, settings: Settings, real_catalog: None) -> None:
    make_org(session, settings, slug="eduro")
    session.commit()


def test_badges(client: TestClient, loaded: None) -> None:
    badges = client.get("/api/v1/badges").json()
    assert len(badges) >= 20
    puutyo = next(b for b in badges if b["slug"] == "puutyo-1")
    assert puutyo["units"] == ["tutkinnonosat_105444"]
    assert puutyo["achievement_id"] == "https://passi.test/badges/puutyo-1/v1"
    one = client.get("/api/v1/badges/puutyo-2").json()
    assert one["builds_on"] == "puutyo-1" and one["level"] == 2
    assert client.get("/api/v1/badges/nope").status_code == 404


def test_qualifications(client: TestClient, loaded: None) -> None:
    quals = client.get("/api/v1/qualifications").json()
    assert {q["slug"] for q in quals} >= {"puuteollisuuden-perustutkinto"}
    assert all(q["units"] is None for q in quals)
    puu = client.get("/api/v1/qualifications/puuteollisuuden-perustutkinto").json()
    assert puu["koulutus_code"] == "koulutus_351741"
    unit = next(u for u in puu["units"] if u["code"] == "tutkinnonosat_105444")
    assert unit["osp"] == 45 and len(unit["requirements"]) >= 4
    assert client.get("/api/v1/qualifications/none").status_code == 404
