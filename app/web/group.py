"""Group award: one badge to up to 2,500 participants after a group session.

The form queues a job (app/awards/jobs.py) and the coach follows its progress on the job's
page; the rules are the awards service's.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from app.awards import jobs, queries
from app.awards.members import MAX_LIST_BYTES, MemberListInvalid, decode_list, parse_members
from app.awards.service import (
    MAX_GROUP,
    MAX_SENTENCE,
    AwardInputInvalid,
    AwardPlan,
    GroupMember,
    check_award,
    check_group,
)
from app.catalog.schemas import Badge
from app.deps import SessionDep
from app.errors import AppError
from app.models import BadgeDefinition, BadgeVersion
from app.models.base import utcnow
from app.participants import repository as participants_repo
from app.web.auth import StaffDep, client_ip
from app.web.csrf import verify_csrf
from app.web.forms import error_text, error_texts, form_date
from app.web.templating import templates

router = APIRouter(include_in_schema=False)
CSRF = [Depends(verify_csrf)]
# People listed with a tick box on the form (folded away when there are more than
# FOLD_AFTER); a bigger group comes as a list.
LISTED = 200
FOLD_AFTER = 60


@router.get("/coach/group-award", response_class=HTMLResponse)
def group_pick_badge(
    request: Request, staff: StaffDep, session: SessionDep, q: str = "", category: str = ""
) -> Response:
    """Group award, step 1: the badge (and the latest group awards)."""
    return templates.TemplateResponse(
        request,
        "coach/group_badge.html",
        {
            "groups": queries.badge_choices(
                session, earned=set(), query=q[:100], category=category
            ),
            "categories": queries.badge_choices(session, earned=set()),
            "q": q,
            "category": category,
            "recent": jobs.recent_jobs(session, staff.org_id),
        },
    )


def _form(
    request: Request,
    session: SessionDep,
    staff: StaffDep,
    slug: str,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    rows: list[tuple[int, str]] | None = None,
    status: int = 200,
) -> Response:
    participants = participants_repo.search(session, staff.org_id, "", limit=LISTED + 1)
    return templates.TemplateResponse(
        request,
        "coach/group_form.html",
        {
            **queries.badge_context(session, slug),
            "participants": participants[:LISTED],
            "more_than_listed": len(participants) > LISTED,
            "fold": len(participants) > FOLD_AFTER and not values["members"],
            "values": values,
            "errors": errors,
            "rows": rows or [],
            "max_group": MAX_GROUP,
            "max_sentence": MAX_SENTENCE,
            "idempotency_key": values.get("idempotency_key") or secrets.token_urlsafe(24),
        },
        status_code=status,
    )


@router.get("/coach/group-award/{slug}", response_class=HTMLResponse)
def group_form(slug: str, request: Request, staff: StaffDep, session: SessionDep) -> Response:
    """Group award, step 2: participants, criteria, shared narrative, a sentence per person."""
    page = _form(
        request,
        session,
        staff,
        slug,
        values={
            "members": [],
            "criteria": [],
            "narrative": "",
            "sentences": {},
            "members_list": "",
        },
        errors={},
    )
    worker = request.app.state.job_worker
    if worker is not None:
        # The hashing workers start while the coach fills in the form (after the answer).
        page.background = BackgroundTask(worker.warm)
    return page


@router.post("/coach/group-award/{slug}", response_class=HTMLResponse, dependencies=CSRF)
def group_issue(
    slug: str,
    request: Request,
    staff: StaffDep,
    session: SessionDep,
    idempotency_key: Annotated[str, Form(min_length=16, max_length=64)],
    members: Annotated[list[int] | None, Form()] = None,
    criteria: Annotated[list[str] | None, Form(max_length=100)] = None,
    narrative: Annotated[str, Form(max_length=20_000)] = "",
    sentence_for: Annotated[list[int] | None, Form()] = None,
    sentence: Annotated[list[str] | None, Form(max_length=5000)] = None,
    members_list: Annotated[str, Form(max_length=MAX_LIST_BYTES)] = "",
    members_csv: Annotated[UploadFile | None, File()] = None,
    activity_start: Annotated[str, Form(max_length=20)] = "",
    activity_end: Annotated[str, Form(max_length=20)] = "",
    confirmed: Annotated[str, Form(max_length=5)] = "",
    change: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Check the form, show it for review (who gets what), and on confirmation queue the
    badge for every chosen or listed participant and show the job's progress."""
    chosen = list(dict.fromkeys(members or []))
    sentences = dict(zip(sentence_for or [], sentence or [], strict=False))
    errors: dict[str, str] = {}
    rows: list[tuple[int, str]] = []
    if members_csv is not None and members_csv.filename:
        try:
            # The file's rows go into the list field, so that a row to correct can be
            # corrected there without choosing the file again.
            members_list = decode_list(members_csv.file.read(MAX_LIST_BYTES + 1))
        except AppError as exc:
            errors["members_list"] = error_text(exc)
    values: dict[str, Any] = {
        "members": chosen,
        "criteria": list(criteria or []),
        "narrative": narrative,
        "sentences": sentences,
        "members_list": members_list,
        "activity_start": activity_start,
        "activity_end": activity_end,
        "idempotency_key": idempotency_key,
    }
    # Another organization's people are missing here, before anything else is said.
    jobs.require_participants(session, staff.org_id, chosen)
    group = [GroupMember(pid, sentences.get(pid, "")) for pid in chosen]
    if members_list.strip() and "members_list" not in errors:
        try:
            listed = parse_members(session, staff.org_id, members_list)
            group += [m for m in listed if m.participant_id not in set(chosen)]
        except MemberListInvalid as exc:
            errors["members_list"] = error_text(exc)
            rows = [(p.row, error_text(p.error)) for p in exc.problems]
        except AppError as exc:
            errors["members_list"] = error_text(exc)
    if "members_list" not in errors:
        errors.update(error_texts(check_group(group)))
    start = form_date(activity_start, errors, "activity_start")
    end = form_date(activity_end, errors, "activity_end")
    plan = None
    try:
        plan = check_award(
            session,
            badge_slug=slug,
            criteria_observed=values["criteria"],
            narrative=narrative,
            activity_start=start,
            activity_end=end,
            today=utcnow().date(),
            group=True,
        )
    except AwardInputInvalid as exc:
        errors.update(error_texts(exc.errors))
    if errors or plan is None:
        return _form(
            request, session, staff, slug, values=values, errors=errors, rows=rows, status=422
        )
    if change == "1":  # back from the review, everything kept
        return _form(request, session, staff, slug, values=values, errors={})
    if confirmed != "1":
        return _review(request, session, staff, slug, values=values, plan=plan, group=group)
    job = jobs.create_job(
        session,
        coach=staff.user,
        plan=plan,
        members=group,
        idempotency_key=f"group:{idempotency_key}",
        now=utcnow(),
        ip_address=client_ip(request),
    )
    worker = request.app.state.job_worker
    # After the commit (which comes before the response), so this instance starts at once.
    return RedirectResponse(
        f"/coach/group-award/jobs/{job.public_id}",
        status_code=303,
        background=BackgroundTask(worker.wake) if worker is not None else None,
    )


# People named on the review page; a larger group is counted, and the rest summed up.
REVIEW_NAMES = 60


def _review(
    request: Request,
    session: SessionDep,
    staff: StaffDep,
    slug: str,
    *,
    values: dict[str, Any],
    plan: AwardPlan,
    group: list[GroupMember],
) -> Response:
    """The group award before it is issued: the badge, what was observed, who gets it (with
    their sentences), and the form's values carried on for "issue" or "change"."""
    shown = group[:REVIEW_NAMES]
    names = participants_repo.names_for_org(
        session, staff.org_id, [m.participant_id for m in shown]
    )
    return templates.TemplateResponse(
        request,
        "coach/group_confirm.html",
        {
            **queries.badge_context(session, slug),
            "plan": plan,
            "values": values,
            "people": [(names.get(m.participant_id, ""), m.sentence) for m in shown],
            "total": len(group),
            "more": len(group) - len(shown),
        },
        headers={"Cache-Control": "no-store"},
    )


def _badge_name(session: SessionDep, version_id: int) -> tuple[BadgeDefinition, Badge]:
    version = session.get(BadgeVersion, version_id)
    assert version is not None
    badge = session.get(BadgeDefinition, version.badge_id)
    assert badge is not None
    return badge, Badge.model_validate(version.definition)


@router.get("/coach/group-award/jobs/{job_id}", response_class=HTMLResponse)
def job_page(job_id: str, request: Request, staff: StaffDep, session: SessionDep) -> Response:
    """The group award's progress, then what happened for each person."""
    job = jobs.job_for(session, staff.org_id, job_id)
    badge, definition = _badge_name(session, job.badge_version_id)
    return templates.TemplateResponse(
        request,
        "coach/group_job.html",
        {
            "job": job,
            "progress": jobs.progress_of(job),
            "badge": badge,
            "definition": definition,
            "items": jobs.job_items(session, job),
        },
    )


@router.get("/coach/group-award/jobs/{job_id}/progress")
def job_progress(job_id: str, staff: StaffDep, session: SessionDep) -> JSONResponse:
    """The job's progress as JSON (for scripts, and a page that wants to poll)."""
    job = jobs.job_for(session, staff.org_id, job_id)
    return JSONResponse(jobs.progress_of(job).as_json())


@router.post("/coach/group-award/jobs/{job_id}/resume", dependencies=CSRF)
def job_resume(job_id: str, request: Request, staff: StaffDep, session: SessionDep) -> Response:
    """Start a group award that was given up again, for the people still waiting."""
    job = jobs.job_for(session, staff.org_id, job_id)
    assert staff.user.id is not None
    jobs.resume(session, job, actor_user_id=staff.user.id, now=utcnow())
    worker = request.app.state.job_worker
    return RedirectResponse(
        f"/coach/group-award/jobs/{job.public_id}",
        status_code=303,
        background=BackgroundTask(worker.wake) if worker is not None else None,
    )
