"""HTML pages that are not part of the JSON API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> RedirectResponse:
    """Browsers ask for /favicon.ico on their own; the icon is an SVG among the static files."""
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """The front page: what the service is and where to go."""
    return templates.TemplateResponse(request, "public/home.html", {})


@router.get("/privacy", response_class=HTMLResponse)
def privacy(request: Request) -> HTMLResponse:
    """What the service keeps about a participant, who sees it, and her rights."""
    return templates.TemplateResponse(request, "public/privacy.html", {})


@router.get("/terms", response_class=HTMLResponse)
def terms(request: Request) -> HTMLResponse:
    """The terms of use (the Open Badges 3.0 service description names this page)."""
    return templates.TemplateResponse(request, "public/terms.html", {})
