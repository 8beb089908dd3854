"""The group award's hashing processes (app/credentials/hashing.py) give exactly what hashing
here gives, in order, and fall back to hashing here when the processes fail."""

from __future__ import annotations

import copy
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from app.credentials.documents import document_loader
from app.credentials.hashing import WORKER_NICENESS, HashingPool, hash_here
from app.vc.errors import UndefinedTermError
from tests.conftest import STANDARDS

PROOF = {
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-rdfc-2022",
    "created": "2026-12-05T08:00:00Z",
    "verificationMethod": "did:web:passi.test:orgs:demo#key-1",
    "proofPurpose": "assertionMethod",
}


def _credential(n: int) -> dict[str, Any]:
    """An unsigned OB 3.0 credential, different for each n."""
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"https://passi.test/credentials/{n}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:web:passi.test:orgs:demo", "type": ["Profile"], "name": "Paja"},
        "validFrom": "2026-12-05T08:00:00Z",
        "name": f"Puutyö {n}",
        "credentialSubject": {
            "id": f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://passi.test/badges/puutyo-1/v1",
                "type": ["Achievement"],
                "name": "Puutyö",
                "description": "Osaa tehdä puutöitä.",
                "criteria": {"narrative": f"Havaittu {n}."},
            },
        },
    }


@pytest.fixture
def settings() -> Settings:
    return Settings(environment="test", contexts_dir=STANDARDS / "contexts")


@pytest.fixture
def pool(settings: Settings) -> Iterator[HashingPool]:
    """Two workers, started."""
    hashing = HashingPool(settings, processes=2)
    assert hashing.wait_ready(60)
    yield hashing
    hashing.close()


def test_the_workers_give_what_hashing_here_gives_in_order(
    settings: Settings, pool: HashingPool
) -> None:
    items = [(_credential(n), PROOF) for n in range(9)]
    expected = hash_here(document_loader(settings), items)
    assert len(set(expected)) == 9
    assert list(pool(items)) == expected
    assert pool.hashed_in_workers == 9
    # The same workers again.
    assert list(pool(items[:3])) == expected[:3]
    assert pool.hashed_in_workers == 12


def test_when_the_workers_die_the_rest_is_hashed_here(
    settings: Settings, pool: HashingPool, caplog: pytest.LogCaptureFixture
) -> None:
    items = [(_credential(n), PROOF) for n in range(6)]
    expected = hash_here(document_loader(settings), items)
    assert list(pool(items[:2])) == expected[:2]  # started
    executor = pool._executor
    assert executor is not None
    for process in list(executor._processes.values()):
        process.kill()
    with caplog.at_level(logging.WARNING, logger="app.credentials.hashing"):
        assert list(pool(items)) == expected
    assert "hashing processes failed" in caplog.text
    # A new pool is started for the next call.
    assert list(pool(items[:2])) == expected[:2]
    assert pool._executor is not None and pool._executor is not executor


def test_a_pool_that_cannot_take_work_hashes_here(
    settings: Settings, pool: HashingPool, caplog: pytest.LogCaptureFixture
) -> None:
    items = [(_credential(n), PROOF) for n in range(4)]
    expected = hash_here(document_loader(settings), items)
    assert list(pool(items[:2])) == expected[:2]  # started
    executor = pool._executor
    assert executor is not None
    executor.shutdown(wait=True)  # the hand-out itself now fails
    with caplog.at_level(logging.WARNING, logger="app.credentials.hashing"):
        assert list(pool(items)) == expected
    assert "hashing processes failed" in caplog.text
    assert pool._executor is None


def test_warm_starts_the_workers_and_until_they_have_started_it_is_hashed_here(
    settings: Settings,
) -> None:
    """Opening the group award form starts the workers; a chunk that comes while they
    start (its transaction open) is hashed in its own thread instead of waiting for them,
    and the next one finds them ready."""
    hashing = HashingPool(settings, processes=2)
    try:
        assert hashing._executor is None and not hashing.ready()
        hashing.warm()
        executor = hashing._executor
        assert executor is not None and len(executor._processes) == 2
        items = [(_credential(n), PROOF) for n in range(4)]
        expected = hash_here(document_loader(settings), items)
        assert not hashing.ready()  # a spawned worker takes its time to start
        assert list(hashing(items)) == expected
        assert hashing.hashed_in_workers == 0
        assert hashing.wait_ready(60)
        hashing.warm()  # again: the same workers
        assert hashing._executor is executor and len(executor._processes) == 2
        assert list(hashing(items)) == expected
        assert hashing.hashed_in_workers == 4
    finally:
        hashing.close()


def test_warm_without_processes_starts_nothing(settings: Settings) -> None:
    hashing = HashingPool(settings, processes=0)
    hashing.warm()
    assert hashing._executor is None
    hashing.close()


def test_the_workers_give_way_to_the_web_process(pool: HashingPool) -> None:
    """They run niced: the web process (the chunk's own work, pages) and the database come
    first, the workers use what is left."""
    list(pool([(_credential(n), PROOF) for n in range(2)]))
    executor = pool._executor
    assert executor is not None
    mine = os.nice(0)
    theirs = {executor.submit(os.nice, 0).result(timeout=30) for _ in range(4)}
    assert theirs == {min(mine + WORKER_NICENESS, 19)}


def test_a_document_that_does_not_canonicalize_fails_as_it_would_here(
    pool: HashingPool,
) -> None:
    broken = copy.deepcopy(_credential(1))
    broken["credentialSubject"]["notATerm"] = "x"
    items = [(_credential(0), PROOF), (broken, PROOF), (_credential(2), PROOF)]
    with pytest.raises(UndefinedTermError):
        list(pool(items))


def test_no_processes_hashes_here(settings: Settings) -> None:
    hashing = HashingPool(settings, processes=0)
    items = [(_credential(n), PROOF) for n in range(3)]
    assert list(hashing(items)) == hash_here(document_loader(settings), items)
    assert hashing.hashed_in_workers == 0 and hashing._executor is None
    hashing.close()


PARENT = """
import json, sys, time
from app.config import Settings
from app.credentials.hashing import HashingPool
from tests.credentials.test_hashing import PROOF, _credential

pool = HashingPool(Settings(contexts_dir=sys.argv[1]), processes=2)
list(pool([(_credential(n), PROOF) for n in range(4)]))
print(json.dumps(sorted(pool._executor._processes)), flush=True)
time.sleep(60)
"""


def test_the_workers_end_when_their_process_is_killed() -> None:
    """A web process killed without shutting its pool down (SIGKILL) leaves no workers."""
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(STANDARDS / "contexts")],
        cwd=Path(__file__).parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        workers = json.loads(parent.stdout.readline())
        assert len(workers) == 2 and all(_alive(pid) for pid in workers)
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in workers):
        assert time.monotonic() < deadline, f"workers {workers} outlived their process"
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    """Running (a zombie that nobody waits for counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
