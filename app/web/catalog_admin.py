"""The admin's view of the catalog's qualification data: what is imported from ePerusteet and
what awaits import, and the changes `eperusteet sync` found, side by side, to confirm."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import col, select

from app.auth.sessions import add_flash
from app.catalog import updates
from app.catalog.repository import active_badge_versions
from app.deps import SessionDep
from app.errors import AppError
from app.models import Qualification, QualificationUnit
from app.models.base import utcnow
from app.web.auth import AdminDep
from app.web.csrf import verify_csrf
from app.web.forms import error_text
from app.web.templating import templates

router = APIRouter(include_in_schema=False)
CSRF = [Depends(verify_csrf)]


def _page(request: Request, session: SessionDep, error: str | None, status: int) -> Response:
    qualifications = session.exec(select(Qualification).order_by(col(Qualification.slug))).all()
    unit_counts: dict[int, int] = defaultdict(int)
    for unit in session.exec(
        select(QualificationUnit).where(QualificationUnit.status != "retired")
    ).all():
        unit_counts[unit.qualification_id] += 1
    badge_names = {b.slug: v.definition["name"] for b, v in active_badge_versions(session)}
    findings: dict[str, list[Any]] = defaultdict(list)
    confirmable: set[str] = set()
    for finding in updates.open_findings(session):
        if finding.kind == updates.UPDATE:
            confirmable.add(finding.qualification_slug)
        else:
            findings[finding.qualification_slug].append(finding)
    response = templates.TemplateResponse(
        request,
        "admin/catalog.html",
        {
            "qualifications": qualifications,
            "unit_counts": unit_counts,
            "findings": findings,
            "confirmable": confirmable,
            "badge_names": badge_names,
            "needing_a_look": updates.badges_needing_a_look(session),
            "error": error,
        },
        status_code=status,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@router.get("/admin/catalog", response_class=HTMLResponse)
def catalog_page(request: Request, staff: AdminDep, session: SessionDep) -> Response:
    """Qualifications and the ePerusteet changes that need a look."""
    return _page(request, session, None, 200)


@router.post("/admin/catalog/{slug}/confirm", response_class=HTMLResponse, dependencies=CSRF)
def confirm_page(slug: str, request: Request, staff: AdminDep, session: SessionDep) -> Response:
    """Apply the qualification's update: a new version of each badge it changes."""
    try:
        renewed = updates.confirm_update(
            session, slug=slug, actor_user_id=staff.user.id, now=utcnow()
        )
    except AppError as exc:
        session.rollback()
        return _page(request, session, error_text(exc), exc.status_code)
    add_flash(
        staff.row,
        "The update was confirmed. New badge versions: {badges}.",
        badges=", ".join(renewed) or "–",
    )
    return RedirectResponse("/admin/catalog", status_code=303)
