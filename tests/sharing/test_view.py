"""The public page's data: badge, ePerusteet mapping, and the live verification state."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from app.config import Settings
from app.credentials.service import add_months, revoke_credential
from app.organizations.service import rotate_keys
from app.sharing import service
from app.sharing.view import State, build_public_view, shared_views
from app.verification.service import VERIFIED_PROOFS
from tests.sharing.conftest import NOW

LATER = NOW + timedelta(days=1)


def _view(session: Session, settings: Settings, credential: Any, **kw: Any) -> Any:
    kw.setdefault("now", LATER)
    kw.setdefault("show_name", True)
    kw.setdefault("show_evidence", False)
    return build_public_view(session, settings, credential=credential, **kw)


def test_fresh_badge_is_green_with_its_qualification_units(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    view = _view(session, settings, world["wood"])
    assert view.verification.state is State.green, view.verification.checks
    ids = {c.id: c.status for c in view.verification.checks}
    for check in ("proof", "issuer", "status", "validity", "schema"):
        assert ids[check] == "passed"
    assert view.name and view.description and view.criteria
    assert view.image_url and view.image_url.endswith("/image.svg")
    assert view.issuer.name == world["org"].name
    assert view.url == f"https://passi.test/credentials/{world['wood'].public_id}"
    codes = [u.code for u in view.recognition.units]
    assert "tutkinnonosat_105444" in codes
    unit = next(u for u in view.recognition.units if u.code == "tutkinnonosat_105444")
    assert unit.url and unit.url.startswith("https://eperusteet.opintopolku.fi/")
    assert unit.osp and unit.requirements
    assert view.holder_name == world["participant"].display_name
    assert view.evidence == []


def test_name_and_evidence_follow_the_link_settings(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    hidden = _view(session, settings, world["wood"], show_name=False)
    assert hidden.holder_name is None
    shown = _view(session, settings, world["wood"], show_evidence=True)
    assert [e.narrative for e in shown.evidence] == ["Teki linnunpöntön ohjeen mukaan."]
    _, token = service.create_share_link(
        session,
        participant=world["participant"],
        credential_public_id=None,
        now=NOW,
        show_name=False,
        show_evidence=True,
    )
    opened = service.open_share(session, token, now=LATER)
    views = shared_views(
        session,
        settings,
        credentials=opened.credentials,
        now=LATER,
        show_name=opened.show_name,
        show_evidence=opened.show_evidence,
    )
    assert len(views) == 2
    assert all(v.holder_name is None and v.evidence for v in views)


def test_revocation_turns_the_page_red_at_once(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    wood = world["wood"]
    assert _view(session, settings, wood).verification.state is State.green
    revoke_credential(session, settings, credential=wood, reason="x", actor_user_id=None, now=LATER)
    view = _view(session, settings, wood)
    assert view.verification.state is State.red
    assert {c.code for c in view.verification.checks} >= {"revoked"}


def test_key_compromise_turns_the_page_red_at_once(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    wood = world["wood"]
    assert _view(session, settings, wood).verification.state is State.green
    key = wood.json_ld["proof"][0]["verificationMethod"].split("#")[1]
    rotate_keys(session, settings=settings, organization=world["org"], compromised=[key], now=LATER)
    view = _view(session, settings, wood)
    assert view.verification.state is State.red
    assert {c.id: c.status for c in view.verification.checks}["proof"] == "failed"


def test_expiring_soon_is_amber_and_expired_is_red(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    kitchen = world["kitchen"]  # valid for 36 months
    until = add_months(NOW, 36)
    amber = _view(session, settings, kitchen, now=until - timedelta(days=10))
    assert amber.verification.state is State.amber
    assert "expiring_soon" in {c.code for c in amber.verification.checks}
    red = _view(session, settings, kitchen, now=until + timedelta(days=1))
    assert red.verification.state is State.red
    assert "expired" in {c.code for c in red.verification.checks}


def test_one_public_page_verification_is_fast_enough(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    _view(session, settings, world["wood"])  # warm the context and schema caches
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        _view(session, settings, world["wood"])
        runs.append(time.perf_counter() - start)
    runs.sort()
    # Generous bound for a loaded 2-core CI machine; measured ~25 ms (README, "Sharing").
    assert runs[len(runs) // 2] < 0.5, runs


def test_a_remembered_proof_never_hides_a_revocation_on_a_shared_page(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    """The second opening uses the remembered proofs; a revocation between two openings is
    red on the very next one (a passport link then no longer lists the badge)."""
    wood, kitchen = world["wood"].public_id, world["kitchen"].public_id
    _, passport = service.create_share_link(
        session, participant=world["participant"], credential_public_id=None, now=NOW
    )
    _, one = service.create_share_link(
        session, participant=world["participant"], credential_public_id=wood, now=NOW
    )

    def states(token: str) -> dict[str, State]:
        opened = service.open_share(session, token, now=LATER)
        views = shared_views(
            session,
            settings,
            credentials=opened.credentials,
            now=LATER,
            show_name=True,
            show_evidence=False,
            holder=opened.participant,
        )
        return {v.public_id: v.verification.state for v in views}

    assert states(passport) == {wood: State.green, kitchen: State.green}
    hits = VERIFIED_PROOFS.hits
    assert states(passport) == {wood: State.green, kitchen: State.green}
    assert states(one) == {wood: State.green}
    assert VERIFIED_PROOFS.hits >= hits + 3
    revoke_credential(
        session, settings, credential=world["wood"], reason="x", actor_user_id=None, now=LATER
    )
    assert states(one) == {wood: State.red}
    assert states(passport) == {kitchen: State.green}
