"""Staff pages about a participant's passport: the coach's personal passport link (with its
QR code and a printable card), and the admin's copy of a participant's data and erasure."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from app.auth.sessions import add_flash, end_participant_sessions
from app.deps import SessionDep, SettingsDep
from app.i18n import gettext as _
from app.models.base import utcnow
from app.participants import repository as participants_repo
from app.participants.privacy import erase_participant, export_participant_data
from app.passport import service as passport
from app.sharing.qr import qr_svg
from app.web.auth import AdminDep, StaffDep, client_ip
from app.web.csrf import verify_csrf
from app.web.forms import private_download
from app.web.templating import templates

router = APIRouter(include_in_schema=False)
CSRF = [Depends(verify_csrf)]


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


@router.get("/coach/participants/{participant_id}/passport-link", response_class=HTMLResponse)
def passport_link_page(
    participant_id: int, request: Request, staff: StaffDep, session: SessionDep
) -> Response:
    """Before making (or renewing) the personal link: what it is, what renewing does."""
    participant = participants_repo.get_for_org(session, staff.org_id, participant_id)
    return templates.TemplateResponse(
        request, "coach/passport_link.html", {"participant": participant}
    )


@router.post(
    "/coach/participants/{participant_id}/passport-link",
    response_class=HTMLResponse,
    dependencies=CSRF,
)
def make_passport_link(
    participant_id: int,
    request: Request,
    staff: StaffDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Make or renew the link (the old one stops working) and show it once as a QR code."""
    participant = participants_repo.get_for_org(session, staff.org_id, participant_id)
    renewed = participant.passport_token_hash is not None
    token = passport.issue_passport_token(
        session,
        coach=staff.user,
        participant_id=participant_id,
        now=utcnow(),
        ip_address=client_ip(request),
    )
    if renewed:
        # A renewed link usually means a lost phone or card: sessions opened with the old
        # link end too.
        end_participant_sessions(session, participant_id)
    url = passport.passport_url(settings, token)
    qr = Markup(qr_svg(url, title=_("QR code: link to the passport")))  # noqa: S704 (our own SVG, text escaped)
    return _no_store(
        templates.TemplateResponse(
            request,
            "coach/passport_link_made.html",
            {"participant": participant, "url": url, "qr": qr, "renewed": renewed},
        )
    )


@router.get("/admin/participants/{participant_id}/data", response_class=HTMLResponse)
def data_page(
    participant_id: int, request: Request, staff: AdminDep, session: SessionDep
) -> Response:
    """The participant's data rights, exercised by the admin on their behalf."""
    participant = participants_repo.get_for_org(session, staff.org_id, participant_id)
    return templates.TemplateResponse(
        request, "admin/participant_data.html", {"participant": participant, "errors": {}}
    )


@router.post("/admin/participants/{participant_id}/export", dependencies=CSRF)
def export_data(participant_id: int, staff: AdminDep, session: SessionDep) -> Response:
    """A copy of everything about the participant, as JSON (audit-logged by the service)."""
    participant = participants_repo.get_for_org(session, staff.org_id, participant_id)
    now = utcnow()
    data = export_participant_data(session, participant=participant, now=now)
    return private_download(
        json.dumps(data, ensure_ascii=False, indent=2).encode(),
        media_type="application/json",
        filename=f"participant-{participant.public_id[:8]}-{now:%Y-%m-%d}.json",
    )


@router.post(
    "/admin/participants/{participant_id}/erase", response_class=HTMLResponse, dependencies=CSRF
)
def erase(
    participant_id: int,
    request: Request,
    staff: AdminDep,
    session: SessionDep,
    settings: SettingsDep,
    confirm: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Erase the participant's data after the admin has ticked the confirmation."""
    participant = participants_repo.get_for_org(session, staff.org_id, participant_id)
    if confirm != "1":
        return templates.TemplateResponse(
            request,
            "admin/participant_data.html",
            {
                "participant": participant,
                "errors": {"confirm": _("Tick the box to confirm. Nothing was erased.")},
            },
            status_code=422,
        )
    erase_participant(
        session, settings, participant=participant, actor_user_id=staff.user.id, now=utcnow()
    )
    add_flash(staff.row, "The participant's data was erased.")
    session.add(staff.row)
    return RedirectResponse("/coach/participants", status_code=303)
