"""What a school receives (issue #12): alignments of new credentials point at ePerusteet with
the unit's code and the peruste's name and diaarinumero; the recognition summary carries what a
record of prior learning needs; a unit code the catalog has corrected is marked as such."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.verification.summary import recognition_summary
from tests.factories import issue_badge, make_org, make_participant, make_user

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def world(session: Session, settings: Settings, real_catalog: None) -> dict[str, Any]:
    org = make_org(session, settings)
    return {"coach": make_user(session, org), "participant": make_participant(session, org)}


def _issue(session: Session, settings: Settings, world: dict[str, Any], slug: str) -> Any:
    return issue_badge(
        session, settings, coach=world["coach"], participant=world["participant"], slug=slug
    )


def _alignments(credential: Any) -> list[dict[str, Any]]:
    return list(credential.json_ld["credentialSubject"]["achievement"]["alignment"])


def test_an_imported_units_alignments(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    credential = _issue(session, settings, world, "puutyo-2")
    alignments = _alignments(credential)
    unit = next(a for a in alignments if a["targetCode"] == "tutkinnonosat_105444")
    assert unit["targetName"] == "Puutuotevalmistuksessa toimiminen"
    assert unit["targetUrl"] == (
        "https://eperusteet.opintopolku.fi/#/fi/ammatillinen/3932281/tutkinnonosat/3933351"
    )
    assert unit["targetFramework"] == "Puuteollisuuden perustutkinto (OPH-2455-2017)"
    assert unit["targetDescription"].endswith("45 osp")
    surface = next(a for a in alignments if a["targetCode"] == "tutkinnonosat_105438")
    assert surface["targetDescription"].endswith("20 osp")  # was 15 in the catalog
    texts = {a["targetName"] for a in alignments if a["targetType"] == "ext:Ammattitaitovaatimus"}
    # The official texts, not the catalog's paraphrases.
    assert (
        "suunnitella puutuotteiden valmistuksen ja työvaiheiden keskinäisen järjestyksen" in texts
    )


def test_common_units_carry_their_objective_codes(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    credential = _issue(session, settings, world, "tyoelamataidot-1")
    alignments = _alignments(credential)
    assert {a["targetCode"] for a in alignments if a["targetType"] == "ext:TutkinnonOsa"} == {
        "tutkinnonosat_106729"
    }
    codes = {a["targetCode"] for a in alignments if a["targetType"] == "ext:Ammattitaitovaatimus"}
    assert "osaamistavoitteet_1072" in codes
    unit = next(a for a in alignments if a["targetType"] == "ext:TutkinnonOsa")
    assert unit["targetFramework"] == "Ammatillisten perustutkintojen yhteiset tutkinnon osat " + (
        "(OPH-456-2022)"
    )


def test_a_unit_awaiting_import_is_aligned_by_its_code_only(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    credential = _issue(session, settings, world, "keittio-1")
    alignments = _alignments(credential)
    assert {a["targetType"] for a in alignments} == {"ext:TutkinnonOsa"}
    assert {a["targetCode"] for a in alignments} <= {
        "tutkinnonosat_106281",
        "tutkinnonosat_106277",
        "tutkinnonosat_106272",
    }
    names = {a["targetName"] for a in alignments}
    assert "Ravitsemispalveluissa toimiminen" in names
    # Which peruste the units belong to is for the import to confirm: no diaarinumero.
    assert {a["targetFramework"] for a in alignments} == {
        "Ravintola- ja catering-alan perustutkinto"
    }


def test_the_summary_has_what_ehoks_needs(
    client: TestClient, session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    credential = _issue(session, settings, world, "tyoelamataidot-2")
    session.commit()
    body = client.post("/api/v1/verifications", json={"jwt": credential.jwt}).json()
    assert body["verified"] is True
    unit = next(u for u in body["recognition"]["units"] if u["code"] == "tutkinnonosat_106729")
    assert unit == unit | {
        "koodisto_version": 1,
        "name": "Yhteiskunta- ja työelämäosaaminen",
        "osp": 9,
        "peruste_id": 8505691,
        "diaarinumero": "OPH-456-2022",
        "status": "imported",
        "correction": None,
    }
    requirement = next(r for r in unit["requirements"] if r["code"] == "osaamistavoitteet_1072")
    assert requirement["id"] == "osaamistavoitteet-1072"
    assert requirement["text"].startswith("noudattaa annettuja työaikoja")


def test_a_corrected_code_in_an_earlier_credential_is_marked(
    session: Session, real_catalog: None
) -> None:
    earlier = [
        {
            "type": ["Alignment"],
            "targetName": "Ruoanvalmistuksessa toimiminen",
            "targetUrl": "https://eperusteet.opintopolku.fi/#/fi/ammatillinen/4221360/tiedot",
            "targetCode": "tutkinnonosat_106921",
            "targetType": "ext:TutkinnonOsa",
        },
        {
            "type": ["Alignment"],
            "targetName": "Yhteiskunta- ja työelämäosaaminen",
            "targetUrl": "https://eperusteet.opintopolku.fi/#/fi/ammatillinen/3932281/tiedot",
            "targetCode": "tutkinnonosat_400014",
            "targetType": "ext:TutkinnonOsa",
        },
    ]
    summary = recognition_summary(session, earlier)
    wrong, renewed = summary.units
    assert wrong.code == "tutkinnonosat_106921" and wrong.status == "unknown"
    assert wrong.correction is not None
    assert wrong.correction.reason == "wrong-code"
    assert wrong.correction.current_code == "tutkinnonosat_106281"
    assert wrong.correction.current_name == "Ravitsemispalveluissa toimiminen"
    assert renewed.correction is not None and renewed.correction.reason == "renewed"
    assert renewed.correction.current_code == "tutkinnonosat_106729"
