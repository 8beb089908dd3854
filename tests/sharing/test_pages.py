"""What a share page is made from (app/sharing/pages.py): the same reads give the same
fingerprint, and every change that can change the page changes it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from app.config import Settings
from app.credentials.service import revoke_credential
from app.errors import NotFound
from app.models import (
    EvidencePhoto,
    Participant,
    Qualification,
    ShareLink,
    StatusList,
    TrustedIssuer,
)
from app.organizations.service import rotate_keys
from app.participants.privacy import erase_participant
from app.sharing import pages, service
from app.sharing.view import EXPIRY_WARNING
from app.vc.dates import parse_datetime
from app.vc.statuslist import set_bit
from tests.factories import issue_badge
from tests.sharing.conftest import NOW

LATER = NOW + timedelta(days=1)


def _links(world: dict[str, Any], session: Session) -> dict[str, str]:
    p = world["participant"]
    _, one = service.create_share_link(
        session, participant=p, credential_public_id=world["wood"].public_id, now=NOW
    )
    _, passport = service.create_share_link(
        session, participant=p, credential_public_id=None, now=NOW, show_evidence=True
    )
    return {"one": one, "passport": passport}


def _fingerprints(session: Session, links: dict[str, str]) -> dict[str, str]:
    session.flush()
    session.expire_all()
    return {
        name: pages.page_state(session, token, now=LATER).fingerprint
        for name, token in links.items()
    }


def test_the_same_reads_give_the_same_fingerprint_and_the_shown_credentials(
    session: Session, world: dict[str, Any]
) -> None:
    links = _links(world, session)
    assert _fingerprints(session, links) == _fingerprints(session, links)
    one = pages.page_state(session, links["one"], now=LATER)
    passport = pages.page_state(session, links["passport"], now=LATER)
    assert not one.passport and one.credential_ids == (world["wood"].id,)
    assert passport.passport
    assert set(passport.credential_ids) == {world["wood"].id, world["kitchen"].id}
    assert one.fingerprint != passport.fingerprint


def _revoke_wood(session: Session, settings: Settings, world: dict[str, Any]) -> None:
    revoke_credential(
        session, settings, credential=world["wood"], reason="x", actor_user_id=None, now=NOW
    )


def _flip_a_bit_behind_the_service(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    # The bits alone, as a repair by hand or another tool would: no version bump.
    status_list = session.get(StatusList, world["kitchen"].status_list_id)
    assert status_list is not None
    status_list.bits = set_bit(status_list.bits, world["kitchen"].status_index, True)
    session.add(status_list)


def _withdraw_the_key(session: Session, settings: Settings, world: dict[str, Any]) -> None:
    key = world["wood"].json_ld["proof"][0]["verificationMethod"].split("#")[1]
    rotate_keys(session, settings=settings, organization=world["org"], compromised=[key], now=NOW)


def _trust_another_issuer(session: Session, settings: Settings, world: dict[str, Any]) -> None:
    session.add(
        TrustedIssuer(issuer_id="https://school.example/issuer", name="Koulu", documents={})
    )


def _rename_the_participant(session: Session, settings: Settings, world: dict[str, Any]) -> None:
    session.execute(
        update(Participant)
        .where(col(Participant.id) == world["participant"].id)
        .values(display_name="Aino Uusinimi")
    )


def _hide_the_name(session: Session, settings: Settings, world: dict[str, Any]) -> None:
    session.execute(update(ShareLink).values(show_name=False))


def _award_another_badge(session: Session, settings: Settings, world: dict[str, Any]) -> None:
    issue_badge(
        session,
        settings,
        coach=world["coach"],
        participant=world["participant"],
        slug="digitaidot-1",
        now=NOW,
    )


def _renew_the_catalog(session: Session, settings: Settings, world: dict[str, Any]) -> None:
    first = session.exec(select(Qualification)).first()
    assert first is not None
    first.content_hash = "0" * 64
    session.add(first)


CHANGES: dict[str, tuple[Callable[[Session, Settings, dict[str, Any]], None], set[str]]] = {
    # change: what it does, the links whose page it changes
    "revocation": (_revoke_wood, {"one", "passport"}),
    "a status bit": (_flip_a_bit_behind_the_service, {"one", "passport"}),
    "a withdrawn key": (_withdraw_the_key, {"one", "passport"}),
    "the trust registry": (_trust_another_issuer, {"one", "passport"}),
    "the holder's name": (_rename_the_participant, {"one", "passport"}),
    "the link's settings": (_hide_the_name, {"one", "passport"}),
    "a new badge": (_award_another_badge, {"passport"}),
    "the catalog": (_renew_the_catalog, {"one", "passport"}),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_that_can_change_a_page_changes_its_fingerprint(
    change: str, session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    links = _links(world, session)
    before = _fingerprints(session, links)
    do, changed = CHANGES[change]
    do(session, settings, world)
    after = _fingerprints(session, links)
    assert {name for name in links if before[name] != after[name]} >= changed


def test_a_new_evidence_photo_changes_a_page_that_shows_evidence(
    session: Session, world: dict[str, Any]
) -> None:
    links = _links(world, session)
    before = _fingerprints(session, links)
    session.add(
        EvidencePhoto(
            organization_id=world["org"].id,
            participant_id=world["participant"].id,
            award_id=world["wood"].award_id,
            uploaded_by_id=world["coach"].id,
            content_type="image/jpeg",
            width=1,
            height=1,
            data=b"\xff\xd8\xff",
        )
    )
    assert _fingerprints(session, links)["passport"] != before["passport"]


def test_unknown_revoked_expired_and_erased_links_are_not_found(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    p = world["participant"]
    link, token = service.create_share_link(
        session, participant=p, credential_public_id=None, now=NOW, expires_at=LATER
    )
    assert pages.page_state(session, token, now=NOW).link_id == link.id
    for bad in ("", "x" * 43, "not a token!", token + "x"):
        with pytest.raises(NotFound):
            pages.page_state(session, bad, now=NOW)
    with pytest.raises(NotFound):
        pages.page_state(session, token, now=LATER)  # expired
    _, other = service.create_share_link(session, participant=p, credential_public_id=None, now=NOW)
    assert link.id is not None
    service.revoke_share_link(session, participant=p, link_id=link.id, now=NOW)
    session.flush()
    with pytest.raises(NotFound):
        pages.page_state(session, token, now=NOW)
    # A link to someone else's badge (which the service never makes) shows nothing.
    session.execute(
        update(ShareLink)
        .where(col(ShareLink.token_hash) != link.token_hash)
        .values(credential_id=world["others_badge"].id)
    )
    with pytest.raises(NotFound):
        pages.page_state(session, other, now=NOW)
    session.execute(update(ShareLink).values(credential_id=None))
    pages.page_state(session, other, now=NOW)
    erase_participant(session, settings, participant=p, actor_user_id=None, now=NOW)
    session.flush()
    with pytest.raises(NotFound):
        pages.page_state(session, other, now=NOW)


def test_a_kept_page_lasts_until_the_first_date_that_changes_it(
    world: dict[str, Any],
) -> None:
    kitchen = world["kitchen"].json_ld  # valid for 36 months
    until = pages.valid_until([kitchen], now=NOW)
    assert until == NOW + pages.PAGE_MAX_AGE
    end = parse_datetime(kitchen["validUntil"])
    warning = end - EXPIRY_WARNING
    assert pages.valid_until([kitchen], now=warning - timedelta(seconds=10)) == warning
    assert pages.valid_until([kitchen], now=end - timedelta(seconds=10)) == end
    # Any date anywhere in a document counts (an endorsement's, evidence's...).
    nested = {"a": [{"b": "2026-11-02T09:31:00Z"}], "c": "2026-11-02T09:30:30+00:00"}
    assert pages.valid_until([nested], now=NOW) == NOW + timedelta(seconds=30)
