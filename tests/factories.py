"""Factory functions for rows, used across the tests."""

from __future__ import annotations

import functools
import itertools
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session

from app.awards.service import AwardRequest, award_badge, badge_criteria
from app.catalog.loader import Catalog, load_catalog
from app.catalog.service import sync_catalog
from app.config import Settings
from app.credentials.documents import document_loader
from app.keys import KeySigner, generate_private_key
from app.models import Credential, Organization, Participant, User
from app.models.base import utcnow
from app.models.users import Role
from app.organizations.service import create_organization
from app.participants.service import create_participant
from app.users.service import create_user
from app.vc.dataintegrity import add_proof
from app.vc.openbadges import (
    AchievementData,
    CredentialData,
    IssuerProfile,
    SubjectData,
    build_credential,
)

ROOT = Path(__file__).resolve().parent.parent
_counter = itertools.count(1)
PASSWORD = "test-password-123"


@functools.cache
def _real_catalog() -> Catalog:
    """The repository's catalog, parsed once per test process (sync_catalog only reads it)."""
    return load_catalog(ROOT)


def load_real_catalog(session: Session) -> None:
    sync_catalog(session, catalog=_real_catalog(), now=utcnow())


def make_org(session: Session, settings: Settings, slug: str | None = None) -> Organization:
    slug = slug or f"org-{next(_counter)}"
    return create_organization(
        session,
        settings=settings,
        slug=slug,
        name=f"Säätiö {slug}",
        url=f"https://{slug}.example.fi",
        email=f"info@{slug}.example.fi",
    )


def make_user(session: Session, org: Organization, role: Role = Role.coach) -> User:
    n = next(_counter)
    return create_user(
        session,
        organization=org,
        email=f"user{n}@{org.slug}.example.fi",
        display_name=f"Valmentaja {n}",
        password=PASSWORD,
        role=role,
    )


def make_participant(session: Session, org: Organization, email: str | None = None) -> Participant:
    return create_participant(
        session, organization=org, display_name=f"Osallistuja {next(_counter)}", email=email
    )


def issue_badge(
    session: Session,
    settings: Settings,
    *,
    coach: User,
    participant: Participant,
    slug: str = "puutyo-1",
    key: str | None = None,
    now: datetime | None = None,
    narrative: str = "Teki työn hyvin.",
) -> Credential:
    """Award a catalog badge with every criterion observed and return its credential."""
    assert participant.id is not None
    _, credential = award_badge(
        session,
        settings,
        coach=coach,
        now=now or utcnow(),
        request=AwardRequest(
            participant_id=participant.id,
            badge_slug=slug,
            criteria_observed=badge_criteria(session, slug),
            narrative=narrative,
            idempotency_key=key or f"key-{next(_counter)}",
        ),
    )
    return credential


def issued_credential(
    session: Session, settings: Settings, *, now: datetime | None = None
) -> Credential:
    """A credential of the real catalog's first wood badge (the test uses `real_catalog`),
    issued by a new organization's coach to a new participant, committed."""
    org = make_org(session, settings)
    credential = issue_badge(
        session,
        settings,
        coach=make_user(session, org),
        participant=make_participant(session, org),
        now=now,
    )
    session.commit()
    return credential


def school_badge(
    settings: Settings,
    *,
    email: str | None = None,
    name: str = "Hitsauksen perusteet",
    valid_until: Any = None,
) -> tuple[dict[str, Any], KeySigner]:
    """A badge of a school this service does not know, signed by its did:key (an
    eddsa-rdfc-2022 proof; verified without the network). With `email`, it names its
    recipient by that address (hashed, salted)."""
    now = utcnow()
    key = generate_private_key("Ed25519")
    did = key.public_key.to_did_key()
    signer = KeySigner(key, f"{did}#{did.removeprefix('did:key:')}")
    unsigned = build_credential(
        CredentialData(
            id="urn:uuid:7d3c1f0e-5a8b-4c2d-9e6f-1a2b3c4d5e6f",
            issuer=IssuerProfile(
                id=did,
                name="Esimerkkikoulu",
                url="https://school.example",
                email="info@school.example",
            ),
            achievement=AchievementData(
                id="https://school.example/achievements/welding",
                name=name,
                description="Osaa hitsata turvallisesti.",
                criteria_narrative="Hitsasi kaksi saumaa valvottuna.",
                achievement_type="Competency",
            ),
            subject=SubjectData(
                id="did:example:learner", email=email, salt="suola" if email else None
            ),
            valid_from=now - timedelta(days=3),
            valid_until=valid_until,
        )
    )
    signed = add_proof(
        unsigned,
        signer=signer,
        verification_method=signer.key_id,
        created=now - timedelta(days=3),
        document_loader=document_loader(settings),
    )
    return signed, signer
