"""Reads on the event loop (app.loop_reads, decision 0021), on PostgreSQL and SQLite.

A kept verification answer and a kept share page are checked with one read from the event
loop, outside SQLAlchemy. These tests hold that read to what the usual way
reads (the same fingerprint, the same page state, the same client), that it sees a change
made elsewhere on the very next request, and that a read which cannot be done (its
connection terminated) costs nothing but the usual way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.api.verifications import _kept_read
from app.clients.service import (
    authenticate_key,
    authenticate_key_row,
    create_client,
    key_prefix,
    revoke_client,
)
from app.config import Settings
from app.credentials.service import revoke_credential
from app.db import make_engine
from app.loop_reads import APPLICATION_NAME, LoopReads, loop_reads
from app.main import create_app
from app.models import Credential, Participant
from app.models.base import utcnow
from app.sharing import pages as share_pages
from app.sharing.service import create_share_link
from app.verification.answers import Inputs, fingerprint, fingerprint_of
from tests.conftest import STANDARDS, fresh_postgres_schema
from tests.live import free_port, prepare


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def demo_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """A database with the demo (as `make run` loads it) and its service origin: an SQLite
    file, or a PostgreSQL schema of its own; shared by this module's tests (each makes the
    links, keys and revocations it looks at)."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('loop') / 'loop.db'}"
        else:
            url = stack.enter_context(fresh_postgres_schema("c"))
        port = free_port()
        prepare(url, port=port)
        yield url, f"http://127.0.0.1:{port}"


def _aino(session: Session) -> Participant:
    return session.exec(
        select(Participant).where(Participant.email == "aino@demo.example.fi")
    ).one()


def _badge(session: Session, participant: Participant) -> Credential:
    return session.exec(
        select(Credential)
        .where(Credential.revoked_at.is_(None))  # type: ignore[union-attr]
        .where(
            Credential.award_id.in_(  # type: ignore[attr-defined]
                text("SELECT id FROM award WHERE participant_id = :p").bindparams(p=participant.id)
            )
        )
    ).first()  # type: ignore[return-value]


def _on_loop(engine: Engine, work: Any) -> Any:
    """`work(reads)` with a pool of reads opened on a loop of its own, in a thread of its
    own (the browser tests' Playwright keeps a loop running in this worker's thread)."""

    async def run() -> Any:
        reads = loop_reads(engine)
        assert reads is not None
        await reads.open()
        try:
            return await work(reads)
        finally:
            await reads.close()

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, run()).result()


def test_a_read_on_the_loop_reads_what_the_usual_way_reads(demo_url: tuple[str, str]) -> None:
    url, _origin = demo_url
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            aino = _aino(session)
            badge = _badge(session, aino)
            _link, token = create_share_link(
                session, participant=aino, credential_public_id=badge.public_id, now=utcnow()
            )
            _client, api_key = create_client(session, name="Koulu", requests_per_minute=100)
            session.commit()
            slugs = set(session.execute(text("SELECT slug FROM organization")).scalars())
            lists = set(session.execute(text("SELECT public_id FROM status_list")).scalars())
        now = utcnow()
        inputs = Inputs(frozenset(slugs), frozenset(lists))
        with Session(engine, expire_on_commit=False) as session:
            usual_state = share_pages.page_state(session, token, now=now)
            usual_fingerprint = fingerprint(session, inputs)
            usual_client = authenticate_key(session, api_key)

        async def read(reads: LoopReads) -> tuple[Any, Any]:
            state_rows = await reads.rows(
                share_pages.state_read(engine.dialect),
                **share_pages.state_params(token, now=now),
            )
            input_rows = await reads.rows(
                _kept_read(engine.dialect, inputs), prefix=key_prefix(api_key)
            )
            return state_rows, input_rows

        state_rows, input_rows = _on_loop(engine, read)
        assert state_rows is not None and input_rows is not None
        assert share_pages.state_of(state_rows) == usual_state
        assert fingerprint_of(input_rows, "client") == usual_fingerprint
        client_row = next(row[1:] for row in input_rows if row[0] == "client")
        assert authenticate_key_row(api_key, client_row) == usual_client
        # Something an answer was made from changes: so does the fingerprint read on the loop.
        with Session(engine, expire_on_commit=False) as session:
            revoke_credential(
                session,
                Settings(database_url=url),
                credential=session.get(Credential, badge.id),  # type: ignore[arg-type]
                reason="",
                actor_user_id=None,
                now=now,
            )
            session.commit()
        _, after = _on_loop(engine, read)
        assert fingerprint_of(after, "client") != usual_fingerprint
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_terminated_connection_costs_one_read_and_then_reads_go_on(
    committed_postgres_url: str,
) -> None:
    url = committed_postgres_url  # migrated and empty: the statement reads no rows
    engine = make_engine(url)
    admin = create_engine(url)
    read = share_pages.state_read(engine.dialect)
    params = share_pages.state_params("x" * 43, now=utcnow())

    async def work(reads: LoopReads) -> list[Any]:
        results = [await reads.rows(read, **params)]
        with admin.begin() as conn:
            ended = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = :name"
                ),
                {"name": APPLICATION_NAME},
            ).scalar_one()
        assert ended >= 1
        results.append(await reads.rows(read, **params))  # found broken: the usual way
        # Each connection the pool holds is found broken once, then thrown away.
        for _ in range(reads.size + 1):
            again = await reads.rows(read, **params)
            if again is not None:
                break
        results.append(again)
        return results

    try:
        first, broken, again = _on_loop(engine, work)
    finally:
        engine.dispose()
        admin.dispose()
    assert first is not None and broken is None and again == first


def test_an_sqlite_file_that_cannot_be_opened_means_the_usual_way(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'loop.db'}")
    read = share_pages.state_read(engine.dialect)
    params = share_pages.state_params("x" * 43, now=utcnow())

    async def work(reads: LoopReads) -> Any:
        return await reads.rows(read, **params)

    try:
        assert _on_loop(engine, work) is None
    finally:
        engine.dispose()


def test_kept_answers_and_pages_are_served_from_the_loop_and_stay_true(
    demo_url: tuple[str, str],
) -> None:
    """Through the application, its lifespan opening the reads: a repeated verification and
    a share page opened again are answered after one read on the loop, and a revoked API
    key and a revoked badge show on the very next request."""
    url, origin = demo_url
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        aino = _aino(session)
        badge = _badge(session, aino)
        _link, token = create_share_link(
            session, participant=aino, credential_public_id=badge.public_id, now=utcnow()
        )
        _client, api_key = create_client(session, name="Koulu", requests_per_minute=1000)
        session.commit()
    settings = Settings(
        environment="test",
        database_url=url,
        base_url=origin,
        contexts_dir=STANDARDS / "contexts",
        schemas_dir=STANDARDS / "schemas",
        run_jobs=False,
    )
    app = create_app(settings)
    served: list[bool] = []
    try:
        with TestClient(app, base_url=origin) as client:
            reads: LoopReads = app.state.loop_reads
            assert reads is not None
            rows = reads.rows

            async def counted(*args: Any, **kwargs: Any) -> Any:
                answer = await rows(*args, **kwargs)
                served.append(answer is not None)
                return answer

            reads.rows = counted  # type: ignore[method-assign]
            headers = {"X-API-Key": api_key}
            for _ in range(3):
                answer = client.post(
                    "/api/v1/verifications", json={"jwt": badge.jwt}, headers=headers
                )
                assert answer.status_code == 200 and answer.json()["verified"] is True
                page = client.get(f"/s/{token}")
                assert page.status_code == 200 and "result result-green" in page.text
            # A page is kept when it is first made, an answer the second time: the second
            # page, the third answer and the third page came after a read on the loop.
            assert served == [True, True, True]
            with Session(engine, expire_on_commit=False) as session:
                revoke_client(session, key_prefix(api_key))
                credential = session.get(Credential, badge.id)
                assert credential is not None
                revoke_credential(
                    session,
                    settings,
                    credential=credential,
                    reason="",
                    actor_user_id=None,
                    now=utcnow(),
                )
                session.commit()
            answer = client.post("/api/v1/verifications", json={"jwt": badge.jwt}, headers=headers)
            assert answer.status_code == 401, answer.text
            answer = client.post("/api/v1/verifications", json={"jwt": badge.jwt})
            assert answer.status_code == 200 and answer.json()["verified"] is False
            page = client.get(f"/s/{token}")
            assert "result result-red" in page.text and "result result-green" not in page.text
            assert served == [True] * 6
        assert app.state.loop_reads is None  # closed with the application
    finally:
        engine.dispose()
