"""Offers of a badge to a wallet, made as the participant's passport makes them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.config import Settings
from app.models import Credential
from app.models.base import utcnow
from app.wallets import service as wallets
from tests.web.conftest import World


def make_offer(
    session: Session,
    settings: Settings,
    world: World,
    *,
    credential: Credential | None = None,
    now: datetime | None = None,
) -> wallets.OfferLinks:
    """A new offer of the world's participant's badge (or `credential`), committed."""
    links = wallets.offer_badge(
        session,
        settings,
        credential=credential or world.credential,
        participant=world.participant,
        made_by="participant",
        actor_user_id=None,
        now=now or utcnow(),
    )
    session.commit()
    return links
