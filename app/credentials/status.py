"""Status lists: random index allocation (herd privacy), revocation bits, the signed list."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.config import Settings
from app.credentials.documents import document_loader
from app.errors import ServiceUnavailable
from app.models import Credential, Organization, StatusList
from app.models.organizations import KeyPurpose
from app.organizations.service import issuer_did, signer_for
from app.vc import dataintegrity
from app.vc.statuslist import MIN_LIST_SIZE, build_status_list_credential, new_bitstring

# An index is drawn at random; a list is left for the next one when PROBES draws in a row
# all hit used entries, which happens with a chance of fill^PROBES: about 2 % of awards at
# half full, 0.07 % at 30 %. So lists close at around half full (random indexes stay cheap
# to find and the list keeps hiding who is who) without counting their entries, which took
# an award 10-16 ms at 60,000 entries.
PROBES = 6
MAX_ATTEMPTS = 32
# How long verifiers and proxies may cache a status list credential (HTTP max-age).
STATUS_LIST_MAX_AGE = timedelta(minutes=1)


def list_url(settings: Settings, status_list: StatusList) -> str:
    return f"{settings.public_origin}/status/{status_list.public_id}"


def _open_list(session: Session, organization: Organization, now: datetime) -> StatusList:
    """The organization's newest revocation list, creating the first one."""
    assert organization.id is not None
    current = session.exec(
        select(StatusList)
        .where(StatusList.organization_id == organization.id)
        .where(StatusList.purpose == "revocation")
        .order_by(col(StatusList.sequence).desc())
    ).first()
    if current is not None:
        return current
    return _new_list(session, organization, 1, now)


def _new_list(
    session: Session, organization: Organization, sequence: int, now: datetime
) -> StatusList:
    """List number `sequence`, created now or by another instance a moment ago."""
    assert organization.id is not None
    created = StatusList(
        organization_id=organization.id,
        purpose="revocation",
        sequence=sequence,
        size=MIN_LIST_SIZE,
        bits=new_bitstring(),
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(created)
    except IntegrityError:
        # Another instance created the same list at the same moment: use theirs.
        existing = session.exec(
            select(StatusList)
            .where(StatusList.organization_id == organization.id)
            .where(StatusList.purpose == "revocation")
            .where(StatusList.sequence == sequence)
        ).one()
        return existing
    return created


def index_is_free(session: Session, status_list: StatusList, index: int) -> bool:
    return (
        session.exec(
            select(Credential.id)
            .where(Credential.status_list_id == status_list.id)
            .where(Credential.status_index == index)
        ).first()
        is None
    )


def allocate_index(
    session: Session, organization: Organization, now: datetime
) -> tuple[StatusList, int]:
    """A random, unused index in the organization's newest list (in expected constant time,
    whatever the list's fill).

    The unique constraint on (status_list_id, status_index) is the real guard when many
    awards are issued at once; the caller inserts the credential inside a savepoint and asks
    again on a conflict.
    """
    status_list = _open_list(session, organization, now)
    for _ in range(MAX_ATTEMPTS // PROBES):
        for _ in range(PROBES):
            index = secrets.randbelow(status_list.size)
            if index_is_free(session, status_list, index):
                return status_list, index
        # PROBES used entries in a row: the list is about half full; go on in the next one.
        status_list = _new_list(session, organization, status_list.sequence + 1, now)
    raise ServiceUnavailable("No free status list entry was found; try again.")


def allocate_indexes(
    session: Session, organization: Organization, now: datetime, count: int
) -> list[tuple[StatusList, int]]:
    """`count` distinct random unused indexes for a group award's chunk, with one query per
    round of draws instead of one per draw.

    Like `allocate_index`, a list is left for the next one when it is about half full
    (here: when most of a round's draws hit used entries). The unique constraint stays the
    guard: the caller's transaction fails on a collision with a concurrent award (and the
    chunk is tried again).
    """
    status_list = _open_list(session, organization, now)
    chosen: list[tuple[StatusList, int]] = []
    taken: set[int] = set()
    for _ in range(MAX_ATTEMPTS):
        want = count - len(chosen)
        if want <= 0:
            return chosen
        draws: set[int] = set()
        while len(draws) < 2 * want:
            index = secrets.randbelow(status_list.size)
            if index not in taken:
                draws.add(index)
        used = set(
            session.exec(
                select(Credential.status_index)
                .where(Credential.status_list_id == status_list.id)
                .where(col(Credential.status_index).in_(draws))
            ).all()
        )
        free = [i for i in draws if i not in used][:want]
        chosen += [(status_list, i) for i in free]
        taken.update(free)
        if len(used) > len(draws) // 2:
            # Most draws hit used entries: the list is about half full; go on in the next.
            status_list = _new_list(session, organization, status_list.sequence + 1, now)
            taken = set()
    if len(chosen) < count:
        raise ServiceUnavailable("No free status list entry was found; try again.")
    return chosen


def status_list_credential(
    session: Session, settings: Settings, status_list: StatusList, now: datetime
) -> dict[str, Any]:
    """The signed BitstringStatusListCredential of a list, re-signed only when bits changed."""
    if status_list.signed_credential is not None and (
        status_list.signed_version == status_list.version
    ):
        return status_list.signed_credential
    organization = session.get(Organization, status_list.organization_id)
    assert organization is not None
    unsigned = build_status_list_credential(
        list_id=list_url(settings, status_list),
        issuer=issuer_did(settings, organization),
        purpose=status_list.purpose,
        bits=status_list.bits,
        valid_from=now,
    )
    signer = signer_for(session, settings, organization, KeyPurpose.data_integrity)
    signed = dataintegrity.add_proof(
        unsigned,
        signer=signer,
        verification_method=signer.key_id,
        created=now,
        document_loader=document_loader(settings),
    )
    status_list.signed_credential = signed
    status_list.signed_version = status_list.version
    session.add(status_list)
    session.flush()
    return signed
