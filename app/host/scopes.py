"""The four scopes of the Open Badges 3.0 API and what each lets a client do, in words a
participant understands (shown on the consent page and in the passport's settings)."""

from __future__ import annotations

from app.errors import page_text

SCOPE_BASE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
CREDENTIAL_READ = SCOPE_BASE + "credential.readonly"
CREDENTIAL_UPSERT = SCOPE_BASE + "credential.upsert"
PROFILE_READ = SCOPE_BASE + "profile.readonly"
PROFILE_UPDATE = SCOPE_BASE + "profile.update"

# The order the consent page lists them in.
SCOPES: tuple[str, ...] = (CREDENTIAL_READ, CREDENTIAL_UPSERT, PROFILE_READ, PROFILE_UPDATE)

# As in the specification's OpenAPI document (the discovery document repeats them).
SPEC_DESCRIPTIONS = {
    CREDENTIAL_READ: "Permission to read AchievementCredentials for the authenticated entity.",
    CREDENTIAL_UPSERT: (
        "Permission to create or update AchievementCredentials for the authenticated entity."
    ),
    PROFILE_READ: "Permission to read the profile for the authenticated entity.",
    PROFILE_UPDATE: "Permission to update the profile for the authenticated entity.",
}

# For the participant: message ids the pages translate.
PLAIN_TEXTS = {
    CREDENTIAL_READ: page_text("See all the badges in your passport"),
    CREDENTIAL_UPSERT: page_text("Add badges to your passport"),
    PROFILE_READ: page_text("See your name and e-mail address"),
    PROFILE_UPDATE: page_text("Change the name in your passport"),
}


def scope_list(scope: str | None) -> list[str]:
    """The scopes of a space-separated scope value, in SCOPES order, without repeats."""
    given = set((scope or "").split())
    return [s for s in SCOPES if s in given]


def plain_texts(scope: str | None) -> list[str]:
    return [PLAIN_TEXTS[s] for s in scope_list(scope)]
