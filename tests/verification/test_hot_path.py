"""The verification hot path: read-only (no status list is signed or stored while
verifying, which made concurrent verifications fail on SQLite), always fresh status, and a
fast schema check that agrees with the reference validator."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from sqlalchemy import event
from sqlmodel import Session

from app.config import Settings
from app.credentials.service import revoke_credential
from app.models import StatusList
from tests.conftest import STANDARDS
from tests.factories import make_org, make_participant, make_user
from tests.verification.test_service import NOW, _award, _verify, codes


@pytest.fixture
def world(session: Session, settings: Settings, real_catalog: None) -> dict[str, Any]:
    org = make_org(session, settings)
    return {"coach": make_user(session, org), "participant": make_participant(session, org)}


@pytest.fixture
def statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.split()[0].upper())

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_verifying_our_credentials_writes_nothing(
    session: Session, settings: Settings, world: dict[str, Any], statements: list[str]
) -> None:
    credential = _award(session, settings, world, "puutyo-1", "ro")
    session.flush()
    statements.clear()
    for data in (credential.json_ld, credential.jwt):
        assert _verify(session, settings, data).verified
    session.flush()
    assert {"INSERT", "UPDATE", "DELETE"}.isdisjoint(statements), statements
    status_list = session.get(StatusList, credential.status_list_id)
    assert status_list is not None and status_list.signed_credential is None


def test_revocation_shows_at_once(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    credential = _award(session, settings, world, "puutyo-1", "fresh")
    assert _verify(session, settings, credential.jwt).verified
    revoke_credential(
        session, settings, credential=credential, reason="virhe", actor_user_id=None, now=NOW
    )
    assert "revoked" in codes(_verify(session, settings, credential.jwt))


def _mutations(document: dict[str, Any], count: int) -> Iterator[dict[str, Any]]:
    def paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            yield (*prefix, key)
            if isinstance(value, dict | list):
                yield from paths(value, (*prefix, key))

    every = list(paths(document))
    values: list[Any] = [None, 1, "x", [], {}, True, 1.5, "2020-01-01", ["a"], {"id": "x"}]
    rnd = random.Random(6)
    for _ in range(count):
        mutated = copy.deepcopy(document)
        path = rnd.choice(every)
        parent: Any = mutated
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and rnd.random() < 0.3:
            del parent[path[-1]]
        else:
            parent[path[-1]] = rnd.choice(values)
        yield mutated


def test_fast_schema_check_agrees_with_the_reference_validator(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    path = STANDARDS / "schemas" / "ob_v3p0_achievementcredential_schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    reference = jsonschema.Draft201909Validator(schema)
    fast = jsonschema_rs.Draft201909Validator(schema, validate_formats=False)
    credential = _award(session, settings, world, "puutyo-1", "schema").json_ld
    verdicts = []
    for mutated in _mutations(credential, 400):
        verdicts.append(reference.is_valid(mutated))
        assert fast.is_valid(mutated) == verdicts[-1], mutated
    assert True in verdicts and False in verdicts  # both kinds were exercised
