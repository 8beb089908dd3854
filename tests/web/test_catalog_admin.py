"""The admin's catalog page (issue #12): what awaits import, the changes `eperusteet sync`
found side by side with the badges they touch, and confirming an update."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.catalog.loader import load_catalog
from app.catalog.updates import store_findings
from app.config import PROJECT_ROOT, Settings
from app.eperusteet.sync import compare, to_store
from app.models import BadgeDefinition, BadgeVersion, CatalogFinding
from app.models.base import utcnow
from tests.eperusteet.test_sync import RENAMED, _source, _unit, changed_copy
from tests.factories import issue_badge
from tests.web.conftest import World, csrf_of


def _store(session: Session, data: dict) -> None:  # type: ignore[type-arg]
    catalog = load_catalog(PROJECT_ROOT)
    source = _source(data)
    findings = compare(catalog, "puuteollisuuden-perustutkinto", source, today=date(2026, 12, 3))
    store_findings(
        session,
        to_store(findings),
        peruste_modified={"puuteollisuuden-perustutkinto": source.peruste.modified},
        now=utcnow(),
    )
    session.commit()


def test_the_page_says_what_awaits_import(admin_client: TestClient) -> None:
    page = admin_client.get("/admin/catalog")
    assert page.status_code == 200
    assert "Odottaa tuontia" in page.text
    assert "Ravintola- ja catering-alan perustutkinto" in page.text
    assert "Muutoksia ei löytynyt" in page.text


def test_coaches_cannot_see_it(coach_client: TestClient) -> None:
    assert coach_client.get("/admin/catalog").status_code in (403, 404)


def test_findings_side_by_side_and_a_blocked_confirmation(
    admin_client: TestClient, session: Session
) -> None:
    _store(session, changed_copy())
    page = admin_client.get("/admin/catalog")
    assert "Tutkinnon osan nimi muuttui" in page.text
    assert "Puutuotevalmistuksessa toimiminen" in page.text and RENAMED in page.text
    assert "Vaatimus poistui" in page.text
    assert "Puutyön perusteet" in page.text  # the badges it touches, by name
    # puutyo-3 uses the removed requirement: the update cannot be taken into use yet.
    answer = admin_client.post(
        "/admin/catalog/puuteollisuuden-perustutkinto/confirm",
        data={"csrf_token": csrf_of(page.text)},
    )
    assert answer.status_code == 409
    assert "poistaa ammattitaitovaatimuksia" in answer.text


def test_confirming_makes_new_versions_and_new_badges_carry_the_change(
    admin_client: TestClient, session: Session, settings: Settings, world: World
) -> None:
    before = issue_badge(
        session, settings, coach=world.coach, participant=world.participant, slug="puutyo-2"
    )
    data = changed_copy(rename=False, drop_first_of_105438=False)
    unit = _unit(data, "tutkinnonosat_105444")
    unit["ammattitaitovaatimukset"]["fi"] = unit["ammattitaitovaatimukset"]["fi"].replace(
        "valmistaa puuteollisuuden tuotteita", "valmistaa puutuotteita"
    )
    _store(session, data)
    page = admin_client.get("/admin/catalog")
    assert "Vaatimus muuttui" in page.text
    answer = admin_client.post(
        "/admin/catalog/puuteollisuuden-perustutkinto/confirm",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=True,
    )
    assert answer.status_code == 200, answer.text
    assert "Muutoksia ei löytynyt" in answer.text
    session.expire_all()
    assert all(f.confirmed_at is not None for f in session.exec(select(CatalogFinding)).all())
    badge = session.exec(select(BadgeDefinition).where(BadgeDefinition.slug == "puutyo-2")).one()
    revisions = session.exec(
        select(BadgeVersion.revision).where(BadgeVersion.badge_id == badge.id)
    ).all()
    assert len(revisions) == 2
    after = issue_badge(
        session, settings, coach=world.coach, participant=world.participant, slug="puutyo-2"
    )
    texts_after = {
        a["targetName"] for a in after.json_ld["credentialSubject"]["achievement"]["alignment"]
    }
    texts_before = {
        a["targetName"] for a in before.json_ld["credentialSubject"]["achievement"]["alignment"]
    }
    assert "valmistaa puutuotteita" in texts_after
    assert "valmistaa puuteollisuuden tuotteita" in texts_before
    assert "valmistaa puutuotteita" not in texts_before
