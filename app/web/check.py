"""The public "Check a badge" page (issue #16, Displayer): paste, upload or give the address
of any issuer's badge and see what it says and whether it is genuine. The rules are in
app/sharing/displayer.py; this is the form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from app.api.threads import in_network_thread
from app.deps import SessionFactoryDep, SettingsDep
from app.models.base import utcnow
from app.net.fetch import SafeFetcher
from app.sharing.displayer import MAX_GIVEN_BYTES, MAX_URL_CHARS, Given, GivenInvalid, given_view
from app.verification.service import fetch_policy
from app.web.csrf import verify_csrf
from app.web.forms import error_texts
from app.web.holder import limit_locally
from app.web.public import check_page
from app.web.templating import templates

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class GivenForm:
    """A badge given on a form, and what was typed, to keep on the form."""

    given: Given
    values: dict[str, str]


async def given_form(
    # Their limits are checked by check_given, which answers on the form.
    text: Annotated[str, Form()] = "",
    url: Annotated[str, Form()] = "",
    upload: Annotated[UploadFile | None, File()] = None,
) -> GivenForm:
    """The badge a form gave: "Check a badge", or another issuer's badge for the passport
    (app/web/passport.py). A file is read up to one byte past the limit, so that the form
    can say it is too large."""
    data = await upload.read(MAX_GIVEN_BYTES + 1) if upload is not None else b""
    return GivenForm(Given(text=text, upload=data, url=url), {"text": text, "url": url})


GivenFormDep = Annotated[GivenForm, Depends(given_form)]


async def limit_checks(request: Request) -> None:
    """A check may fetch from other hosts and costs a verification: each address may ask
    for RATE_LIMIT_ANONYMOUS a minute on each instance (abuse protection, like the share
    pages' working links: decision 0016)."""
    limit_locally(request, "check", request.app.state.settings.rate_limit_anonymous)


def _form(
    request: Request, values: dict[str, str], errors: dict[str, str], status: int
) -> Response:
    return templates.TemplateResponse(
        request,
        "public/check.html",
        {"values": values, "errors": errors, "max_url": MAX_URL_CHARS},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


@router.get("/check", response_class=HTMLResponse)
def check_form(request: Request) -> Response:
    """The form: paste the badge, choose its file, or give its address."""
    return _form(request, {"text": "", "url": ""}, {}, 200)


@router.post(
    "/check",
    response_class=HTMLResponse,
    dependencies=[Depends(verify_csrf), Depends(limit_checks)],
    # A pasted badge may be larger than a form field's usual 1 MiB: up to twice the limit
    # is read, so that the form can say the text is too long (check_given) instead of an
    # error page losing it.
    form_limits={"max_part_size": 2 * MAX_GIVEN_BYTES},
)
async def check_badge(
    request: Request, sessions: SessionFactoryDep, settings: SettingsDep, form: GivenFormDep
) -> Response:
    """The badge given, verified now and shown; what was typed is kept on the form."""
    given, values = form.given, form.values

    def work() -> Response:
        # Read-only: nothing given is stored, and a fetch from another host must not hold
        # a write lock.
        with sessions(read_only=True) as session:
            try:
                view = given_view(
                    session,
                    settings,
                    given,
                    now=utcnow(),
                    fetcher=SafeFetcher(fetch_policy(settings)),
                )
            except GivenInvalid as exc:
                return _form(request, values, error_texts(exc.errors), 422)
            return check_page(request, view, values)

    # The network threads: a fetch from another host may wait its whole time-out.
    return await in_network_thread(work)
