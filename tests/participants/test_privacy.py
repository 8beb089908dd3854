"""Privacy rights: a full export of one participant, and erasure that leaves the issued
credentials verifiable as revoked and no personal data in the rows."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

from app.config import Settings
from app.credentials.export import export_credential
from app.errors import NotFound
from app.models import AuditEvent, Credential, OutboxMessage, ShareLink, SignInToken
from app.participants.privacy import ERASED_NAME, erase_participant, export_participant_data
from app.passport import service as passport
from app.sharing import service as sharing
from app.verification.service import verify
from tests.factories import issue_badge, make_org, make_participant, make_user

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
LATER = NOW + timedelta(days=1)
NAME = "Aino Erikoinen-Testaaja"
EMAIL = "aino.erikoinen@example.fi"
NARRATIVE = "Rakensi Ainon oman linnunpöntön yksin."


@pytest.fixture
def world(session: Session, settings: Settings, real_catalog: None) -> dict[str, Any]:
    org = make_org(session, settings)
    coach = make_user(session, org)
    from app.participants.service import create_participant

    participant = create_participant(
        session, organization=org, display_name=NAME, email=EMAIL, created_by_id=coach.id
    )
    other = make_participant(session, org, email="other@example.fi")
    badges = [
        issue_badge(
            session,
            settings,
            coach=coach,
            participant=participant,
            slug=slug,
            now=NOW,
            narrative=NARRATIVE,
        )
        for slug in ("puutyo-1", "keittio-1")
    ]
    others = issue_badge(session, settings, coach=coach, participant=other, now=NOW)
    link, _ = sharing.create_share_link(
        session, participant=participant, credential_public_id=badges[0].public_id, now=NOW
    )
    _, passport_link = sharing.create_share_link(
        session, participant=participant, credential_public_id=None, now=NOW
    )
    sharing.set_credential_public(
        session,
        participant=participant,
        credential_public_id=badges[1].public_id,
        public=True,
        now=NOW,
    )
    token = passport.issue_passport_token(
        session, coach=coach, participant_id=participant.id, now=NOW, ip_address="192.0.2.7"
    )
    passport.set_pin(session, participant=participant, pin="4821", now=NOW)
    passport.request_sign_in_link(session, settings, email=EMAIL, now=NOW)
    return {
        "org": org,
        "coach": coach,
        "participant": participant,
        "other": other,
        "badges": badges,
        "others_badge": others,
        "link": link,
        "passport_link": passport_link,
        "passport_token": token,
    }


def test_export_has_everything_about_the_participant_and_nothing_else(
    session: Session, world: dict[str, Any]
) -> None:
    data = export_participant_data(session, participant=world["participant"], now=LATER)
    json.dumps(data)  # JSON-compatible
    assert data["participant"]["display_name"] == NAME
    assert data["participant"]["email"] == EMAIL
    assert data["participant"]["has_passport_link"] and data["participant"]["has_pin"]
    assert {c["id"] for c in data["credentials"]} == {b.public_id for b in world["badges"]}
    assert all(c["document"]["proof"] for c in data["credentials"])
    assert [a["narrative"] for a in data["awards"]] == [NARRATIVE, NARRATIVE]
    assert len(data["share_links"]) == 2
    actions = {e["action"] for e in data["events"]}
    assert {"participant.create", "award.create", "share.create", "passport.pin_set"} <= actions
    text_dump = json.dumps(data, ensure_ascii=False)
    assert world["others_badge"].public_id not in text_dump
    assert "other@example.fi" not in text_dump
    assert world["coach"].email not in text_dump and world["coach"].display_name not in text_dump
    assert "192.0.2.7" not in text_dump
    assert world["passport_token"] not in text_dump
    assert "token_hash" not in text_dump and "pin_hash" not in text_dump


def _all_rows_text(session: Session) -> str:
    """Every row of every table, as text (what a database dump would show)."""
    session.flush()
    chunks = []
    for table in SQLModel.metadata.sorted_tables:
        for row in session.execute(text(f'SELECT * FROM "{table.name}"')).all():  # noqa: S608
            chunks.append(repr(tuple(row)))
    return "\n".join(chunks)


def test_erasure_revokes_and_removes_personal_data(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    participant = world["participant"]
    copies = [copy.deepcopy(b.json_ld) for b in world["badges"]]
    jwts = [b.jwt for b in world["badges"]]
    before = _all_rows_text(session)
    assert NAME in before and EMAIL in before and NARRATIVE in before

    report = erase_participant(
        session, settings, participant=participant, actor_user_id=world["coach"].id, now=LATER
    )
    assert report.credentials_revoked == 2 and report.share_links_deleted == 2

    # Copies handed out before the erasure verify as revoked, in both proof forms.
    for document in [*copies, *jwts]:
        result = verify(session, settings, document, now=LATER + timedelta(minutes=1))
        assert not result.verified
        checks = {c.id: c.code for c in result.checks}
        assert checks["status"] == "revoked" and checks["proof"] == "signature_valid"

    # No personal data remains anywhere in the database.
    after = _all_rows_text(session)
    for secret in (NAME, EMAIL, NARRATIVE, "192.0.2.7", "Aino"):
        assert secret not in after, secret
    session.refresh(participant)
    assert participant.display_name == ERASED_NAME and participant.email is None
    assert participant.erased_at is not None
    assert participant.passport_token_hash is None and participant.pin_hash is None
    for credential in world["badges"]:
        row = session.get(Credential, credential.id)
        assert row is not None and row.json_ld == {} and row.jwt == "" and not row.is_public
        assert row.revoked_at is not None and row.status_index == credential.status_index
    pid = participant.id
    assert session.exec(select(ShareLink).where(ShareLink.participant_id == pid)).all() == []
    assert session.exec(select(SignInToken).where(SignInToken.participant_id == pid)).all() == []
    assert (
        session.exec(select(OutboxMessage).where(OutboxMessage.participant_id == pid)).all() == []
    )
    kept = session.exec(
        select(AuditEvent)
        .where(AuditEvent.object_type == "participant")
        .where(AuditEvent.object_id == str(pid))
    ).all()
    assert {"participant.create", "passport.token_create", "participant.erase"} <= {
        e.action for e in kept
    }
    assert all(e.ip_address is None for e in kept)

    # Nothing about the person can be reached any more.
    with pytest.raises(NotFound):
        passport.resolve_passport_token(session, world["passport_token"])
    with pytest.raises(NotFound):
        sharing.open_share(session, world["passport_link"], now=LATER)
    with pytest.raises(NotFound):
        sharing.public_credential(session, world["badges"][1].public_id)
    with pytest.raises(NotFound):
        export_credential(session, world["badges"][0].public_id, "json")
    with pytest.raises(NotFound):
        export_participant_data(session, participant=participant, now=LATER)
    with pytest.raises(NotFound):
        erase_participant(session, settings, participant=participant, actor_user_id=None, now=LATER)


def test_erasure_leaves_other_participants_alone(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    erase_participant(
        session, settings, participant=world["participant"], actor_user_id=None, now=LATER
    )
    others = world["others_badge"]
    session.refresh(others)
    assert others.revoked_at is None and others.json_ld
    assert verify(session, settings, others.json_ld, now=LATER).verified
    session.refresh(world["other"])
    assert world["other"].email == "other@example.fi" and world["other"].erased_at is None
