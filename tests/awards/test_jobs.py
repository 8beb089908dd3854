"""Group awards as jobs: chunks, claims, resuming, a result per person, and the list parser."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from app.awards import jobs
from app.awards.members import MemberListInvalid, decode_list, parse_members
from app.awards.service import AwardPlan, GroupMember, badge_criteria, check_award
from app.config import Settings
from app.credentials.documents import document_loader
from app.credentials.hashing import HashingPool
from app.credentials.keyresolver import local_key_resolver
from app.errors import NotFound, ValidationFailed
from app.models import AuditEvent, Award, AwardJob, AwardJobItem, Credential
from app.vc.dataintegrity import verify_proof
from app.vc.jwt import verify_vc_jwt
from tests.factories import make_org, make_participant, make_user

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
CLAIM = timedelta(seconds=30)


@pytest.fixture
def world(session: Session, settings: Settings, real_catalog: None) -> dict[str, Any]:
    org = make_org(session, settings)
    people = [make_participant(session, org, email=f"p{i}@example.fi") for i in range(5)]
    session.commit()
    return {"org": org, "coach": make_user(session, org), "people": people}


def _plan(session: Session) -> AwardPlan:
    return check_award(
        session,
        badge_slug="puutyo-1",
        criteria_observed=badge_criteria(session, "puutyo-1"),
        narrative="Rakensimme penkin.",
        activity_start=None,
        activity_end=None,
        today=NOW.date(),
        group=True,
    )


def _queue(session: Session, world: dict[str, Any], key: str = "group:k1") -> AwardJob:
    job = jobs.create_job(
        session,
        coach=world["coach"],
        plan=_plan(session),
        members=[
            GroupMember(p.id, "Maalasi." if i == 1 else "") for i, p in enumerate(world["people"])
        ],
        idempotency_key=key,
        now=NOW,
    )
    session.commit()
    return job


def _claim(transactions: Callable[..., Any], at: datetime = NOW) -> tuple[int, str]:
    with transactions(writes=True) as s:
        claimed = jobs.claim_next(s, now=at, claim_for=CLAIM)
    assert claimed is not None
    return claimed


def _awards_per_person(session: Session) -> dict[int, int]:
    rows = session.exec(
        select(Award.participant_id, func.count())
        .where(col(Award.idempotency_key).startswith("job:"))
        .group_by(col(Award.participant_id))
    ).all()
    return {pid: n for pid, n in rows}


def test_a_job_is_worked_through_in_chunks_and_each_person_gets_one_badge(
    session: Session,
    settings: Settings,
    world: dict[str, Any],
    job_transactions: Callable[..., Any],
) -> None:
    job = _queue(session, world)
    assert _queue(session, world).id == job.id  # the same form again: the same job
    job_id, token = _claim(job_transactions)

    def chunk() -> bool:
        return jobs.process_chunk(
            job_transactions, settings, job_id=job_id, token=token, size=2, claim_for=CLAIM
        )

    assert chunk()
    session.expire_all()
    assert (job.state, job.awarded, job.failed) == ("running", 2, 0)
    assert chunk() and chunk()
    assert not chunk()  # nothing left: done
    session.expire_all()
    assert (job.state, job.awarded, job.total) == ("done", 5, 5)
    assert job.finished_at is not None and job.claim_token is None
    assert _awards_per_person(session) == {p.id: 1 for p in world["people"]}
    items = jobs.job_items(session, job)
    assert [i.state for i in items] == ["awarded"] * 5
    assert all(i.credential_public_id for i in items)
    # one audit event per badge, naming it (written while the chunk's proofs were hashed)
    audited = session.exec(
        select(AuditEvent.object_id).where(AuditEvent.action == "award.create")
    ).all()
    assert sorted(audited) == sorted(i.credential_public_id for i in items)
    narratives = {
        a.participant_id: a.narrative
        for a in session.exec(select(Award).where(col(Award.idempotency_key).startswith("job:")))
    }
    assert narratives[world["people"][1].id] == "Rakensimme penkin.\n\nMaalasi."
    assert narratives[world["people"][0].id] == "Rakensimme penkin."
    # Each person's item names that person's credential, of that person's award (the rows
    # are written without ORM objects and their ids come back in order).
    for item in session.exec(select(AwardJobItem).where(AwardJobItem.job_id == job.id)):
        credential = session.get(Credential, item.credential_id)
        assert credential is not None
        award = session.get(Award, credential.award_id)
        assert award is not None and award.participant_id == item.participant_id
        assert credential.json_ld["evidence"][0]["narrative"] == award.narrative
        assert award.idempotency_key == f"job:{job.public_id}:{item.participant_id}"


def test_a_run_that_died_is_taken_over_and_nobody_gets_the_badge_twice(
    session: Session,
    settings: Settings,
    world: dict[str, Any],
    job_transactions: Callable[..., Any],
) -> None:
    """The first run committed one chunk and died; its claim expires and a second run goes
    on from the next person. The first run, if it was only slow, can write nothing more."""
    _queue(session, world)
    job_id, first = _claim(job_transactions)
    assert jobs.process_chunk(
        job_transactions,
        settings,
        job_id=job_id,
        token=first,
        size=2,
        claim_for=CLAIM,
        now=lambda: NOW,
    )
    with job_transactions(writes=True) as s:
        assert jobs.claim_next(s, now=NOW + CLAIM / 2, claim_for=CLAIM) is None  # still held
    job_id_again, second = _claim(job_transactions, NOW + timedelta(minutes=5))
    assert job_id_again == job_id and second != first
    assert not jobs.process_chunk(
        job_transactions, settings, job_id=job_id, token=first, size=2, claim_for=CLAIM
    )
    while jobs.process_chunk(
        job_transactions, settings, job_id=job_id, token=second, size=2, claim_for=CLAIM
    ):
        pass
    session.expire_all()
    job = session.get(AwardJob, job_id)
    assert job is not None and (job.state, job.awarded) == ("done", 5)
    assert _awards_per_person(session) == {p.id: 1 for p in world["people"]}


def test_someone_erased_meanwhile_is_reported_and_the_others_get_the_badge(
    session: Session,
    settings: Settings,
    world: dict[str, Any],
    job_transactions: Callable[..., Any],
) -> None:
    from app.participants.privacy import erase_participant

    job = _queue(session, world)
    erased = world["people"][1]  # the one with a sentence of their own
    erase_participant(session, settings, participant=erased, actor_user_id=None, now=NOW)
    session.commit()
    assert jobs.run_once(job_transactions, settings) == 1
    session.expire_all()
    assert (job.state, job.awarded, job.failed) == ("done", 4, 1)
    failed = [i for i in jobs.job_items(session, job) if i.state == "failed"]
    assert [(i.participant_id, i.error) for i in failed] == [
        (erased.id, "The participant's data has been erased.")
    ]
    sentences = session.exec(
        select(AwardJobItem.sentence).where(AwardJobItem.participant_id == erased.id)
    ).all()
    assert sentences == [""]


def test_a_failing_chunk_is_retried_then_given_up_and_can_be_resumed(
    session: Session,
    settings: Settings,
    world: dict[str, Any],
    job_transactions: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = _queue(session, world)
    real = jobs.record_group_awards

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the signing service is down")

    monkeypatch.setattr(jobs, "record_group_awards", broken)
    for attempt in range(jobs.MAX_ATTEMPTS):
        at = NOW + timedelta(minutes=attempt)
        assert jobs.run_once(job_transactions, settings, now=lambda at=at: at) == 1
        session.expire_all()
        assert job.state == "running" and job.awarded == 0
        assert job.last_error and "tried again" in job.last_error
    # The next claim finds the tries used up: given up, for the coach to resume.
    later = NOW + timedelta(hours=1)
    assert jobs.run_once(job_transactions, settings, now=lambda: later) == 0
    session.expire_all()
    assert job.state == "failed" and jobs.progress_of(job).pending == 5
    assert session.exec(select(func.count()).select_from(Credential)).one() == 0

    monkeypatch.setattr(jobs, "record_group_awards", real)
    assert world["coach"].id is not None
    jobs.resume(session, job, actor_user_id=world["coach"].id, now=later)
    session.commit()
    assert jobs.run_once(job_transactions, settings, now=lambda: later) == 1
    session.expire_all()
    assert (job.state, job.awarded) == ("done", 5)


def test_queueing_checks_the_people(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    stranger = make_participant(session, world["org"])
    other_org_person = make_participant(session, make_org(session, settings))
    session.commit()
    plan = _plan(session)
    assert stranger.id is not None and other_org_person.id is not None
    with pytest.raises(NotFound):
        jobs.create_job(
            session,
            coach=world["coach"],
            plan=plan,
            members=[GroupMember(stranger.id), GroupMember(other_org_person.id)],
            idempotency_key="group:x",
            now=NOW,
        )
    with pytest.raises(ValidationFailed, match="only once"):
        jobs.create_job(
            session,
            coach=world["coach"],
            plan=plan,
            members=[GroupMember(stranger.id), GroupMember(stranger.id)],
            idempotency_key="group:y",
            now=NOW,
        )
    assert session.exec(select(AwardJobItem)).first() is None


# --- the list of people ----------------------------------------------------------------------


@pytest.fixture
def people(session: Session, settings: Settings) -> dict[str, Any]:
    from app.participants.service import create_participant

    org = make_org(session, settings)

    def person(name: str, email: str | None = None) -> int:
        p = create_participant(session, organization=org, display_name=name, email=email)
        assert p.id is not None
        return p.id

    ids = {
        "aino": person("Aino Virtanen", "aino@example.fi"),
        "pekka": person("Pekka", None),
        "sara1": person("Sara", None),
        "sara2": person("Sara", "sara.b@example.fi"),
        "åsa": person("Åsa Öberg", None),
    }
    session.commit()
    return {"org": org, **ids}


def test_a_list_with_a_header_semicolons_and_sentences(
    session: Session, people: dict[str, Any]
) -> None:
    text = "Nimi;Sähköposti;Lause\n Aino Virtanen ; AINO@example.fi ;Sahasi osat.\nPekka;;\n"
    members = parse_members(session, people["org"].id, text)
    assert members == [GroupMember(people["aino"], "Sahasi osat."), GroupMember(people["pekka"])]


def test_rows_pasted_from_a_spreadsheet_and_a_windows_file(
    session: Session, people: dict[str, Any]
) -> None:
    pasted = "Åsa Öberg\t\tHyvä työ\nSara\tsara.b@example.fi\t"
    assert parse_members(session, people["org"].id, pasted) == [
        GroupMember(people["åsa"], "Hyvä työ"),
        GroupMember(people["sara2"]),
    ]
    windows = "name,email\r\nÅsa Öberg,\r\n".encode("cp1252")
    assert parse_members(session, people["org"].id, decode_list(windows)) == [
        GroupMember(people["åsa"])
    ]
    with_bom = "\ufeffname,email\nPekka,\n".encode()
    assert parse_members(session, people["org"].id, decode_list(with_bom)) == [
        GroupMember(people["pekka"])
    ]


def test_every_bad_row_is_named_with_its_number(session: Session, people: dict[str, Any]) -> None:
    text = "\n".join(
        [
            "name,email,sentence",
            "Aino Virtanen,aino@example.fi,",  # row 2: fine
            "Sara,,",  # row 3: two people called Sara
            "Nobody,nobody@example.fi,",  # row 4: no such e-mail
            "Mystery,,",  # row 5: no such name
            ",,just a sentence",  # row 6: nobody named
            "Aino,aino@example.fi,",  # row 7: Aino again
        ]
    )
    with pytest.raises(MemberListInvalid) as caught:
        parse_members(session, people["org"].id, text)
    assert [(p.row, p.error.detail) for p in caught.value.problems] == [
        (3, "Several participants match Sara; give their e-mail address."),
        (4, "Nobody with the e-mail address nobody@example.fi is a participant here."),
        (5, "Nobody called Mystery is a participant here."),
        (6, "Give a name or an e-mail."),
        (7, "The same person is already on row 2."),
    ]


def test_another_organizations_people_are_not_found_by_a_list(
    session: Session, settings: Settings, people: dict[str, Any]
) -> None:
    other = make_org(session, settings)
    session.commit()
    assert other.id is not None
    with pytest.raises(MemberListInvalid):
        parse_members(session, other.id, "Aino Virtanen,aino@example.fi\n")


def test_an_empty_or_oversized_list_is_refused(session: Session, people: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed, match="no people"):
        parse_members(session, people["org"].id, "name,email\n\n")
    with pytest.raises(ValidationFailed, match="too large"):
        decode_list(b"x" * (1024 * 1024 + 1))
    with pytest.raises(ValidationFailed, match="At most 2500"):
        parse_members(session, people["org"].id, "Pekka\n" * 2501)


def test_a_job_canonicalizing_in_worker_processes_issues_credentials_that_verify(
    session: Session,
    settings: Settings,
    world: dict[str, Any],
    job_transactions: Callable[..., Any],
    credential_schema_validator: Any,
) -> None:
    """The job worker's pool (app/credentials/hashing.py): two processes canonicalize, the
    signatures are made here. Every credential verifies (both proofs), and each is its own."""
    job = _queue(session, world)
    pool = HashingPool(settings, processes=2)
    try:
        assert pool.wait_ready(60)  # (until then the chunks are hashed in the job's thread)
        assert jobs.run_once(job_transactions, settings, now=lambda: NOW, hash_many=pool) == 1
        assert pool.hashed_in_workers == 5
    finally:
        pool.close()
    session.expire_all()
    assert (job.state, job.awarded) == ("done", 5)
    credentials = session.exec(
        select(Credential).join(Award).where(col(Award.idempotency_key).startswith("job:"))
    ).all()
    assert len(credentials) == 5
    resolver = local_key_resolver(session, settings)
    loader = document_loader(settings)
    for credential in credentials:
        doc = credential.json_ld
        assert [e.message for e in credential_schema_validator.iter_errors(doc)] == []
        result = verify_proof(doc, public_key_resolver=resolver, document_loader=loader)
        assert result.verified, result.reasons
        assert verify_vc_jwt(credential.jwt, public_key_resolver=resolver, now=NOW).verified
    assert len({c.json_ld["proof"][0]["proofValue"] for c in credentials}) == 5
