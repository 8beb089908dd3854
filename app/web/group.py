"""Group award: one badge to several participants after a group session."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth.sessions import add_flash
from app.awards import queries
from app.awards.service import GroupMember, award_group
from app.deps import SessionDep, SettingsDep
from app.i18n import gettext as _
from app.models.base import utcnow
from app.participants import repository as participants_repo
from app.web.auth import StaffDep, client_ip
from app.web.csrf import verify_csrf
from app.web.forms import form_date
from app.web.templating import templates

router = APIRouter(include_in_schema=False)
MAX_NARRATIVE = 2000
MAX_SENTENCE = 500
MAX_MEMBERS = 60


@router.get("/coach/group-award", response_class=HTMLResponse)
def group_pick_badge(
    request: Request, staff: StaffDep, session: SessionDep, q: str = "", category: str = ""
) -> Response:
    """Group award, step 1: the badge."""
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
    status: int = 200,
) -> Response:
    return templates.TemplateResponse(
        request,
        "coach/group_form.html",
        {
            **queries.badge_context(session, slug),
            "participants": participants_repo.search(session, staff.org_id, "", limit=200),
            "values": values,
            "errors": errors,
            "idempotency_key": values.get("idempotency_key") or secrets.token_urlsafe(24),
        },
        status_code=status,
    )


@router.get("/coach/group-award/{slug}", response_class=HTMLResponse)
def group_form(slug: str, request: Request, staff: StaffDep, session: SessionDep) -> Response:
    """Group award, step 2: participants, criteria, shared narrative, a sentence per person."""
    return _form(
        request,
        session,
        staff,
        slug,
        values={"members": [], "criteria": [], "narrative": "", "sentences": {}},
        errors={},
    )


@router.post(
    "/coach/group-award/{slug}", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)]
)
def group_issue(
    slug: str,
    request: Request,
    staff: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str, Form(min_length=16, max_length=64)],
    members: Annotated[list[int] | None, Form()] = None,
    criteria: Annotated[list[str] | None, Form(max_length=100)] = None,
    narrative: Annotated[str, Form(max_length=20_000)] = "",
    sentence_for: Annotated[list[int] | None, Form()] = None,
    sentence: Annotated[list[str] | None, Form(max_length=5000)] = None,
    activity_start: Annotated[str, Form(max_length=20)] = "",
    activity_end: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Issue the badge to every chosen participant, all or none."""
    chosen = list(dict.fromkeys(members or []))
    sentences = dict(zip(sentence_for or [], sentence or [], strict=False))
    values: dict[str, Any] = {
        "members": chosen,
        "criteria": list(criteria or []),
        "narrative": narrative,
        "sentences": sentences,
        "activity_start": activity_start,
        "activity_end": activity_end,
        "idempotency_key": idempotency_key,
    }
    errors: dict[str, str] = {}
    _badge, _version, definition = queries.current_badge(session, slug)
    if not chosen:
        errors["members"] = _("Choose at least one participant.")
    elif len(chosen) > MAX_MEMBERS:
        errors["members"] = _("At most {n} participants at a time.").format(n=MAX_MEMBERS)
    for pid in chosen:
        participants_repo.get_for_org(session, staff.org_id, pid)  # 404 for others' people
    if [c.id for c in definition.criteria if c.id not in values["criteria"]]:
        errors["criteria"] = _("Confirm every criterion as observed before awarding.")
    if not narrative.strip():
        errors["narrative"] = _("Describe briefly what the group did, where and when.")
    elif len(narrative.strip()) > MAX_NARRATIVE:
        errors["narrative"] = _("The description can have at most {n} characters.").format(
            n=MAX_NARRATIVE
        )
    if any(len(sentences.get(pid, "")) > MAX_SENTENCE for pid in chosen):
        errors["sentences"] = _("A personal sentence can have at most {n} characters.").format(
            n=MAX_SENTENCE
        )
    start = form_date(activity_start, errors, "activity_start")
    end = form_date(activity_end, errors, "activity_end")
    if start and end and end < start:
        errors["activity_end"] = _("The activity cannot end before it starts.")
    if start and start > utcnow().date():
        errors["activity_start"] = _("The activity dates cannot be in the future.")
    if errors:
        return _form(request, session, staff, slug, values=values, errors=errors, status=422)
    issued = award_group(
        session,
        settings,
        coach=staff.user,
        badge_slug=slug,
        criteria_observed=values["criteria"],
        narrative=narrative,
        members=[GroupMember(pid, sentences.get(pid, "")) for pid in chosen],
        idempotency_key=f"group:{idempotency_key}",
        activity_start=start,
        activity_end=end,
        now=utcnow(),
        ip_address=client_ip(request),
    )
    add_flash(staff.row, "Badge awarded to {n} participants.", n=len(issued))
    session.add(staff.row)
    return RedirectResponse("/coach", status_code=303)
