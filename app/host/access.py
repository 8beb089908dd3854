"""What the participant sees of the services she has let in through the Open Badges 3.0 API,
and withdrawing one's access (the passport's settings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from app.errors import NotFound, page_text
from app.host.scopes import plain_texts, scope_list
from app.models import HostAuthorizationCode, HostClient, HostToken, Participant


@dataclass
class ClientAccess:
    client_id: str
    name: str
    site: str  # the host name of the client's address
    scopes: list[str]  # plain-language texts (message ids)
    since: datetime


def client_site(client: HostClient) -> str:
    return urlsplit(str(client.client_metadata.get("client_uri", ""))).hostname or ""


def clients_with_access(
    session: Session, participant: Participant, *, now: datetime
) -> list[ClientAccess]:
    """The clients holding a token of the participant's that still works (an access token
    not expired, or a refresh token), the most recent first."""
    rows = session.exec(
        select(HostToken, HostClient)
        .join(HostClient, col(HostClient.id) == col(HostToken.client_id))
        .where(
            HostToken.participant_id == participant.id,
            col(HostToken.revoked_at).is_(None),
            or_(
                col(HostToken.expires_at) > now,
                col(HostToken.refresh_expires_at) > now,
            ),
        )
        .order_by(col(HostToken.issued_at).desc(), col(HostToken.id).desc())
    ).all()
    found: dict[int, ClientAccess] = {}
    scopes: dict[int, set[str]] = {}
    for token, client in rows:
        assert client.id is not None
        scopes.setdefault(client.id, set()).update(scope_list(token.scope))
        if client.id not in found:
            found[client.id] = ClientAccess(
                client_id=client.client_id,
                name=str(client.client_metadata.get("client_name", "")),
                site=client_site(client),
                scopes=[],
                since=token.issued_at,
            )
        found[client.id].since = min(found[client.id].since, token.issued_at)
    for client_row_id, access in found.items():
        access.scopes = plain_texts(" ".join(scopes[client_row_id]))
    return list(found.values())


def withdraw_access(
    session: Session, participant: Participant, client_id: str, *, now: datetime
) -> HostClient:
    """End every token and unused code the client holds for the participant.

    Raises:
        NotFound: No such client.
    """
    client = session.exec(select(HostClient).where(HostClient.client_id == client_id)).first()
    if client is None:
        raise NotFound(page_text("No such service."))
    session.execute(
        update(HostToken)
        .where(
            col(HostToken.participant_id) == participant.id,
            col(HostToken.client_id) == client.id,
            col(HostToken.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    session.execute(
        update(HostAuthorizationCode)
        .where(
            col(HostAuthorizationCode.participant_id) == participant.id,
            col(HostAuthorizationCode.client_id) == client.id,
            col(HostAuthorizationCode.used_at).is_(None),
        )
        .values(used_at=now)
    )
    return client


# An ended grant is kept a day, so that a client refreshing late hears "invalid_grant" from
# a known token rather than nothing, and the participant's settings stay consistent.
ENDED_GRACE = timedelta(days=1)


def prune_ended(session: Session, *, now: datetime) -> int:
    """Remove tokens that can no longer be used (revoked, or both tokens expired) and codes
    that expired, a day on; returns how many rows went."""
    cutoff = now - ENDED_GRACE
    tokens = session.execute(
        delete(HostToken).where(
            or_(
                col(HostToken.revoked_at) <= cutoff,
                (col(HostToken.expires_at) <= cutoff)
                & or_(
                    col(HostToken.refresh_expires_at).is_(None),
                    col(HostToken.refresh_expires_at) <= cutoff,
                ),
            )
        )
    )
    codes = session.execute(
        delete(HostAuthorizationCode).where(
            col(HostAuthorizationCode.expires_at) <= cutoff,
            ~col(HostAuthorizationCode.id).in_(
                select(HostToken.authorization_code_id).where(
                    col(HostToken.authorization_code_id).is_not(None)
                )
            ),
        )
    )
    return int(getattr(tokens, "rowcount", 0) or 0) + int(getattr(codes, "rowcount", 0) or 0)
