"""A group award against the service as it runs (issue #13): queued from the coach's form
with a CSV list, followed by its progress, and the server killed in the middle: after a
restart the job goes on, and everyone has the badge exactly once."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlmodel import Session

from app.config import PROJECT_ROOT
from app.organizations import repository as org_repo
from app.participants.service import create_participant
from tests.live import COACH, PASSWORD, csrf_of, free_port, prepare, start

SLUG = "puutyo-1"
CRITERIA = [
    c["id"]
    for c in yaml.safe_load((PROJECT_ROOT / "badges" / f"{SLUG}.yaml").read_text())["criteria"]
]
PEOPLE = 120
# Small chunks and a short claim, so that the kill lands mid-job and the restart takes over
# quickly; the defaults are 50 people and 30 s.
SETTINGS = {"JOB_CHUNK_SIZE": "10", "JOB_CLAIM_SECONDS": "2", "JOB_POLL_SECONDS": "0.2"}


def _participants(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    emails = [f"ryhma{i}@example.fi" for i in range(PEOPLE)]
    with Session(engine) as session:
        organization = org_repo.by_slug(session, "demo")
        assert organization is not None
        for i, email in enumerate(emails):
            create_participant(
                session, organization=organization, display_name=f"Ryhmäläinen {i}", email=email
            )
        session.commit()
    engine.dispose()
    return emails


def _sign_in(client: httpx.Client) -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"csrf_token": token, "email": COACH, "password": PASSWORD})
    assert answer.status_code == 303, answer.text


def _progress(client: httpx.Client, job_url: str) -> dict[str, Any]:
    answer = client.get(f"{job_url}/progress")
    assert answer.status_code == 200, answer.text
    progress: dict[str, Any] = answer.json()
    return progress


def _check_database(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        one = lambda sql: int(conn.execute(text(sql)).scalar_one())  # noqa: E731
        figures = {
            "awards": one("SELECT count(*) FROM award WHERE idempotency_key LIKE 'job:%'"),
            "people": one(
                "SELECT count(DISTINCT participant_id) FROM award "
                "WHERE idempotency_key LIKE 'job:%'"
            ),
            "credentials": one(
                "SELECT count(*) FROM credential c JOIN award a ON a.id = c.award_id "
                "WHERE a.idempotency_key LIKE 'job:%'"
            ),
            "awarded_items": one(
                "SELECT count(*) FROM award_job_item WHERE state = 'awarded' "
                "AND credential_id IS NOT NULL"
            ),
            "job_awarded": one("SELECT awarded FROM award_job"),
            "duplicate_indexes": one(
                "SELECT count(*) FROM (SELECT status_list_id, status_index FROM credential "
                "GROUP BY status_list_id, status_index HAVING count(*) > 1) d"
            ),
        }
    engine.dispose()
    return figures


def _group_award_survives_a_killed_server(tmp_path: Path, database_url: str) -> None:
    port = free_port()
    prepare(database_url, port=port, **SETTINGS)
    emails = _participants(database_url)
    process, url, log = start(tmp_path, database_url, port, **SETTINGS)
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            _sign_in(client)
            form = client.get(f"/coach/group-award/{SLUG}")
            rows = "name,email,sentence\n" + "\n".join(
                f"Ryhmäläinen {i},{email}," for i, email in enumerate(emails)
            )
            answer = client.post(
                f"/coach/group-award/{SLUG}",
                data={
                    "csrf_token": csrf_of(form.text),
                    "idempotency_key": "live-group-award-0001",
                    "confirmed": "1",  # as sent from the review page
                    "criteria": CRITERIA,
                    "narrative": "Rakensimme yhdessä penkit pihalle.",
                },
                files={"members_csv": ("ryhma.csv", rows.encode(), "text/csv")},
            )
            assert answer.status_code == 303, answer.text
            job_url = answer.headers["location"]
            page = client.get(job_url)
            assert page.status_code == 200 and "Merkkejä myönnetään" in page.text
            # Kill the server (no clean shutdown) once some, not all, have the badge.
            deadline = time.monotonic() + 120
            while (progress := _progress(client, job_url))["awarded"] < 30:
                assert time.monotonic() < deadline, progress
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        before = _check_database(database_url)
        assert 30 <= before["job_awarded"] < PEOPLE, "the kill did not land mid-job"
        # What was committed is whole: an award, its credential and its item together.
        assert before["awards"] == before["credentials"] == before["awarded_items"]
        assert before["job_awarded"] == before["awards"]

        process, url, log = start(tmp_path, database_url, port=port, **SETTINGS)
        with httpx.Client(base_url=url, timeout=60) as client:
            _sign_in(client)
            deadline = time.monotonic() + 240
            while (progress := _progress(client, job_url))["state"] != "done":
                assert time.monotonic() < deadline, progress
                time.sleep(0.2)
            assert progress == {
                "state": "done",
                "total": PEOPLE,
                "awarded": PEOPLE,
                "failed": 0,
                "pending": 0,
            }
            page = client.get(job_url)
            assert page.text.count(">Myönnetty<") == PEOPLE
        after = _check_database(database_url)
        assert after == {
            "awards": PEOPLE,
            "people": PEOPLE,
            "credentials": PEOPLE,
            "awarded_items": PEOPLE,
            "job_awarded": PEOPLE,
            "duplicate_indexes": 0,
        }
    except BaseException:
        print(log.read_text()[-5000:])
        raise
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=15)


def test_group_award_survives_a_killed_server_on_sqlite(tmp_path: Path) -> None:
    _group_award_survives_a_killed_server(tmp_path, f"sqlite:///{tmp_path / 'group.db'}")


@pytest.mark.postgres
def test_group_award_survives_a_killed_server_on_postgresql(
    tmp_path: Path, committed_postgres_url: str
) -> None:
    _group_award_survives_a_killed_server(tmp_path, committed_postgres_url)
