"""A page's credentials verified together (issue #13): the same result, check by check, as one
at a time; each lookup once; a revocation or a withdrawn key seen by the very next call, also
when the proofs are remembered as verified (app.vc.dataintegrity.VerifiedProofs)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session

from app.catalog.repository import active_badge_versions
from app.config import Settings
from app.credentials.service import revoke_credential
from app.models import Organization
from app.organizations.service import rotate_keys
from app.verification.service import VERIFIED_PROOFS, verify, verify_many
from tests.factories import (
    issue_badge,
    issued_credential,
    make_org,
    make_participant,
    make_user,
)
from tests.forgery import forged_jwt

pytestmark = pytest.mark.usefixtures("real_catalog")

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _checks(result: Any) -> list[tuple[str, str, str]]:
    return [(c.id, c.status, c.code) for c in result.checks]


def test_together_is_the_same_as_one_at_a_time(
    session: Session, settings: Settings, real_catalog: None
) -> None:
    org = make_org(session, settings)
    coach, participant = make_user(session, org), make_participant(session, org)
    credentials = [
        issue_badge(session, settings, coach=coach, participant=participant, slug=b.slug, now=NOW)
        for b, _ in active_badge_versions(session)[:13]
    ]
    revoke_credential(
        session, settings, credential=credentials[3], reason="x", actor_user_id=None, now=NOW
    )
    documents: list[Any] = [c.json_ld for c in credentials] + [
        credentials[0].jwt,
        forged_jwt(credentials[1].jwt),
    ]
    later = NOW + timedelta(days=1)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", count)
    together = verify_many(session, settings, documents, now=later)
    event.remove(connection, "before_cursor_execute", count)
    alone = [verify(session, settings, d, now=later) for d in documents]
    assert [_checks(r) for r in together] == [_checks(r) for r in alone]
    # The same with every proof canonicalized and checked, nothing remembered.
    cold = []
    for document in documents:
        VERIFIED_PROOFS.clear()
        cold.append(verify(session, settings, document, now=later))
    assert [_checks(r) for r in cold] == [_checks(r) for r in alone]
    assert [r.checks for r in verify_many(session, settings, documents, now=later)] == [
        r.checks for r in together
    ]
    assert [r.outcome for r in together].count("not_verified") == 1  # the revoked one
    assert together[-1].outcome == "issuer_unconfirmed"
    # One status list and one organization's keys for 15 credentials: a handful of
    # statements, not a handful per credential.
    assert len(statements) <= 8, statements


def test_a_revocation_is_seen_by_the_next_call(session: Session, settings: Settings) -> None:
    credential = issued_credential(session, settings, now=NOW)
    later = NOW + timedelta(days=1)
    assert verify_many(session, settings, [credential.json_ld], now=later)[0].verified
    revoke_credential(
        session, settings, credential=credential, reason="x", actor_user_id=None, now=NOW
    )
    assert not verify_many(session, settings, [credential.json_ld], now=later)[0].verified


def _remembered_again(session: Session, settings: Settings, document: Any, now: datetime) -> bool:
    """Verify twice; True when the second verification used a remembered proof."""
    verify_many(session, settings, [document], now=now)
    hits = VERIFIED_PROOFS.hits
    assert verify_many(session, settings, [document], now=now)[0].verified
    return VERIFIED_PROOFS.hits > hits


def test_a_withdrawn_key_is_seen_by_the_next_call_when_the_proof_is_remembered(
    session: Session, settings: Settings
) -> None:
    credential = issued_credential(session, settings, now=NOW)
    later = NOW + timedelta(days=1)
    assert _remembered_again(session, settings, credential.json_ld, later)
    organization = session.get(Organization, credential.organization_id)
    assert organization is not None
    key = credential.json_ld["proof"][0]["verificationMethod"].split("#")[1]
    rotate_keys(session, settings=settings, organization=organization, compromised=[key], now=NOW)
    result = verify_many(session, settings, [credential.json_ld], now=later)[0]
    assert not result.verified
    proof = result.check("proof")
    assert proof is not None and proof.status == "failed" and "withdrawn" in proof.message
    VERIFIED_PROOFS.clear()
    assert _checks(verify(session, settings, credential.json_ld, now=later)) == _checks(result)


def test_a_revocation_is_seen_by_the_next_call_when_the_proof_is_remembered(
    session: Session, settings: Settings
) -> None:
    credential = issued_credential(session, settings, now=NOW)
    later = NOW + timedelta(days=1)
    assert _remembered_again(session, settings, credential.json_ld, later)
    revoke_credential(
        session, settings, credential=credential, reason="x", actor_user_id=None, now=NOW
    )
    result = verify_many(session, settings, [credential.json_ld], now=later)[0]
    assert result.outcome == "not_verified"
    assert ("status", "failed", "revoked") in _checks(result)
    assert ("proof", "passed", "signature_valid") in _checks(result)


def test_a_tampered_copy_is_refused_after_the_genuine_one_was_remembered(
    session: Session, settings: Settings
) -> None:
    credential = issued_credential(session, settings, now=NOW)
    later = NOW + timedelta(days=1)
    assert _remembered_again(session, settings, credential.json_ld, later)
    tampered = copy.deepcopy(credential.json_ld)
    tampered["credentialSubject"]["achievement"]["name"] += " (mestari)"
    result = verify_many(session, settings, [tampered, credential.json_ld], now=later)
    assert ("proof", "failed", "signature_invalid") in _checks(result[0])
    assert result[1].verified
