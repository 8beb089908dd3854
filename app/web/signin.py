"""Sign-in, sign-out, "switch coach" and the language switch."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth.service import LockedOut, SignInFailed, Throttle, sign_in
from app.auth.sessions import create_session, end_session, resolve_session
from app.deps import SessionDep, SettingsDep
from app.i18n import LANGUAGES
from app.models.base import utcnow
from app.web.auth import SESSION_COOKIE, client_ip
from app.web.csrf import verify_csrf
from app.web.forms import FORM_TEXT_BOUND
from app.web.middleware import LANG_COOKIE, YEAR
from app.web.templating import templates

router = APIRouter(include_in_schema=False)


def safe_next(value: str | None, default: str = "/coach") -> str:
    """Only local paths: never an open redirect to another site."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return default


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    next: str | None = None,
    idle: int = 0,
    switched: int = 0,
) -> Response:
    """The sign-in form (already signed-in users go on to their page)."""
    resolved = resolve_session(
        session,
        request.cookies.get(SESSION_COOKIE),
        now=utcnow(),
        idle=timedelta(minutes=settings.session_idle_minutes),
    ).resolved
    if resolved is not None and resolved.user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return templates.TemplateResponse(
        request,
        "auth/login.html",
        {"next": safe_next(next), "idle": bool(idle), "switched": bool(switched), "email": ""},
    )


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)])
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=FORM_TEXT_BOUND)] = "",
    password: Annotated[str, Form(max_length=FORM_TEXT_BOUND)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/coach",
) -> Response:
    """Check the password; on success start a fresh session (never reuse a cookie)."""
    now = utcnow()
    context = {"next": safe_next(next), "email": email, "idle": False, "switched": False}
    try:
        user = sign_in(
            session,
            email=email,
            password=password,
            ip_address=client_ip(request),
            throttle=Throttle(
                settings.login_max_failures, timedelta(minutes=settings.login_lockout_minutes)
            ),
            now=now,
        )
    except LockedOut as exc:
        # Returned, not raised: the failed attempt and its audit event must be committed.
        return templates.TemplateResponse(
            request,
            "auth/login.html",
            {**context, "locked_minutes": exc.minutes},
            429,
            headers={"Retry-After": str(exc.minutes * 60)},
        )
    except SignInFailed:
        return templates.TemplateResponse(
            request, "auth/login.html", {**context, "failed": True}, 401
        )
    end_session(session, request.cookies.get(SESSION_COOKIE))
    assert user.id is not None
    token = create_session(
        session, now=now, max_age=timedelta(hours=settings.session_max_hours), user_id=user.id
    )
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )
    return response


@router.post("/logout", dependencies=[Depends(verify_csrf)])
def logout(
    request: Request,
    session: SessionDep,
    switch: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Sign out (the session row is deleted); "switch coach" goes straight to sign-in."""
    end_session(session, request.cookies.get(SESSION_COOKIE))
    target = "/login?switched=1" if switch else "/login"
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def set_language(code: str, settings: SettingsDep, next: str | None = None) -> Response:
    """Remember the chosen language and go back to the page."""
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=YEAR,
            secure=settings.secure_cookies,
            samesite="lax",
            path="/",
        )
    return response
