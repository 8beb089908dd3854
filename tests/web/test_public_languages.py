"""The qualification units and skill requirements of a badge in the viewer's language: the
credential states them in Finnish; the catalog has ePerusteet's Swedish and English texts of
the same codes (issue #14, item 5)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.models import Qualification, QualificationUnit, SkillRequirement
from app.models.base import utcnow
from app.sharing import service as sharing
from tests.web.conftest import World


def _unit_texts(session: Session, world: World) -> tuple[QualificationUnit, list[SkillRequirement]]:
    alignments = world.credential.json_ld["credentialSubject"]["achievement"]["alignment"]
    codes = {a["targetCode"] for a in alignments}
    unit = session.exec(
        select(QualificationUnit).where(col(QualificationUnit.code).in_(codes))
    ).first()
    assert unit is not None and unit.name.get("sv") and unit.name["sv"] != unit.name["fi"]
    requirements = session.exec(
        select(SkillRequirement).where(SkillRequirement.unit_id == unit.id)
    ).all()
    return unit, [r for r in requirements if r.text.get("sv")]


def test_units_and_requirements_in_the_viewers_language(
    client: TestClient, session: Session, world: World
) -> None:
    unit, requirements = _unit_texts(session, world)
    _, token = sharing.create_share_link(
        session,
        participant=world.participant,
        credential_public_id=world.credential.public_id,
        now=utcnow(),
    )
    session.commit()
    swedish = client.get(f"/s/{token}", headers={"Accept-Language": "sv"}).text
    finnish = client.get(f"/s/{token}", headers={"Accept-Language": "fi"}).text
    assert unit.name["sv"] in swedish and unit.name["fi"] not in swedish
    assert unit.name["fi"] in finnish
    shown = [r for r in requirements if r.text["fi"] in finnish]
    assert shown, "the badge's requirements are on the page"
    for requirement in shown:
        assert requirement.text["sv"] in swedish
    # The code stays as the detail a school needs.
    assert unit.code in swedish


def test_the_api_gives_schools_the_texts_in_every_language(
    client: TestClient, session: Session, world: World
) -> None:
    from app.clients.service import create_client

    unit, _ = _unit_texts(session, world)
    _, key = create_client(session, name="koulu", requests_per_minute=600)
    session.commit()
    answer = client.post(
        "/api/v1/verifications",
        json={"credential": world.credential.json_ld},
        headers={"Authorization": f"Bearer {key}"},
    ).json()
    units = {u["code"]: u for u in answer["recognition"]["units"]}
    out = units[unit.code]
    assert out["names"]["sv"] == unit.name["sv"] and out["name"] == unit.name["fi"]
    qualification = session.get(Qualification, unit.qualification_id)
    assert qualification is not None and qualification.name["sv"]
    assert out["qualification_names"]["sv"].startswith(qualification.name["sv"] + " (")
    assert out["qualification"].startswith(qualification.name["fi"] + " (")
    assert any(r["texts"] and r["texts"].get("sv") for r in out["requirements"])


def test_a_finnish_text_on_an_english_page_says_it_is_finnish(
    client: TestClient, session: Session, world: World
) -> None:
    """ePerusteet has few English texts: the Finnish one is shown, marked lang="fi" so that a
    screen reader reads it in Finnish. Texts in the page's own language carry no mark."""
    unit, _ = _unit_texts(session, world)
    _, token = sharing.create_share_link(
        session,
        participant=world.participant,
        credential_public_id=world.credential.public_id,
        now=utcnow(),
    )
    session.commit()
    english = client.get(f"/s/{token}", headers={"Accept-Language": "en"}).text
    swedish = client.get(f"/s/{token}", headers={"Accept-Language": "sv"}).text
    assert '<html lang="en">' in english
    if unit.name.get("en"):
        assert unit.name["en"] in english
    else:
        assert f'<span lang="fi">{unit.name["fi"]}</span>' in english
    assert f'<span lang="sv">{unit.name["sv"]}</span>' not in swedish
    assert unit.name["sv"] in swedish
