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

Every `serve` process runs it every MAINTENANCE_SECONDS (MaintenanceWorker), so that it runs
where nothing else was set up to run it (`make run`); `osaamispassi maintenance` runs it
once, or with `--watch` as a job of its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col

from app.auth.sessions import prune_expired
from app.config import Settings
from app.host import access as host_access
from app.mail.outbox import purge_expired
from app.models import SignInToken
from app.models.base import utcnow
from app.wallets import service as wallets

log = logging.getLogger(__name__)

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

    @property
    def removed_anything(self) -> bool:
        return any(
            (
                self.sessions,
                self.sign_in_links,
                self.outbox_bodies,
                self.wallet_offers,
                self.api_grants,
            )
        )

    def summary(self) -> str:
        """What the run removed, in a line (the command line's output, the server's log)."""
        return (
            f"removed {self.sessions} session(s), {self.sign_in_links} sign-in link(s); "
            f"cleared {self.outbox_bodies} e-mail(s); "
            f"removed {self.wallet_offers} unused wallet offer(s), "
            f"{self.api_grants} ended API token(s) and code(s)"
        )


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


def run_clean_up(
    transactions: Callable[..., AbstractContextManager[Session]], settings: Settings
) -> MaintenanceReport:
    """One clean-up run in a writing transaction of its own, now."""
    with transactions(writes=True) as session:
        return clean_up(session, settings, now=utcnow())


class MaintenanceWorker:
    """A background thread of the web process: the clean-up every `maintenance_seconds`,
    the first one interval after the start. Every instance runs one (the clean-up is safe on
    several at once); 0 seconds: none (then `osaamispassi maintenance --watch` or a cron job
    does it). A failed run (the database away) is logged and tried again an interval later."""

    def __init__(
        self, transactions: Callable[..., AbstractContextManager[Session]], settings: Settings
    ) -> None:
        self._transactions = transactions
        self._settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._settings.maintenance_seconds <= 0:
            return
        self._thread = threading.Thread(target=self._loop, name="maintenance", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.wait(self._settings.maintenance_seconds):
            try:
                report = run_clean_up(self._transactions, self._settings)
            except Exception:
                log.exception("maintenance: the clean-up failed; trying again later")
                continue
            level = logging.INFO if report.removed_anything else logging.DEBUG
            log.log(level, "maintenance: %s", report.summary())
