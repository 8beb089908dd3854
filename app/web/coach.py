"""The coach's pages: dashboard, participants and the award flow.

Every object is looked up within the signed-in user's organization (404 otherwise).
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from app.auth.sessions import add_flash
from app.awards import jobs, queries
from app.awards.photos import add_to_badge, pending_photo, photo_for_org, store_photo
from app.awards.service import (
    AwardInputInvalid,
    AwardRequest,
    award_badge,
    check_award,
    check_correction,
    check_revocation,
    correct_award,
)
from app.credentials.service import revoke_credential
from app.deps import SessionDep, SettingsDep, writes_on_get
from app.errors import AppError, ValidationFailed
from app.i18n import gettext as _
from app.models import Participant
from app.models.base import utcnow
from app.participants import repository as participants_repo
from app.participants.service import create_participant, update_participant
from app.passport.service import SIGN_IN_TTL, issue_sign_in_token, sign_in_url
from app.sharing.qr import qr_svg
from app.wallets import service as wallets
from app.web.auth import StaffDep, client_ip
from app.web.csrf import verify_csrf
from app.web.forms import FORM_TEXT_BOUND, error_text, error_texts, form_date
from app.web.templating import templates
from app.web.wallet import offer_qr

router = APIRouter(include_in_schema=False)
CSRF = [Depends(verify_csrf)]


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/coach", response_class=HTMLResponse)
def dashboard(request: Request, staff: StaffDep, session: SessionDep) -> Response:
    """Start page: quick award, recent participants."""
    recent = participants_repo.recent(session, staff.org_id)
    return templates.TemplateResponse(request, "coach/dashboard.html", {"recent": recent})


# --- participants --------------------------------------------------------------------------


@router.get("/coach/participants", response_class=HTMLResponse)
def participants(request: Request, staff: StaffDep, session: SessionDep, q: str = "") -> Response:
    """Search the organization's participants."""
    found = participants_repo.search(session, staff.org_id, q[:100])
    return templates.TemplateResponse(
        request, "coach/participants.html", {"participants": found, "q": q}
    )


def _participant_form(
    request: Request,
    *,
    participant: Participant | None,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    return templates.TemplateResponse(
        request,
        "coach/participant_form.html",
        {"participant": participant, "values": values, "errors": errors},
        status_code=status,
    )


@router.get("/coach/participants/new", response_class=HTMLResponse)
def new_participant(request: Request, staff: StaffDep) -> Response:
    return _participant_form(request, participant=None, values={}, errors={})


class ParticipantFields:
    def __init__(
        self,
        # Generous bounds: the participants service checks the real limits and its errors
        # are shown on the form with what was typed (a bound here would be a bare 422).
        display_name: Annotated[str, Form(max_length=FORM_TEXT_BOUND)] = "",
        email: Annotated[str, Form(max_length=FORM_TEXT_BOUND)] = "",
        period_start: Annotated[str, Form(max_length=20)] = "",
        period_end: Annotated[str, Form(max_length=20)] = "",
    ) -> None:
        self.values = {
            "display_name": display_name,
            "email": email,
            "period_start": period_start,
            "period_end": period_end,
        }


@router.post("/coach/participants/new", response_class=HTMLResponse, dependencies=CSRF)
def create_participant_page(
    request: Request,
    staff: StaffDep,
    session: SessionDep,
    fields: Annotated[ParticipantFields, Depends()],
) -> Response:
    """Add a participant with the least data that works."""
    errors: dict[str, str] = {}
    values = fields.values
    start = form_date(values["period_start"], errors, "period_start")
    end = form_date(values["period_end"], errors, "period_end")
    if not errors:
        try:
            with session.begin_nested():
                participant = create_participant(
                    session,
                    organization=staff.organization,
                    display_name=values["display_name"],
                    email=values["email"] or None,
                    period_start=start,
                    period_end=end,
                    created_by_id=staff.user.id,
                )
        except ValidationFailed as exc:
            errors["form"] = error_text(exc)
        else:
            add_flash(staff.row, "Participant added.")
            session.add(staff.row)
            return _redirect(f"/coach/participants/{participant.id}")
    return _participant_form(request, participant=None, values=values, errors=errors, status=422)


@router.get("/coach/participants/{participant_id}", response_class=HTMLResponse)
def participant_page(
    participant_id: int, request: Request, staff: StaffDep, session: SessionDep
) -> Response:
    """A participant's badges (revoked ones marked) and actions."""
    participant = participants_repo.get_for_org(session, staff.org_id, participant_id)
    return templates.TemplateResponse(
        request,
        "coach/participant.html",
        {
            "participant": participant,
            "badges": queries.participant_badges(session, participant_id),
        },
    )


@router.get("/coach/participants/{participant_id}/edit", response_class=HTMLResponse)
def edit_participant(
    participant_id: int, request: Request, staff: StaffDep, session: SessionDep
) -> Response:
    participant = participants_repo.get_for_org(session, staff.org_id, participant_id)
    values = {
        "display_name": participant.display_name,
        "email": participant.email or "",
        "period_start": participant.period_start.isoformat() if participant.period_start else "",
        "period_end": participant.period_end.isoformat() if participant.period_end else "",
    }
    return _participant_form(request, participant=participant, values=values, errors={})


@router.post(
    "/coach/participants/{participant_id}/edit", response_class=HTMLResponse, dependencies=CSRF
)
def update_participant_page(
    participant_id: int,
    request: Request,
    staff: StaffDep,
    session: SessionDep,
    fields: Annotated[ParticipantFields, Depends()],
) -> Response:
    participant = participants_repo.get_for_org(session, staff.org_id, participant_id)
    errors: dict[str, str] = {}
    values = fields.values
    start = form_date(values["period_start"], errors, "period_start")
    end = form_date(values["period_end"], errors, "period_end")
    if not errors:
        try:
            with session.begin_nested():
                update_participant(
                    session,
                    participant=participant,
                    display_name=values["display_name"],
                    email=values["email"] or None,
                    period_start=start,
                    period_end=end,
                    actor_user_id=staff.user.id,
                    now=utcnow(),
                )
        except ValidationFailed as exc:
            session.refresh(participant)
            errors["form"] = error_text(exc)
        else:
            add_flash(staff.row, "Changes saved.")
            session.add(staff.row)
            return _redirect(f"/coach/participants/{participant_id}")
    return _participant_form(
        request, participant=participant, values=values, errors=errors, status=422
    )


# --- the award flow ------------------------------------------------------------------------


@router.get("/coach/award", response_class=HTMLResponse)
def award_pick_participant(
    request: Request, staff: StaffDep, session: SessionDep, q: str = ""
) -> Response:
    """Step 1: pick a participant (search or recent)."""
    found = participants_repo.search(session, staff.org_id, q[:100]) if q.strip() else []
    return templates.TemplateResponse(
        request,
        "coach/award_participant.html",
        {"q": q, "found": found, "recent": participants_repo.recent(session, staff.org_id)},
    )


def _replaces(session: SessionDep, staff: StaffDep, replaces: str, participant_id: int) -> Any:
    """The credential a correction replaces (of this participant and organization)."""
    if not replaces:
        return None
    earned = queries.credential_detail(session, staff.org_id, replaces)
    if earned.award.participant_id != participant_id:
        raise ValidationFailed("A correction is for the same participant.")
    return earned


@router.get("/coach/award/{participant_id}", response_class=HTMLResponse)
def award_pick_badge(
    participant_id: int,
    request: Request,
    staff: StaffDep,
    session: SessionDep,
    q: str = "",
    category: str = "",
    replaces: str = "",
) -> Response:
    """Step 2: pick a badge by category, pathway and level, or search."""
    participant = participants_repo.get_for_org(session, staff.org_id, participant_id)
    earned = queries.earned_slugs(session, participant_id)
    groups = queries.badge_choices(session, earned=earned, query=q[:100], category=category)
    next_steps = [
        choice
        for group in queries.badge_choices(session, earned=earned)
        for pathway in group.pathways
        for choice in pathway.badges
        if choice.is_next
    ]
    return templates.TemplateResponse(
        request,
        "coach/award_badge.html",
        {
            "participant": participant,
            "groups": groups,
            "next_steps": next_steps,
            "q": q,
            "category": category,
            "categories": queries.badge_choices(session, earned=set()),
            "replaces": _replaces(session, staff, replaces, participant_id),
        },
    )


def _award_form(
    request: Request,
    session: SessionDep,
    staff: StaffDep,
    participant: Participant,
    slug: str,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    replaces: Any,
    status: int = 200,
) -> Response:
    return templates.TemplateResponse(
        request,
        "coach/award_form.html",
        {
            **queries.badge_context(session, slug),
            "participant": participant,
            "values": values,
            "errors": errors,
            "replaces": replaces,
            "photo_max_mb": request.app.state.settings.photo_max_bytes // (1024 * 1024),
        },
        status_code=status,
    )


@router.get("/coach/award/{participant_id}/{slug}", response_class=HTMLResponse)
def award_form(
    participant_id: int,
    slug: str,
    request: Request,
    staff: StaffDep,
    session: SessionDep,
    replaces: str = "",
) -> Response:
    """Steps 3 and 4: confirm each criterion as observed, describe the evidence."""
    participant = participants_repo.get_for_org(session, staff.org_id, participant_id)
    earned = _replaces(session, staff, replaces, participant_id)
    values: dict[str, Any] = {"criteria": [], "narrative": ""}
    if earned is not None:
        values["narrative"] = earned.award.narrative
    return _award_form(
        request, session, staff, participant, slug, values=values, errors={}, replaces=earned
    )


class AwardFields:
    def __init__(
        self,
        criteria: Annotated[list[str] | None, Form(max_length=100)] = None,
        narrative: Annotated[str, Form(max_length=20_000)] = "",
        activity_start: Annotated[str, Form(max_length=20)] = "",
        activity_end: Annotated[str, Form(max_length=20)] = "",
        photo_id: Annotated[str, Form(max_length=36)] = "",
        replaces: Annotated[str, Form(max_length=36)] = "",
        reason: Annotated[str, Form(max_length=FORM_TEXT_BOUND)] = "",
    ) -> None:
        self.values: dict[str, Any] = {
            "criteria": list(criteria or []),
            "narrative": narrative,
            "activity_start": activity_start,
            "activity_end": activity_end,
            "photo_id": photo_id,
            "replaces": replaces,
            "reason": reason,
        }


def _validate_award(
    session: SessionDep,
    staff: StaffDep,
    participant: Participant,
    slug: str,
    values: dict[str, Any],
) -> tuple[dict[str, str], date | None, date | None]:
    """Check the form by the awards service's rules before the summary (the service checks
    again when issuing); returns the errors by field and the activity dates."""
    errors: dict[str, str] = {}
    start = form_date(values["activity_start"], errors, "activity_start")
    end = form_date(values["activity_end"], errors, "activity_end")
    try:
        check_award(
            session,
            badge_slug=slug,
            criteria_observed=values["criteria"],
            narrative=values["narrative"],
            activity_start=start,
            activity_end=end,
            today=utcnow().date(),
        )
    except AwardInputInvalid as exc:
        errors.update(error_texts(exc.errors))
    if values["replaces"]:
        errors.update(error_texts(check_correction(values["reason"])))
    if values["photo_id"]:
        assert participant.id is not None
        pending_photo(session, staff.org_id, participant.id, values["photo_id"])
    return errors, start, end


@router.post(
    "/coach/award/{participant_id}/{slug}/review", response_class=HTMLResponse, dependencies=CSRF
)
def award_review(
    participant_id: int,
    slug: str,
    request: Request,
    staff: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
    fields: Annotated[AwardFields, Depends()],
    photo: Annotated[UploadFile | None, File()] = None,
    edit: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Step 5a: check the entries and show a summary to confirm (or the form with errors)."""
    participant = participants_repo.get_for_org(session, staff.org_id, participant_id)
    values = fields.values
    replaces = _replaces(session, staff, values["replaces"], participant_id)
    errors: dict[str, str] = {}
    if photo is not None and photo.filename:
        data = photo.file.read(settings.photo_max_bytes + 1)
        assert staff.user.id is not None
        try:
            with session.begin_nested():
                stored = store_photo(
                    session,
                    participant=participant,
                    uploaded_by_id=staff.user.id,
                    data=data,
                    max_bytes=settings.photo_max_bytes,
                    now=utcnow(),
                )
            values["photo_id"] = stored.public_id
        except AppError as exc:
            errors["photo"] = error_text(exc)
    if edit:
        return _award_form(
            request,
            session,
            staff,
            participant,
            slug,
            values=values,
            errors={},
            replaces=replaces,
        )
    errors.update(_validate_award(session, staff, participant, slug, values)[0])
    if errors:
        return _award_form(
            request,
            session,
            staff,
            participant,
            slug,
            values=values,
            errors=errors,
            replaces=replaces,
            status=422,
        )
    return templates.TemplateResponse(
        request,
        "coach/award_confirm.html",
        {
            **queries.badge_context(session, slug),
            "participant": participant,
            "values": values,
            "replaces": replaces,
            # A new key per summary: tapping "issue" twice, or resending, issues once.
            "idempotency_key": secrets.token_urlsafe(24),
        },
    )


@router.post(
    "/coach/award/{participant_id}/{slug}/issue", response_class=HTMLResponse, dependencies=CSRF
)
def award_issue(
    participant_id: int,
    slug: str,
    request: Request,
    staff: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
    fields: Annotated[AwardFields, Depends()],
    idempotency_key: Annotated[str, Form(min_length=16, max_length=64)],
) -> Response:
    """Step 5b: issue the credential (both proof forms) and show the QR code."""
    participant = participants_repo.get_for_org(session, staff.org_id, participant_id)
    values = fields.values
    replaces = _replaces(session, staff, values["replaces"], participant_id)
    errors, start, end = _validate_award(session, staff, participant, slug, values)
    if errors:
        return _award_form(
            request,
            session,
            staff,
            participant,
            slug,
            values=values,
            errors=errors,
            replaces=replaces,
            status=422,
        )
    award_request = AwardRequest(
        participant_id=participant_id,
        badge_slug=slug,
        criteria_observed=values["criteria"],
        narrative=values["narrative"],
        idempotency_key=f"web:{idempotency_key}",
        activity_start=start,
        activity_end=end,
        photo_public_id=values["photo_id"] or None,
    )
    now = utcnow()
    if replaces is not None and replaces.credential.replaced_by_id is None:
        _award, credential = correct_award(
            session,
            settings,
            coach=staff.user,
            credential=replaces.credential,
            request=award_request,
            reason=values["reason"],
            now=now,
            ip_address=client_ip(request),
        )
    else:
        _award, credential = award_badge(
            session,
            settings,
            coach=staff.user,
            request=award_request,
            now=now,
            ip_address=client_ip(request),
        )
    return _redirect(f"/coach/credentials/{credential.public_id}/issued")


# --- one credential ------------------------------------------------------------------------


@router.get("/coach/credentials/{public_id}", response_class=HTMLResponse)
def credential_page(
    public_id: str, request: Request, staff: StaffDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """What was awarded, with a photo of the work to add, revoke and correct."""
    earned = queries.credential_detail(session, staff.org_id, public_id)
    participant = participants_repo.get_for_org(session, staff.org_id, earned.award.participant_id)
    return templates.TemplateResponse(
        request,
        "coach/credential.html",
        {
            "earned": earned,
            "participant": participant,
            "errors": {},
            "values": {},
            "photo_max_mb": settings.photo_max_bytes // (1024 * 1024),
        },
    )


@router.get("/coach/credentials/{public_id}/issued", response_class=HTMLResponse)
@writes_on_get
def issued_page(
    public_id: str,
    request: Request,
    staff: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Step 5c: done. A big QR code opens the participant's passport on their phone."""
    earned = queries.credential_detail(session, staff.org_id, public_id)
    participant = participants_repo.get_for_org(session, staff.org_id, earned.award.participant_id)
    assert participant.id is not None
    # A fresh one-time link on every view: it works once, for a quarter of an hour, so a
    # photo of the screen or a reload later gives nobody lasting access.
    token = issue_sign_in_token(
        session,
        coach=staff.user,
        participant_id=participant.id,
        now=utcnow(),
        ip_address=client_ip(request),
    )
    link = sign_in_url(settings, token)
    # Likewise a fresh offer to the participant's wallet app, for the participant's phone.
    wallet = None
    if not earned.is_revoked:
        wallet = wallets.offer_badge(
            session,
            settings,
            credential=earned.credential,
            participant=participant,
            made_by="coach",
            actor_user_id=staff.user.id,
            now=utcnow(),
        )
    return templates.TemplateResponse(
        request,
        "coach/issued.html",
        {
            "earned": earned,
            "participant": participant,
            # qr_svg builds the SVG itself and escapes the only text in it (the title).
            "qr": Markup(qr_svg(link, title=_("QR code: open your passport"))),  # noqa: S704
            "wallet_qr": Markup(offer_qr(wallet)) if wallet else None,  # noqa: S704
            "minutes": int(SIGN_IN_TTL.total_seconds() // 60),
        },
        headers={"Cache-Control": "no-store"},
    )


@router.post(
    "/coach/credentials/{public_id}/revoke", response_class=HTMLResponse, dependencies=CSRF
)
def revoke_page(
    public_id: str,
    request: Request,
    staff: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
    reason: Annotated[str, Form(max_length=FORM_TEXT_BOUND)] = "",
    confirmed: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Revoke with a reason (kept internally), after a confirmation page that says what it
    means; the status list changes at once."""
    earned = queries.credential_detail(session, staff.org_id, public_id)
    participant = participants_repo.get_for_org(session, staff.org_id, earned.award.participant_id)
    errors = check_revocation(reason, already_revoked=earned.is_revoked)
    if errors:
        return templates.TemplateResponse(
            request,
            "coach/credential.html",
            {
                "earned": earned,
                "participant": participant,
                "errors": error_texts(errors),
                "values": {"reason": reason},
            },
            status_code=422,
        )
    if confirmed != "1":
        return templates.TemplateResponse(
            request,
            "coach/revoke_confirm.html",
            {"earned": earned, "participant": participant, "reason": reason},
            headers={"Cache-Control": "no-store"},
        )
    revoke_credential(
        session,
        settings,
        credential=earned.credential,
        reason=reason,
        actor_user_id=staff.user.id,
        now=utcnow(),
    )
    add_flash(staff.row, "Badge revoked.")
    session.add(staff.row)
    return _redirect(f"/coach/participants/{participant.id}")


@router.post("/coach/credentials/{public_id}/photo", response_class=HTMLResponse, dependencies=CSRF)
def add_photo(
    public_id: str,
    request: Request,
    staff: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
    photo: Annotated[UploadFile | None, File()] = None,
    job: Annotated[str, Form(max_length=36)] = "",
) -> Response:
    """A photo of the work for a badge already issued (the results of a group award list a
    button per person). Back to the group award's results when it came from there."""
    earned = queries.credential_detail(session, staff.org_id, public_id)
    participant = participants_repo.get_for_org(session, staff.org_id, earned.award.participant_id)
    back = f"/coach/credentials/{public_id}"
    if job:
        # Only a job of this organization, by its id: never an address from the form.
        back = f"/coach/group-award/jobs/{jobs.job_for(session, staff.org_id, job).public_id}"
    error: AppError
    if photo is None or not photo.filename:
        error = ValidationFailed("Choose a photo or take one.")
    else:
        assert staff.user.id is not None
        try:
            with session.begin_nested():
                add_to_badge(
                    session,
                    organization_id=staff.org_id,
                    credential_public_id=public_id,
                    uploaded_by_id=staff.user.id,
                    data=photo.file.read(settings.photo_max_bytes + 1),
                    max_bytes=settings.photo_max_bytes,
                    now=utcnow(),
                    ip_address=client_ip(request),
                )
        except AppError as exc:
            error = exc
        else:
            add_flash(staff.row, "Photo added. The participant decides whether it is shown.")
            session.add(staff.row)
            return _redirect(f"{back}#c-{public_id}")
    return templates.TemplateResponse(
        request,
        "coach/credential.html",
        {
            "earned": earned,
            "participant": participant,
            "errors": {"photo": error_text(error)},
            "values": {},
            "job": job,
            "photo_max_mb": settings.photo_max_bytes // (1024 * 1024),
        },
        status_code=error.status_code,
    )


@router.get("/coach/photos/{photo_id}")
def photo(photo_id: str, staff: StaffDep, session: SessionDep) -> Response:
    """An evidence photo, for the organization's own staff only."""
    row = photo_for_org(session, staff.org_id, photo_id)
    return Response(
        row.data,
        media_type=row.content_type,
        headers={"Cache-Control": "private, no-store"},
    )
