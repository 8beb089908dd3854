"""Issuers: whether this service knows an issuer, and the read-only trust registry."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import select

from app.api.examples import json_example
from app.api.problems import not_found
from app.deps import SessionDep, SettingsDep
from app.errors import NotFound
from app.models import Organization
from app.organizations.documents import issuer_profile_json
from app.organizations.service import issuer_did
from app.trust import repository
from app.trust.schemas import (
    ISSUER_EXAMPLE,
    OWN_EXAMPLE,
    TRUSTED_EXAMPLE,
    UNKNOWN_EXAMPLE,
    IssuerStatusOut,
    TrustedIssuerOut,
)

router = APIRouter(prefix="/api/v1", tags=["issuers"])


@router.get(
    "/issuers/{issuer_id:path}",
    response_model=IssuerStatusOut,
    summary="Whether an issuer is known",
    responses={
        200: {
            "description": "Known (ours or registered) or not",
            "content": {
                "application/json": {
                    "examples": {
                        "own": {"value": OWN_EXAMPLE},
                        "registry": {"value": ISSUER_EXAMPLE},
                        "unknown": {"value": UNKNOWN_EXAMPLE},
                    }
                }
            },
        },
        **not_found(
            "No organization of this service is called 'eduroo'; ask about other issuers by "
            "their DID or https URL."
        ),
    },
)
def get_issuer(issuer_id: str, session: SessionDep, settings: SettingsDep) -> IssuerStatusOut:
    """An issuer by its DID or URL (or one of ours by short name): known or not, and why."""
    for org in session.exec(select(Organization)).all():
        did = issuer_did(settings, org)
        if issuer_id in (org.slug, did):
            return IssuerStatusOut(
                id=did,
                known=True,
                trust="own",
                name=org.name,
                url=org.url,
                profile=issuer_profile_json(settings, org),
            )
    entry = repository.by_issuer_id(session, issuer_id)
    if entry is not None:
        return IssuerStatusOut(
            id=entry.issuer_id,
            known=True,
            trust="registry",
            name=entry.name,
            url=entry.url,
            documents=sorted(entry.documents),
        )
    if issuer_id.startswith(("did:", "https://", "http://")):
        return IssuerStatusOut(id=issuer_id, known=False)
    raise NotFound(
        f"No organization of this service is called {issuer_id!r}; ask about other "
        "issuers by their DID or https URL."
    )


@router.get(
    "/trusted-issuers",
    response_model=list[TrustedIssuerOut],
    summary="The trust registry",
    responses={200: json_example("application/json", [TRUSTED_EXAMPLE])},
)
def list_trusted_issuers(session: SessionDep) -> list[TrustedIssuerOut]:
    """Issuers other than our own organizations that this service's admins vouch for."""
    return [
        TrustedIssuerOut(
            id=e.issuer_id,
            name=e.name,
            url=e.url,
            documents=sorted(e.documents),
            # SQLite hands back naive datetimes; every stored time is UTC.
            updated_at=e.updated_at,
        )
        for e in repository.all_issuers(session)
    ]
