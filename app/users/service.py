"""Staff accounts: creating admins and coaches."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlmodel import Session, select

from app.audit import service as audit
from app.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, hash_password
from app.errors import Conflict, ValidationFailed
from app.models import Organization, User
from app.models.users import Role
from app.names import MAX_NAME, checked_name


def normalise_email(email: str) -> str:
    """Validate and normalise an e-mail address (no DNS look-up)."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        # The library's reason is English: it goes to programs (the API's problem details),
        # people get a sentence of ours in their language.
        raise ValidationFailed(
            "Check the e-mail address. It should look like name@example.fi.", reason=str(exc)
        ) from exc


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def create_user(
    session: Session,
    *,
    organization: Organization,
    email: str,
    display_name: str,
    password: str,
    role: Role,
    actor_user_id: int | None = None,
) -> User:
    """Create an admin or coach of the organization."""
    email = normalise_email(email)
    if not display_name.strip():
        raise ValidationFailed("Give the person's name.")
    display_name = checked_name(display_name, MAX_NAME)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            "The password must have at least {n} characters.",
            params={"n": MIN_PASSWORD_LENGTH},
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed(
            "The password may have at most {n} characters.", params={"n": MAX_PASSWORD_LENGTH}
        )
    if user_by_email(session, email) is not None:
        raise Conflict(
            "A user with the e-mail address {email} already exists.", params={"email": email}
        )
    assert organization.id is not None
    user = User(
        organization_id=organization.id,
        email=email,
        display_name=display_name,
        password_hash=hash_password(password),
        role=role.value,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        action="user.create",
        organization_id=organization.id,
        actor_user_id=actor_user_id,
        object_type="user",
        object_id=user.id,
        details={"role": role.value},
    )
    return user
