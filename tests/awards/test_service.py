"""Awarding a badge issues a signed credential that validates and verifies; bad input
changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import Session, func, select

from app.awards.service import AwardRequest, award_badge
from app.config import Settings
from app.credentials.documents import document_loader
from app.credentials.keyresolver import local_key_resolver
from app.errors import NotFound, ValidationFailed
from app.models import Award, Credential
from app.vc.dataintegrity import verify_proof
from app.vc.jwt import verify_vc_jwt
from app.vc.openbadges import identity_hash
from tests.factories import make_org, make_participant, make_user

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _criteria(session: Session, slug: str) -> list[str]:
    from app.awards.service import badge_criteria

    return badge_criteria(session, slug)


def _request(participant_id: int, key: str = "k1", **kw: Any) -> AwardRequest:
    data: dict[str, Any] = {
        "participant_id": participant_id,
        "badge_slug": "puutyo-1",
        "criteria_observed": kw.pop("criteria", None),
        "narrative": "Teki linnunpöntön.",
        "idempotency_key": key,
    }
    data.update(kw)
    return AwardRequest(**data)


@pytest.fixture
def world(session: Session, settings: Settings, real_catalog: None) -> dict[str, Any]:
    org = make_org(session, settings)
    return {
        "org": org,
        "coach": make_user(session, org),
        "participant": make_participant(session, org, email="Aino@Example.fi"),
        "criteria": _criteria(session, "puutyo-1"),
    }


def test_award_issues_a_valid_signed_credential(
    session: Session,
    settings: Settings,
    world: dict[str, Any],
    credential_schema_validator: Any,
) -> None:
    req = _request(
        world["participant"].id,
        criteria=world["criteria"],
        activity_start=date(2026, 10, 1),
        activity_end=date(2026, 10, 30),
    )
    _, credential = award_badge(session, settings, coach=world["coach"], request=req, now=NOW)
    doc = credential.json_ld
    errors = [e.message for e in credential_schema_validator.iter_errors(doc)]
    assert errors == []
    assert doc["validFrom"] == "2026-11-02T09:30:00Z"
    assert doc["issuer"]["id"] == f"did:web:passi.test:orgs:{world['org'].slug}"
    assert doc["id"] == f"https://passi.test/credentials/{credential.public_id}"
    subject = doc["credentialSubject"]
    assert subject["id"] == f"urn:uuid:{world['participant'].public_id}"
    ident = subject["identifier"][0]
    assert ident["identityHash"] == identity_hash("aino@example.fi", ident["salt"])
    codes = {a["targetCode"] for a in subject["achievement"]["alignment"]}
    assert "tutkinnonosat_105444" in codes
    assert "2026-10-01–2026-10-30" in doc["evidence"][0]["name"]
    assert doc["credentialStatus"]["statusListIndex"] == str(credential.status_index)

    resolver = local_key_resolver(session, settings)
    result = verify_proof(
        doc, public_key_resolver=resolver, document_loader=document_loader(settings)
    )
    assert result.verified, result.reasons
    jwt_result = verify_vc_jwt(
        credential.jwt, public_key_resolver=resolver, require_claims=True, now=NOW
    )
    assert jwt_result.verified, jwt_result.errors
    assert jwt_result.credential is not None
    assert jwt_result.credential["id"] == doc["id"]

    tampered = {**doc, "name": doc["name"] + "!"}
    assert not verify_proof(
        tampered, public_key_resolver=resolver, document_loader=document_loader(settings)
    ).verified


def test_every_catalog_badge_issues_a_schema_valid_credential(
    session: Session,
    settings: Settings,
    world: dict[str, Any],
    credential_schema_validator: Any,
) -> None:
    from app.catalog.repository import active_badge_versions

    versions = active_badge_versions(session)
    assert len(versions) >= 20
    for n, (badge, _version) in enumerate(versions):
        req = _request(
            world["participant"].id,
            key=f"all-{n}",
            badge_slug=badge.slug,
            criteria=_criteria(session, badge.slug),
        )
        _, credential = award_badge(session, settings, coach=world["coach"], request=req, now=NOW)
        errors = [e.message for e in credential_schema_validator.iter_errors(credential.json_ld)]
        assert errors == [], badge.slug
        assert credential.json_ld["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"


def test_same_idempotency_key_issues_once(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    req = _request(world["participant"].id, criteria=world["criteria"])
    first = award_badge(session, settings, coach=world["coach"], request=req, now=NOW)
    again = award_badge(session, settings, coach=world["coach"], request=req, now=NOW)
    assert first[1].id == again[1].id
    assert session.exec(select(func.count()).select_from(Credential)).one() == 1


def test_unobserved_criterion_is_refused_and_nothing_is_written(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    req = _request(world["participant"].id, criteria=world["criteria"][:-1])
    with pytest.raises(ValidationFailed, match="Confirm every criterion"):
        award_badge(session, settings, coach=world["coach"], request=req, now=NOW)
    assert session.exec(select(func.count()).select_from(Award)).one() == 0


def test_every_broken_rule_is_reported_by_field(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    """The service owns the rules: the forms, the group job and the CLI show its errors."""
    from datetime import timedelta

    from app.awards.service import MAX_NARRATIVE, AwardInputInvalid

    req = AwardRequest(
        participant_id=world["participant"].id,
        badge_slug="puutyo-1",
        criteria_observed=[*world["criteria"][:-1], "no-such-criterion"],
        narrative="x" * (MAX_NARRATIVE + 1),
        idempotency_key="fields-1",
        activity_start=NOW.date() + timedelta(days=2),
        activity_end=NOW.date() + timedelta(days=1),
    )
    with pytest.raises(AwardInputInvalid) as caught:
        award_badge(session, settings, coach=world["coach"], request=req, now=NOW)
    errors = {name: error.detail for name, error in caught.value.errors.items()}
    assert errors == {
        "criteria": "Unknown criteria for this badge: no-such-criterion.",
        "narrative": f"The description can have at most {MAX_NARRATIVE} characters.",
        "activity_end": "The activity cannot end before it starts.",
        "activity_start": "The activity dates cannot be in the future.",
    }
    # The API and the CLI see the first message and every field in the problem details.
    assert caught.value.to_problem()["fields"] == errors
    assert session.exec(select(func.count()).select_from(Award)).one() == 0


def test_participant_of_another_organization_is_not_found(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    other = make_org(session, settings)
    stranger = make_participant(session, other)
    req = _request(stranger.id, criteria=world["criteria"])
    with pytest.raises(NotFound):
        award_badge(session, settings, coach=world["coach"], request=req, now=NOW)
    assert session.exec(select(func.count()).select_from(Award)).one() == 0


def test_badge_with_validity_gets_valid_until(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    req = _request(
        world["participant"].id, badge_slug="keittio-1", criteria=_criteria(session, "keittio-1")
    )
    _, credential = award_badge(session, settings, coach=world["coach"], request=req, now=NOW)
    assert credential.json_ld["validUntil"] == "2029-11-02T09:30:00Z"


def test_a_list_with_no_free_entry_in_sight_gives_way_to_the_next(
    session: Session, settings: Settings
) -> None:
    """Allocation never counts the list (issue #13): when PROBES random draws all hit used
    entries, the next list is opened, and the entry is found there."""
    from app.credentials import status
    from app.models import StatusList
    from app.vc.statuslist import new_bitstring
    from tests.factories import make_org

    org = make_org(session, settings)
    assert org.id is not None
    tiny = StatusList(
        organization_id=org.id, purpose="revocation", sequence=7, size=1, bits=new_bitstring()
    )
    session.add(tiny)
    session.flush()
    taken = {"ids": 0}

    def index_is_free(_session: Session, status_list: StatusList, index: int) -> bool:
        taken["ids"] += 1
        return status_list.sequence != 7  # every entry of the tiny list is used

    original = status.index_is_free
    status.index_is_free = index_is_free  # type: ignore[assignment]
    try:
        chosen, index = status.allocate_index(session, org, datetime.now(UTC))
    finally:
        status.index_is_free = original  # type: ignore[assignment]
    assert chosen.sequence == 8 and 0 <= index < chosen.size
    assert taken["ids"] == status.PROBES + 1
