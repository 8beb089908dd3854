"""Check a badge (issue #16, the Open Badges Displayer role): a badge anyone gives, pasted as
text (JSON or a VC-JWT), as a file (JSON, JWT, baked PNG or SVG) or as an address, verified
with the service's verifier and shown as its own badge pages are.

Nothing given is stored. Another issuer's image is shown only when it is inside the
credential (a data: URL): fetching it would tell its host who looks at the badge. Of our own
badges, what the coach wrote is left out, as on a badge made public: the participant
chooses where it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.config import Settings
from app.credentials.keyresolver import our_did_prefix
from app.errors import AppError, NotFound, ValidationFailed, page_text
from app.net.fetch import Fetcher, FetchError, UrlNotAllowed
from app.sharing.view import PublicCredentialView, document_view
from app.vc.verify import VerificationResult, issuer_id
from app.verification.service import credential_at, verify
from app.verification.summary import catalog_index

# As the verification API: a credential file or text of at most 2 MiB.
MAX_GIVEN_BYTES = 2 * 1024 * 1024
MAX_URL_CHARS = 2000


@dataclass(frozen=True)
class Given:
    """What a visitor gave: pasted text, an uploaded file, or an address."""

    text: str = ""
    upload: bytes = b""
    url: str = ""


class GivenInvalid(ValidationFailed):
    """What was given cannot be checked: `errors` holds one error per form field (`text`,
    `upload`, `url`)."""

    def __init__(self, errors: dict[str, AppError]) -> None:
        first = next(iter(errors.values()))
        super().__init__(first.template, params=first.params)
        self.errors = errors


def check_given(given: Given, *, own_origin: str) -> None:
    """Exactly one way, within the limits.

    Raises:
        GivenInvalid: Nothing or more than one thing was given, or it is too large, or the
            address is not an https address (or one of this service's own, which in
            development is http).
    """
    given_ways = (
        ("text", given.text.strip()),
        ("upload", given.upload),
        ("url", given.url.strip()),
    )
    ways = [name for name, value in given_ways if value]
    if not ways:
        raise GivenInvalid(
            {
                "text": ValidationFailed(
                    page_text("Paste the badge, choose its file or give its address.")
                )
            }
        )
    if len(ways) > 1:
        raise GivenInvalid(
            {way: ValidationFailed(page_text("Give the badge in one way only.")) for way in ways}
        )
    errors: dict[str, AppError] = {}
    if len(given.text.encode("utf-8")) > MAX_GIVEN_BYTES:
        errors["text"] = ValidationFailed(page_text("The text is too long: at most 2 MB."))
    if len(given.upload) > MAX_GIVEN_BYTES:
        errors["upload"] = ValidationFailed(page_text("The file is too large: at most 2 MB."))
    url = given.url.strip()
    if len(url) > MAX_URL_CHARS:
        errors["url"] = ValidationFailed(
            page_text("The address is too long: at most 2,000 characters.")
        )
    elif url and not url.startswith(("https://", f"{own_origin}/")):
        errors["url"] = ValidationFailed(
            page_text("Give the badge's address in full, starting with https://.")
        )
    if errors:
        raise GivenInvalid(errors)


def given_view(
    session: Session, settings: Settings, given: Given, *, now: datetime, fetcher: Fetcher
) -> PublicCredentialView:
    """The badge given, verified now (`fetcher`: bounded fetches of the address, the keys
    and the status lists of other issuers).

    Raises:
        GivenInvalid: See check_given; or the address gave no badge.
    """
    data = given_data(session, settings, given, fetcher=fetcher)
    result = verify(session, settings, data, now=now, fetcher=fetcher)
    return result_view(session, settings, result, now=now, public_id="given")


def result_view(
    session: Session,
    settings: Settings,
    result: VerificationResult,
    *,
    now: datetime,
    public_id: str,
    holder_name: str | None = None,
) -> PublicCredentialView:
    """Any issuer's badge as the badge pages show it, with its verification `result` (and
    its holder's name where she chose to show it)."""
    document = result.credential or {}
    # Our own badges show what the coach wrote only where the participant chose so (a share
    # link): here, as on a badge made public, it is left out.
    ours = (issuer_id(document) or "").startswith(our_did_prefix(settings))
    return document_view(
        document,
        result,
        public_id=public_id,
        catalog=catalog_index(session),
        session=session,
        now=now,
        holder_name=holder_name,
        show_evidence=not ours,
        foreign=True,
        own_origin=settings.public_origin,
    )


def given_data(
    session: Session, settings: Settings, given: Given, *, fetcher: Fetcher
) -> bytes | str | dict[str, Any]:
    """What was given, as the verifier takes it: the file, the text, or what its address
    gave (fetched with `fetcher`; ours read from the database).

    Raises:
        GivenInvalid: See check_given; or the address gave no badge.
    """
    check_given(given, own_origin=settings.public_origin)
    data: bytes | str | dict[str, Any] = given.upload or given.text
    if given.url.strip():
        try:
            data = credential_at(session, settings, given.url.strip(), fetcher)
        except NotFound as exc:
            raise GivenInvalid(
                {"url": ValidationFailed(page_text("There is no public badge at that address."))}
            ) from exc
        except UrlNotAllowed as exc:
            raise GivenInvalid(
                {"url": ValidationFailed(page_text("That address cannot be fetched safely."))}
            ) from exc
        except FetchError as exc:
            raise GivenInvalid(
                {"url": ValidationFailed(page_text("Nothing could be fetched from that address."))}
            ) from exc
    return data
