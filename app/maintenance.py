"""The periodic clean-up (`osaamispassi maintenance`): what has expired is removed, so that
nothing naming a participant is kept longer than it serves.

- sessions past their absolute expiry, or idle longer than any session may be;
- one-time sign-in links that expired (used or not) a day ago or more;
- the bodies (the sign-in links) of e-mails whose link has expired;
- offers to a wallet app that were not used and expired a day ago or more;
- the Open Badges 3.0 API's tokens that ended (revoked, or expired with their refresh
  token) and its authorization codes that expired, a day on.

On SQLite it also runs `PRAGMA optimize`, which analyzes the tables whose statistics are out
of date (the query planner's picture of a file that keeps growing; PostgreSQL's autovacuum
does this there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col

from app.auth.sessions import prune_expired
from app.config import Settings
from app.host import access as host_access
from app.mail.outbox import purge_expired
from app.models import SignInToken
from app.wallets import service as wallets

# An expired sign-in link is kept a day, so that the page can still say "used" or "expired"
# to someone who opens it late, instead of "no such link".
SIGN_IN_LINK_GRACE = timedelta(days=1)


@dataclass(frozen=True)
class MaintenanceReport:
    sessions: int
    sign_in_links: int
    outbox_bodies: int
    wallet_offers: int = 0
    api_grants: int = 0


def clean_up(session: Session, settings: Settings, *, now: datetime) -> MaintenanceReport:
    """One clean-up run (in the caller's transaction); safe on several instances at once."""
    idle = timedelta(minutes=max(settings.session_idle_minutes, settings.passport_idle_minutes))
    sessions = prune_expired(session, now=now, idle=idle)
    links = session.execute(
        delete(SignInToken).where(col(SignInToken.expires_at) <= now - SIGN_IN_LINK_GRACE)
    )
    bodies = purge_expired(session, now=now)
    offers = wallets.prune_expired(session, now=now)
    grants = host_access.prune_ended(session, now=now)
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("PRAGMA optimize")
    return MaintenanceReport(
        sessions, int(getattr(links, "rowcount", 0) or 0), bodies, offers, grants
    )
