"""The periodic clean-up (issue #13): expired sessions, sign-in links and e-mailed links go."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth.sessions import create_session
from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.maintenance import clean_up
from app.migrate import upgrade
from app.models import SignInToken, WebSession
from app.models.base import utcnow
from tests.conftest import STANDARDS
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


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_the_service_cleans_up_on_its_own(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A running service removes what expired every MAINTENANCE_SECONDS, with nothing else
    set up to do it (as after `make run`), and keeps what has not expired."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'clean.db'}"
        upgrade(url)
    else:
        url = request.getfixturevalue("committed_postgres_url")
    settings = Settings(
        environment="test",
        database_url=url,
        base_url="https://passi.test",
        contexts_dir=STANDARDS / "contexts",
        run_jobs=False,
        maintenance_seconds=0.2,
    )
    engine = make_engine(url)
    now = utcnow()
    with Session(engine) as session:
        org = make_org(session, settings)
        user = make_user(session, org)
        create_session(
            session, now=now - timedelta(days=2), max_age=timedelta(hours=12), user_id=user.id
        )
        create_session(session, now=now, max_age=timedelta(hours=12), user_id=user.id)
        session.commit()
    try:
        with TestClient(create_app(settings), base_url="https://passi.test"):
            deadline = time.monotonic() + 15
            while True:
                with Session(engine) as session:
                    left = len(session.exec(select(WebSession)).all())
                if left == 1:
                    break
                assert time.monotonic() < deadline, f"{left} sessions still there"
                time.sleep(0.1)
    finally:
        engine.dispose()
