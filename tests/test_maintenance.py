"""The periodic clean-up (issue #13): expired sessions, sign-in links and e-mailed links go."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from app.auth.sessions import create_session
from app.config import Settings
from app.maintenance import clean_up
from app.models import SignInToken, WebSession
from app.models.base import utcnow
from tests.factories import make_org, make_participant, make_user


def test_clean_up_removes_what_expired(session: Session, settings: Settings) -> None:
    now = utcnow()
    org = make_org(session, settings)
    user = make_user(session, org)
    participant = make_participant(session, org)
    create_session(
        session, now=now - timedelta(days=2), max_age=timedelta(hours=12), user_id=user.id
    )
    create_session(session, now=now, max_age=timedelta(hours=12), user_id=user.id)
    stale = create_session(
        session,
        now=now - timedelta(hours=3),
        max_age=timedelta(hours=24),
        participant_id=participant.id,
    )
    assert stale
    assert participant.id is not None
    for age in (timedelta(days=3), timedelta(minutes=5)):
        session.add(
            SignInToken(
                participant_id=participant.id,
                token_hash=f"{age.total_seconds():064.0f}",
                created_at=now - age,
                expires_at=now - age + timedelta(minutes=15),
            )
        )
    session.flush()
    report = clean_up(session, settings, now=now)
    # Expired (2 days old, 12 h max) and idle for 3 h (longer than any idle limit) go.
    assert report.sessions == 2
    assert len(session.exec(select(WebSession)).all()) == 1
    assert report.sign_in_links == 1
    assert len(session.exec(select(SignInToken)).all()) == 1
