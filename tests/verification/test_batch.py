"""A page's credentials verified together (issue #13): the same result, check by check, as one
at a time; each lookup once; a revocation seen by the very next call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from app.catalog.repository import active_badge_versions
from app.config import Settings
from app.credentials.service import revoke_credential
from app.verification.service import verify, verify_many
from tests.factories import (
    issue_badge,
    issued_credential,
    load_real_catalog,
    make_org,
    make_participant,
    make_user,
)
from tests.forgery import forged_jwt

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _checks(result: Any) -> list[tuple[str, str, str]]:
    return [(c.id, c.status, c.code) for c in result.checks]


def test_together_is_the_same_as_one_at_a_time(session: Session, settings: Settings) -> None:
    load_real_catalog(session)
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
