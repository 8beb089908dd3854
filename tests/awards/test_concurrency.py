"""Many awards at once on PostgreSQL: every credential gets its own status list index."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from app.awards.service import AwardRequest, award_badge
from app.config import Settings
from app.credentials import status
from app.db import make_engine, transaction
from app.models import Credential, Participant, User
from tests.conftest import STANDARDS
from tests.factories import load_real_catalog, make_org, make_participant, make_user

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
WORKERS, PER_WORKER = 6, 5


@pytest.mark.postgres
def test_concurrent_issuers_get_distinct_indexes(
    committed_postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        environment="test",
        database_url=committed_postgres_url,
        base_url="https://passi.test",
        contexts_dir=STANDARDS / "contexts",
    )
    engine = make_engine(committed_postgres_url)
    with transaction(engine) as session:
        load_real_catalog(session)
        org = make_org(session, settings)
        coach_id = make_user(session, org).id
        participant_ids = [make_participant(session, org).id for _ in range(WORKERS)]
    from app.awards.service import badge_criteria

    with Session(engine) as session:
        criteria = badge_criteria(session, "puutyo-1")

    # Draw indexes from a tiny range so that concurrent issuers really collide and the
    # unique constraint plus retry is what keeps them apart.
    real_randbelow = status.secrets.randbelow
    monkeypatch.setattr(status.secrets, "randbelow", lambda n: real_randbelow(64))

    def issue(worker: int) -> list[int]:
        indexes = []
        for n in range(PER_WORKER):
            with transaction(engine) as session:
                coach = session.get(User, coach_id)
                participant = session.get(Participant, participant_ids[worker])
                assert coach is not None and participant is not None
                _, credential = award_badge(
                    session,
                    settings,
                    coach=coach,
                    now=NOW,
                    request=AwardRequest(
                        participant_id=participant_ids[worker],
                        badge_slug="puutyo-1",
                        criteria_observed=criteria,
                        narrative="Rakensi hyllyn.",
                        idempotency_key=f"w{worker}-{n}",
                    ),
                )
                indexes.append(credential.status_index)
        return indexes

    with ThreadPoolExecutor(WORKERS) as pool:
        results = [i for chunk in pool.map(issue, range(WORKERS)) for i in chunk]
    with Session(engine) as session:
        stored = session.exec(select(Credential.status_list_id, Credential.status_index)).all()
    engine.dispose()
    assert len(results) == WORKERS * PER_WORKER
    assert len(set(stored)) == len(stored) == WORKERS * PER_WORKER
