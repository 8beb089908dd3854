"""CLR 2.0 export: signed outer record, each wrapped credential verifies on its own."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from app.clr.service import export_clr, verify_clr
from app.config import Settings
from app.credentials.documents import document_loader
from app.credentials.keyresolver import local_key_resolver
from app.credentials.service import revoke_credential
from app.errors import ValidationFailed
from app.vc.clr import build_clr_credential
from app.vc.dataintegrity import verify_proof
from app.vc.openbadges import IssuerProfile
from app.verification.service import verify
from tests.factories import issue_badge, make_org, make_participant, make_user

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
LATER = NOW + timedelta(days=1)


@pytest.fixture
def world(session: Session, settings: Settings, real_catalog: None) -> dict[str, Any]:
    org = make_org(session, settings)
    coach = make_user(session, org)
    participant = make_participant(session, org, email="aino@example.fi")
    badges = [
        issue_badge(session, settings, coach=coach, participant=participant, slug=s, now=NOW)
        for s in ("puutyo-1", "keittio-1", "puutyo-2")
    ]
    return {"org": org, "coach": coach, "participant": participant, "badges": badges}


def _statuses(result: Any) -> dict[str, str]:
    return {c.id: c.status for c in result.checks}


def test_export_is_signed_wraps_current_badges_and_verifies(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    revoke_credential(
        session,
        settings,
        credential=world["badges"][2],
        reason="x",
        actor_user_id=None,
        now=NOW,
    )
    clr = export_clr(session, settings, participant=world["participant"], now=LATER)
    assert clr["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
    assert clr["issuer"]["id"] == f"did:web:passi.test:orgs:{world['org'].slug}"
    assert clr["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    wrapped = clr["credentialSubject"]["verifiableCredential"]
    assert {w["id"] for w in wrapped} == {b.json_ld["id"] for b in world["badges"][:2]}
    assert world["participant"].display_name not in str(clr)

    # The outer proof verifies by itself ...
    resolver = local_key_resolver(session, settings)
    outer = verify_proof(
        clr, public_key_resolver=resolver, document_loader=document_loader(settings)
    )
    assert outer.verified, outer.reasons
    # ... and each wrapped credential verifies on its own with the project's verifier.
    for inner in wrapped:
        alone = verify(session, settings, inner, now=LATER)
        assert alone.verified, [c for c in alone.checks if c.status == "failed"]

    result = verify_clr(session, settings, clr, now=LATER)
    assert result.verified, [c for c in result.checks if c.status == "failed"]
    statuses = _statuses(result)
    assert statuses["proof"] == "passed" and statuses["issuer"] == "passed"
    assert statuses["credentials"] == "passed"
    assert len(result.inner) == 2 and all(r.verified for r in result.inner)


def test_tampering_an_inner_credential_fails(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    clr = export_clr(session, settings, participant=world["participant"], now=LATER)
    inner_tampered = copy.deepcopy(clr)
    inner = inner_tampered["credentialSubject"]["verifiableCredential"][0]
    inner["credentialSubject"]["achievement"]["name"] = "Puusepän mestari"
    result = verify_clr(session, settings, inner_tampered, now=LATER)
    assert not result.verified
    assert _statuses(result)["proof"] == "failed"  # the outer proof covers the inner ones
    assert _statuses(result)["credentials"] == "failed"
    assert [r.verified for r in result.inner].count(False) == 1
    assert _statuses(result.inner[0])["proof"] == "failed"


def test_revoking_a_wrapped_credential_later_fails_the_record(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    clr = export_clr(session, settings, participant=world["participant"], now=LATER)
    revoke_credential(
        session, settings, credential=world["badges"][0], reason="x", actor_user_id=None, now=LATER
    )
    result = verify_clr(session, settings, clr, now=LATER)
    assert _statuses(result)["proof"] == "passed"
    assert not result.verified
    assert "revoked" in {c.code for r in result.inner for c in r.checks}


def test_a_credential_of_another_learner_is_refused(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    other = make_participant(session, world["org"])
    stranger = issue_badge(session, settings, coach=world["coach"], participant=other, now=NOW)
    issuer = IssuerProfile(id="did:web:x", name="x", url="https://x", email="x@x.fi")
    with pytest.raises(ValueError, match="another subject"):
        build_clr_credential(
            id="urn:uuid:1",
            issuer=issuer,
            subject_id=world["badges"][0].json_ld["credentialSubject"]["id"],
            credentials=[world["badges"][0].json_ld, stranger.json_ld],
            valid_from=NOW,
            name="x",
        )


def test_nothing_to_export(session: Session, settings: Settings, world: dict[str, Any]) -> None:
    empty = make_participant(session, world["org"])
    with pytest.raises(ValidationFailed):
        export_clr(session, settings, participant=empty, now=LATER)


def test_a_signed_record_with_another_learners_credential_fails(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    from app.models.organizations import KeyPurpose
    from app.organizations.service import signer_for
    from app.vc.dataintegrity import add_proof

    other = make_participant(session, world["org"])
    stranger = issue_badge(session, settings, coach=world["coach"], participant=other, now=NOW)
    clr = export_clr(session, settings, participant=world["participant"], now=LATER)
    unsigned = {k: v for k, v in clr.items() if k != "proof"}
    unsigned["credentialSubject"]["verifiableCredential"].append(stranger.json_ld)
    signer = signer_for(session, settings, world["org"], KeyPurpose.data_integrity)
    resigned = add_proof(
        unsigned,
        signer=signer,
        verification_method=signer.key_id,
        created=LATER,
        document_loader=document_loader(settings),
    )
    result = verify_clr(session, settings, resigned, now=LATER)
    assert _statuses(result)["proof"] == "passed"
    assert not result.verified
    assert [_statuses(r).get("holder") for r in result.inner] == [None, None, None, "failed"]


def test_a_record_without_the_vc_type_fails(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    clr = export_clr(session, settings, participant=world["participant"], now=LATER)
    clr["type"] = ["ClrCredential"]
    result = verify_clr(session, settings, clr, now=LATER)
    assert not result.verified and _statuses(result)["type"] == "failed"
