"""Group awards as jobs: one badge to up to 2,500 people, outside the request.

The coach's form creates an `AwardJob` with one `AwardJobItem` per person, in one
transaction, and the page follows its progress. Whichever instance claims the job works
through it in chunks, each chunk one transaction: its people's awards, their credentials and
the job's counts are committed together, so a failure or a restart loses no finished award,
and each person's award has an idempotency key of the job's own, so nobody gets the badge
twice. A claim lasts `job_claim_seconds` and is renewed with every chunk; the claim of an
instance that died expires, and another instance (or the same one after a restart) goes on
where it stopped. Nothing of this depends on process memory. See
docs/decisions/0014-group-award-jobs.md.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, update
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.awards.service import (
    AwardInputInvalid,
    AwardPlan,
    GroupMember,
    check_group,
    group_narrative,
    record_group_awards,
)
from app.config import Settings
from app.credentials.hashing import HashingPool, HashMany
from app.credentials.service import prepare_issuance
from app.errors import NotFound, page_text
from app.models import (
    Award,
    AwardJob,
    AwardJobItem,
    BadgeDefinition,
    BadgeVersion,
    Credential,
    EvidencePhoto,
    Organization,
    Participant,
    User,
)
from app.models.base import utcnow

log = logging.getLogger(__name__)

# Opens one transaction, `writes=True` when it will write (app.db.transaction bound to an
# engine; tests bind it to their connection).
Transactions = Callable[..., AbstractContextManager[Session]]

# Claims without a finished chunk before a job is given up (the coach can resume it).
MAX_ATTEMPTS = 5
ACTIVE = ("queued", "running")


@dataclass(frozen=True)
class Progress:
    public_id: str
    state: str
    total: int
    awarded: int
    failed: int
    last_error: str | None

    @property
    def pending(self) -> int:
        return self.total - self.awarded - self.failed

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "total": self.total,
            "awarded": self.awarded,
            "failed": self.failed,
            "pending": self.pending,
        }


def create_job(
    session: Session,
    *,
    coach: User,
    plan: AwardPlan,
    members: list[GroupMember],
    idempotency_key: str,
    now: datetime,
    ip_address: str | None = None,
) -> AwardJob:
    """Queue a group award; the same form sent again returns the job it made the first time.

    Every person must be a participant of the coach's organization (others are reported as
    missing, as for a single award); erased people are refused before anything is queued.
    """
    assert coach.id is not None and plan.version.id is not None
    organization_id = coach.organization_id
    earlier = session.exec(
        select(AwardJob)
        .where(AwardJob.organization_id == organization_id)
        .where(AwardJob.idempotency_key == idempotency_key)
    ).first()
    if earlier is not None:
        return earlier
    errors = check_group(members)
    if errors:
        raise AwardInputInvalid(errors)
    require_participants(session, organization_id, [m.participant_id for m in members])
    job = AwardJob(
        organization_id=organization_id,
        coach_id=coach.id,
        badge_version_id=plan.version.id,
        criteria_observed=plan.criteria,
        narrative=plan.narrative,
        activity_start=plan.activity_start,
        activity_end=plan.activity_end,
        idempotency_key=idempotency_key,
        total=len(members),
        created_at=now,
    )
    session.add(job)
    session.flush()
    session.execute(
        insert(AwardJobItem),
        [
            {
                "job_id": job.id,
                "participant_id": m.participant_id,
                "position": position,
                "sentence": m.sentence.strip(),
                "state": "pending",
            }
            for position, m in enumerate(members)
        ],
    )
    audit.record(
        session,
        action="award_job.create",
        organization_id=organization_id,
        actor_user_id=coach.id,
        object_type="award_job",
        object_id=job.public_id,
        ip_address=ip_address,
        details={
            "badge": plan.badge.slug,
            "revision": plan.version.revision,
            "people": len(members),
        },
    )
    return job


def require_participants(session: Session, organization_id: int, ids: list[int]) -> None:
    """NotFound unless every id is a participant of the organization whose data is not
    erased (another organization's people are answered as missing, as everywhere)."""
    if not ids:
        return
    known = set(
        session.exec(
            select(Participant.id)
            .where(Participant.organization_id == organization_id)
            .where(col(Participant.erased_at).is_(None))
            .where(col(Participant.id).in_(set(ids)))
        ).all()
    )
    if len(known) != len(set(ids)):
        raise NotFound("No such participant.")


def job_for(session: Session, organization_id: int, public_id: str) -> AwardJob:
    """An organization's job (another organization's is answered as missing)."""
    job = session.exec(select(AwardJob).where(AwardJob.public_id == public_id)).first()
    if job is None or job.organization_id != organization_id:
        raise NotFound("No such group award.")
    return job


def progress_of(job: AwardJob) -> Progress:
    return Progress(job.public_id, job.state, job.total, job.awarded, job.failed, job.last_error)


@dataclass(frozen=True)
class ItemRow:
    position: int
    participant_id: int
    name: str
    state: str
    error: str | None
    credential_public_id: str | None
    # The badge can still take a photo of the work (issued, not revoked or replaced since).
    photo_possible: bool = False
    has_photo: bool = False


def job_items(session: Session, job: AwardJob) -> list[ItemRow]:
    """Each person of the job with what happened for them, in the order given."""
    rows = session.exec(
        select(AwardJobItem, Participant.display_name, Credential, EvidencePhoto.id)
        .join(Participant, col(Participant.id) == col(AwardJobItem.participant_id))
        .outerjoin(Credential, col(Credential.id) == col(AwardJobItem.credential_id))
        .outerjoin(EvidencePhoto, col(EvidencePhoto.award_id) == col(Credential.award_id))
        .where(AwardJobItem.job_id == job.id)
        .order_by(col(AwardJobItem.position))
    ).all()
    return [
        ItemRow(
            item.position,
            item.participant_id,
            name or "",
            item.state,
            item.error,
            credential.public_id if credential is not None else None,
            photo_possible=(
                credential is not None
                and bool(name)
                and credential.revoked_at is None
                and credential.replaced_by_id is None
            ),
            has_photo=photo_id is not None,
        )
        for item, name, credential, photo_id in rows
    ]


def recent_jobs(
    session: Session, organization_id: int, limit: int = 10
) -> list[tuple[AwardJob, dict[str, str]]]:
    """The organization's latest group awards, with their badge's name in each language."""
    rows = session.exec(
        select(AwardJob, BadgeVersion.definition)
        .join(BadgeVersion, col(BadgeVersion.id) == col(AwardJob.badge_version_id))
        .where(AwardJob.organization_id == organization_id)
        .order_by(col(AwardJob.id).desc())
        .limit(limit)
    ).all()
    return [(job, dict(definition["name"])) for job, definition in rows]


def resume(session: Session, job: AwardJob, *, actor_user_id: int, now: datetime) -> None:
    """Queue a job that was given up again: the people still waiting get the badge."""
    if job.state != "failed":
        return
    session.execute(
        update(AwardJob)
        .where(col(AwardJob.id) == job.id)
        .where(col(AwardJob.state) == "failed")
        .values(state="queued", attempts=0, claim_token=None, claimed_until=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        action="award_job.resume",
        organization_id=job.organization_id,
        actor_user_id=actor_user_id,
        object_type="award_job",
        object_id=job.public_id,
    )


# --- the worker ------------------------------------------------------------------------------


def _claimable(now: datetime) -> list[Any]:
    return [
        col(AwardJob.state).in_(ACTIVE),
        (col(AwardJob.claimed_until).is_(None)) | (col(AwardJob.claimed_until) <= now),
    ]


def claim_next(session: Session, *, now: datetime, claim_for: timedelta) -> tuple[int, str] | None:
    """Claim the oldest job that nobody holds; commit right after (like the outbox). Open
    the session with `writes=True`, so that on SQLite it holds the write lock from BEGIN."""
    dialect = session.get_bind().dialect.name
    candidate = select(AwardJob.id).where(*_claimable(now)).order_by(col(AwardJob.id)).limit(1)
    if dialect == "postgresql":
        candidate = candidate.with_for_update(skip_locked=True)
    token = secrets.token_hex(16)
    row = session.execute(
        update(AwardJob)
        .where(col(AwardJob.id) == candidate.scalar_subquery())
        .where(*_claimable(now))
        .values(
            claim_token=token,
            claimed_until=now + claim_for,
            attempts=col(AwardJob.attempts) + 1,
            state="running",
            started_at=func.coalesce(col(AwardJob.started_at), now),
        )
        .returning(col(AwardJob.id), col(AwardJob.attempts))
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        return None
    job_id, attempts = int(row[0]), int(row[1])
    if attempts > MAX_ATTEMPTS:
        session.execute(
            update(AwardJob)
            .where(col(AwardJob.id) == job_id)
            .values(
                state="failed",
                claim_token=None,
                claimed_until=None,
                last_error=page_text(
                    "The group award stopped after several failed tries. "
                    "Start it again to give the badge to the people still waiting."
                ),
            )
            .execution_options(synchronize_session=False)
        )
        log.warning("award job %s given up after %s claims", job_id, attempts - 1)
        return None
    return job_id, token


def _mine(session: Session, job_id: int, token: str) -> AwardJob | None:
    """The job, locked for this chunk, if this run still holds its claim."""
    query = select(AwardJob).where(AwardJob.id == job_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    job = session.exec(query).first()
    if job is None or job.claim_token != token or job.state != "running":
        return None
    return job


def process_chunk(
    transactions: Transactions,
    settings: Settings,
    *,
    job_id: int,
    token: str,
    size: int,
    claim_for: timedelta,
    now: Callable[[], datetime] = utcnow,
    hash_many: HashMany | None = None,
) -> bool:
    """Award the next `size` people of a claimed job in one transaction; False when the job
    is finished or the claim was lost (another run took over after it expired). `hash_many`
    canonicalizes the chunk's credentials (worker processes: app/credentials/hashing.py)."""
    with transactions(writes=True) as session:
        job = _mine(session, job_id, token)
        if job is None:
            return False
        items = session.exec(
            select(AwardJobItem)
            .where(AwardJobItem.job_id == job_id)
            .where(AwardJobItem.state == "pending")
            .order_by(col(AwardJobItem.position))
            .limit(size)
        ).all()
        moment = now()
        if not items:
            job.state, job.finished_at = "done", moment
            job.claim_token, job.claimed_until = None, None
            session.add(job)
            audit.record(
                session,
                action="award_job.done",
                organization_id=job.organization_id,
                actor_user_id=job.coach_id,
                object_type="award_job",
                object_id=job.public_id,
                details={"awarded": job.awarded, "failed": job.failed},
            )
            return False
        organization = session.get(Organization, job.organization_id)
        coach = session.get(User, job.coach_id)
        version = session.get(BadgeVersion, job.badge_version_id)
        assert organization is not None and coach is not None and version is not None
        badge = session.get(BadgeDefinition, version.badge_id)
        assert badge is not None
        plan = AwardPlan(
            badge=badge,
            version=version,
            criteria=list(job.criteria_observed),
            narrative=job.narrative,
            activity_start=job.activity_start,
            activity_end=job.activity_end,
        )
        people = {
            p.id: p
            for p in session.exec(
                select(Participant).where(
                    col(Participant.id).in_([i.participant_id for i in items])
                )
            ).all()
        }
        issuance = replace(
            prepare_issuance(session, settings, organization, version), hash_many=hash_many
        )
        keys = {i.participant_id: f"job:{job.public_id}:{i.participant_id}" for i in items}
        # A chunk that a run committed before it lost its claim (or its process) is not
        # issued again: those people's awards exist under the same keys.
        done = {
            a.idempotency_key: a
            for a in session.exec(
                select(Award)
                .where(Award.organization_id == organization.id)
                .where(col(Award.idempotency_key).in_(list(keys.values())))
            ).all()
        }
        to_award: list[tuple[AwardJobItem, Participant]] = []
        for item in items:
            person = people.get(item.participant_id)
            if (
                not coach.is_active
                or person is None
                or person.erased_at is not None
                or person.organization_id != organization.id
            ):
                item.state = "failed"
                item.error = (
                    page_text("The coach's account is no longer active.")
                    if not coach.is_active
                    else page_text("The participant's data has been erased.")
                )
                job.failed += 1
            elif keys[item.participant_id] in done:
                earlier = done[keys[item.participant_id]]
                credential = session.exec(
                    select(Credential).where(Credential.award_id == earlier.id)
                ).one()
                item.state, item.credential_id = "awarded", credential.id
                job.awarded += 1
            else:
                to_award.append((item, person))
            session.add(item)
        if to_award:
            issued = record_group_awards(
                session,
                settings,
                organization=organization,
                coach=coach,
                plan=plan,
                people=[
                    (person, group_narrative(plan.narrative, item.sentence), keys[person.id or 0])
                    for item, person in to_award
                ],
                now=moment,
                issuance=issuance,
            )
            for (item, _person), credential_id in zip(to_award, issued, strict=True):
                item.state, item.credential_id = "awarded", credential_id
                job.awarded += 1
        # A chunk went through: the claim is renewed and the count of failed tries starts
        # again.
        job.attempts, job.claimed_until, job.last_error = 0, now() + claim_for, None
        session.add(job)
    return True


def run_once(
    transactions: Transactions,
    settings: Settings,
    *,
    stop: threading.Event | None = None,
    now: Callable[[], datetime] = utcnow,
    hash_many: HashMany | None = None,
) -> int:
    """Claim and work through jobs until none is left; returns how many were worked on."""
    claim_for = timedelta(seconds=settings.job_claim_seconds)
    worked = 0
    while stop is None or not stop.is_set():
        with transactions(writes=True) as session:
            claimed = claim_next(session, now=now(), claim_for=claim_for)
        if claimed is None:
            return worked
        job_id, token = claimed
        worked += 1
        log.info("award job %s claimed", job_id)
        try:
            while stop is None or not stop.is_set():
                if not process_chunk(
                    transactions,
                    settings,
                    job_id=job_id,
                    token=token,
                    size=settings.job_chunk_size,
                    claim_for=claim_for,
                    now=now,
                    hash_many=hash_many,
                ):
                    break
        except Exception:
            # Logged without the data; the job is tried again when its claim expires, and
            # given up (for the coach to resume) after MAX_ATTEMPTS tries without progress.
            log.exception("award job %s: a chunk failed; it will be tried again", job_id)
            _note_failure(transactions, job_id, token)
            return worked
    return worked


def _note_failure(transactions: Transactions, job_id: int, token: str) -> None:
    try:
        with transactions(writes=True) as session:
            session.execute(
                update(AwardJob)
                .where(col(AwardJob.id) == job_id)
                .where(col(AwardJob.claim_token) == token)
                .values(
                    last_error=page_text(
                        "Something went wrong; the group award will be tried again shortly."
                    )
                )
                .execution_options(synchronize_session=False)
            )
    except Exception:
        log.exception("award job %s: could not note the failure", job_id)


class JobWorker:
    """A background thread of the web process that works through queued group awards.

    Every instance runs one; the database claims decide who works on what. `wake()` (after a
    coach queues a job) starts at once instead of at the next poll.
    """

    def __init__(self, transactions: Transactions, settings: Settings) -> None:
        self._transactions = transactions
        self._settings = settings
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._hashing = HashingPool(settings)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="award-jobs", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def warm(self) -> None:
        """A group award is probably coming (a coach opened its form): start the hashing
        workers now, so that its first chunk does not wait for them."""
        self._hashing.warm()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._hashing.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run_once(
                    self._transactions, self._settings, stop=self._stop, hash_many=self._hashing
                )
            except Exception:
                # The database may be unreachable for a while: try again at the next poll.
                log.exception("award jobs: could not look for work")
            self._wake.wait(self._settings.job_poll_seconds)
            self._wake.clear()
