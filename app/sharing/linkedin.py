"""LinkedIn "Add to profile" links for a badge (a certification on the profile)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

LINKEDIN_ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"


def add_to_profile_url(
    *,
    name: str,
    organization_name: str,
    issued_at: datetime,
    cert_url: str,
    cert_id: str,
    expires_at: datetime | None = None,
    organization_id: int | None = None,
) -> str:
    """The URL that opens LinkedIn's "Add licence or certification" form, filled in.

    ``organization_id`` is LinkedIn's numeric company id, when the issuer has a page there;
    otherwise the organization is given by name.
    """
    params: list[tuple[str, str]] = [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", name),
    ]
    if organization_id is not None:
        params.append(("organizationId", str(organization_id)))
    else:
        params.append(("organizationName", organization_name))
    params += [
        ("issueYear", str(issued_at.year)),
        ("issueMonth", str(issued_at.month)),
    ]
    if expires_at is not None:
        params += [
            ("expirationYear", str(expires_at.year)),
            ("expirationMonth", str(expires_at.month)),
        ]
    params += [("certUrl", cert_url), ("certId", cert_id)]
    return f"{LINKEDIN_ADD_TO_PROFILE}?{urlencode(params)}"
