"""Demo data for `make run`: one organization with keys, an admin, two coaches, four
participants and a few awarded badges. Running it again creates nothing new."""

from __future__ import annotations

from sqlmodel import Session, select

from app.awards.service import AwardRequest, award_badge, badge_criteria
from app.config import Environment, Settings
from app.db import get_engine, transaction
from app.errors import ConfigurationError
from app.models import Participant
from app.models.base import utcnow
from app.models.users import Role
from app.organizations import repository as org_repo
from app.organizations.service import create_organization
from app.participants.service import create_participant
from app.passport.service import issue_passport_token, passport_url
from app.sharing.service import set_credential_public
from app.users.service import create_user, user_by_email

DEMO_ORG = "demo"
DEMO_PASSWORD = "demo-salasana"  # noqa: S105 (printed for the demo; refused in production)
DEMO_USERS = [
    ("admin@demo.example.fi", "Anna Admin", Role.admin),
    ("valmentaja1@demo.example.fi", "Veikko Valmentaja", Role.coach),
    ("valmentaja2@demo.example.fi", "Vilma Valmentaja", Role.coach),
]
DEMO_PARTICIPANTS = [
    ("Aino", "aino@demo.example.fi"),
    ("Mikko K.", None),
    ("Sara", None),
    ("Jussi", None),
]
DEMO_AWARDS = [
    ("demo-award-1", 0, "puutyo-1", "Teki linnunpöntön puutyöpajalla ohjeen mukaan."),
    ("demo-award-2", 0, "tyoelamataidot-1", "Tuli ajallaan töihin koko kuukauden ajan."),
    ("demo-award-3", 1, "keittio-1", "Huolehti käsihygieniasta lounaan valmistuksessa."),
    ("demo-award-4", 2, "digitaidot-1", "Kirjautui työpajan koneelle ja tallensi tiedoston."),
]


def create_demo(settings: Settings) -> list[str]:
    """Create the demo data if missing; return lines to print (including the logins)."""
    if settings.environment is Environment.production:
        raise ConfigurationError("Demo data is not created in production.")
    lines: list[str] = []
    with transaction(get_engine(settings)) as session:
        organization = org_repo.by_slug(session, DEMO_ORG)
        if organization is None:
            organization = create_organization(
                session,
                settings=settings,
                slug=DEMO_ORG,
                name="Demosäätiö",
                url="https://demo.example.fi",
                email="info@demo.example.fi",
            )
            lines.append("demo organization created")
        for email, name, role in DEMO_USERS:
            if user_by_email(session, email) is None:
                create_user(
                    session,
                    organization=organization,
                    email=email,
                    display_name=name,
                    password=DEMO_PASSWORD,
                    role=role,
                )
        participants = _participants(session, organization.id)
        for name, participant_email in DEMO_PARTICIPANTS:
            if name not in participants:
                participants[name] = create_participant(
                    session,
                    organization=organization,
                    display_name=name,
                    email=participant_email,
                )
        coach = user_by_email(session, DEMO_USERS[1][0])
        assert coach is not None
        now = utcnow()
        example_id = None
        for key, who, slug, narrative in DEMO_AWARDS:
            participant = participants[DEMO_PARTICIPANTS[who][0]]
            assert participant.id is not None
            observed = badge_criteria(session, slug)
            _, credential = award_badge(
                session,
                settings,
                coach=coach,
                now=now,
                request=AwardRequest(
                    participant_id=participant.id,
                    badge_slug=slug,
                    criteria_observed=observed,
                    narrative=narrative,
                    idempotency_key=key,
                ),
            )
            example_id = example_id or credential.public_id
        # The first participant has made her first badge public and has a passport link
        # (a new one on every run: the previous demo link stops working).
        first = participants[DEMO_PARTICIPANTS[0][0]]
        assert first.id is not None and example_id is not None
        set_credential_public(
            session, participant=first, credential_public_id=example_id, public=True, now=now
        )
        token = issue_passport_token(session, coach=coach, participant_id=first.id, now=now)
    lines.append(f"Example credential id: {example_id}")
    lines.append(f"Its public page: {settings.public_origin}/credentials/{example_id}")
    lines.append(f"{DEMO_PARTICIPANTS[0][0]}'s passport: {passport_url(settings, token)}")
    lines.append("Demo sign-in (password for all: " + DEMO_PASSWORD + "):")
    lines += [f"  {role.value:6} {email}" for email, _, role in DEMO_USERS]
    lines.append(f"Service: {settings.public_origin}")
    return lines


def _participants(session: Session, organization_id: int | None) -> dict[str, Participant]:
    rows = session.exec(
        select(Participant).where(Participant.organization_id == organization_id)
    ).all()
    return {p.display_name: p for p in rows}
