"""Share links: hashed tokens, ownership, expiry, revocation, open counts; public badges."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from app.config import Settings
from app.credentials.service import revoke_credential
from app.errors import NotFound, ValidationFailed
from app.models import AuditEvent, ShareLink
from app.sharing import service
from tests.sharing.conftest import NOW


def test_share_one_credential_token_hashed_and_defaults(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    p, wood = world["participant"], world["wood"]
    link, token = service.create_share_link(
        session, participant=p, credential_public_id=wood.public_id, now=NOW
    )
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert link.show_name is True and link.show_evidence is False
    assert service.share_url(settings, token) == f"https://passi.test/s/{token}"
    opened = service.open_share(session, token, now=NOW)
    assert [c.id for c in opened.credentials] == [wood.id]
    assert opened.show_name and not opened.show_evidence
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "share.create")).all()
    assert len(events) == 1 and token not in str(events[0].details)


def test_share_whole_passport_shows_current_credentials_only(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    p = world["participant"]
    _, token = service.create_share_link(
        session, participant=p, credential_public_id=None, now=NOW, show_name=False
    )
    shown = {c.id for c in service.open_share(session, token, now=NOW).credentials}
    assert shown == {world["wood"].id, world["kitchen"].id}
    revoke_credential(
        session, settings, credential=world["kitchen"], reason="x", actor_user_id=None, now=NOW
    )
    opened = service.open_share(session, token, now=NOW)
    assert [c.id for c in opened.credentials] == [world["wood"].id]
    assert opened.show_name is False


def test_open_counts_add_up_and_are_listed(session: Session, world: dict[str, Any]) -> None:
    p = world["participant"]
    link, token = service.create_share_link(
        session, participant=p, credential_public_id=world["wood"].public_id, now=NOW
    )

    def write(statement: Any, params: Any) -> bool:
        session.connection().execute(statement, dict(params))
        return True

    for _ in range(3):
        opened = service.open_share(session, token, now=NOW)
        assert opened.link.id is not None
        service.count_opening(write, opened.link.id)
    session.expire_all()
    stored = session.get(ShareLink, link.id)
    assert stored is not None and stored.open_count == 3
    listed = service.list_share_links(session, participant=p, now=NOW)
    assert [(i.id, i.open_count, i.active) for i in listed] == [(link.id, 3, True)]
    assert listed[0].credential_public_id == world["wood"].public_id
    assert not hasattr(listed[0], "token_hash")


def test_openings_counted_in_process_are_written_together_and_kept_when_a_write_fails(
    session: Session, world: dict[str, Any]
) -> None:
    p = world["participant"]
    one, _ = service.create_share_link(
        session, participant=p, credential_public_id=world["wood"].public_id, now=NOW
    )
    passport, _ = service.create_share_link(
        session, participant=p, credential_public_id=None, now=NOW
    )
    assert one.id is not None and passport.id is not None
    writes: list[dict[str, Any]] = []
    database_busy = True

    def write(statement: Any, params: Any) -> bool:
        if database_busy:
            return False  # as app.db.bookkeeping when the lock stays busy
        writes.append(dict(params))
        session.connection().execute(statement, dict(params))
        return True

    counts = service.OpenCounts(write, every=None)
    for link_id in (one.id, one.id, passport.id, one.id):
        counts.add(link_id)
    assert counts.pending() == 4
    assert counts.flush() is False  # nothing written: all of it kept for the next round
    counts.add(passport.id)
    assert counts.pending() == 5 and writes == []
    database_busy = False
    assert counts.flush() is True and counts.pending() == 0
    # One write per link, with all its openings.
    assert sorted((w["link_id"], w["openings"]) for w in writes) == sorted(
        [(one.id, 3), (passport.id, 2)]
    )
    session.expire_all()
    assert [session.get(ShareLink, i).open_count for i in (one.id, passport.id)] == [3, 2]  # type: ignore[union-attr]
    # Stopping writes what is left.
    counts.add(one.id)
    counts.stop()
    session.expire_all()
    assert session.get(ShareLink, one.id).open_count == 4  # type: ignore[union-attr]


def test_another_participants_credential_is_not_found(
    session: Session, world: dict[str, Any]
) -> None:
    with pytest.raises(NotFound):
        service.create_share_link(
            session,
            participant=world["participant"],
            credential_public_id=world["others_badge"].public_id,
            now=NOW,
        )
    with pytest.raises(NotFound):
        service.set_credential_public(
            session,
            participant=world["participant"],
            credential_public_id=world["others_badge"].public_id,
            public=True,
            now=NOW,
        )


def test_expired_revoked_unknown_and_erased_are_indistinguishable(
    session: Session, world: dict[str, Any]
) -> None:
    p, wood = world["participant"], world["wood"]
    _, expiring = service.create_share_link(
        session,
        participant=p,
        credential_public_id=wood.public_id,
        now=NOW,
        expires_at=NOW + timedelta(days=7),
    )
    assert service.open_share(session, expiring, now=NOW + timedelta(days=6)).credentials
    revoked_link, revoked = service.create_share_link(
        session, participant=p, credential_public_id=wood.public_id, now=NOW
    )
    service.revoke_share_link(session, participant=p, link_id=revoked_link.id, now=NOW)
    _, erased = service.create_share_link(
        session, participant=p, credential_public_id=None, now=NOW
    )
    details = set()
    attempts = [
        (expiring, NOW + timedelta(days=7)),
        (revoked, NOW),
        ("unknown-token", NOW),
        ("", NOW),
    ]
    for token, when in attempts:
        with pytest.raises(NotFound) as exc:
            service.open_share(session, token, now=when)
        details.add((exc.value.status_code, exc.value.detail))
    p.erased_at = NOW
    session.add(p)
    session.flush()
    with pytest.raises(NotFound) as exc:
        service.open_share(session, erased, now=NOW)
    details.add((exc.value.status_code, exc.value.detail))
    assert len(details) == 1
    listed = {i.id: i.active for i in service.list_share_links(session, participant=p, now=NOW)}
    assert listed[revoked_link.id] is False


def test_a_link_to_a_badge_revoked_later_still_opens(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    p, wood = world["participant"], world["wood"]
    _, token = service.create_share_link(
        session, participant=p, credential_public_id=wood.public_id, now=NOW
    )
    revoke_credential(session, settings, credential=wood, reason="x", actor_user_id=None, now=NOW)
    assert service.open_share(session, token, now=NOW).credentials[0].revoked_at is not None
    with pytest.raises(ValidationFailed):
        service.create_share_link(
            session, participant=p, credential_public_id=wood.public_id, now=NOW
        )


def test_cannot_revoke_someone_elses_link(session: Session, world: dict[str, Any]) -> None:
    link, token = service.create_share_link(
        session, participant=world["participant"], credential_public_id=None, now=NOW
    )
    with pytest.raises(NotFound):
        service.revoke_share_link(session, participant=world["other"], link_id=link.id, now=NOW)
    assert service.open_share(session, token, now=NOW).credentials


@pytest.mark.parametrize("days", [0, -1, 367])
def test_expiry_must_be_in_the_future_and_within_a_year(
    session: Session, world: dict[str, Any], days: int
) -> None:
    with pytest.raises(ValidationFailed):
        service.create_share_link(
            session,
            participant=world["participant"],
            credential_public_id=None,
            now=NOW,
            expires_at=NOW + timedelta(days=days),
        )


def test_public_toggle(session: Session, world: dict[str, Any]) -> None:
    p, wood = world["participant"], world["wood"]
    with pytest.raises(NotFound):
        service.public_credential(session, wood.public_id)
    service.set_credential_public(
        session, participant=p, credential_public_id=wood.public_id, public=True, now=NOW
    )
    assert service.public_credential(session, wood.public_id).id == wood.id
    service.set_credential_public(
        session, participant=p, credential_public_id=wood.public_id, public=False, now=NOW
    )
    with pytest.raises(NotFound):
        service.public_credential(session, wood.public_id)
    actions = session.exec(select(AuditEvent.action)).all()
    assert "credential.public" in actions and "credential.private" in actions
