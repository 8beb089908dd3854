"""A wallet's copy of a badge verifies with Digital Bazaar's implementation too (issue #15):
the verifier the Learner Credential Wallet and the Digital Credentials Consortium use, run
under Node.js from bench/js (its versions pinned by package-lock.json).

Skipped when Node.js or bench/js/node_modules is missing; with REQUIRE_NODE=1 (.ci/run
installs them) it fails instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.credentials.service import holder_copy, new_copy_id
from app.models.base import utcnow
from tests.conftest import ROOT, STANDARDS
from tests.wallets.simulator import Wallet
from tests.web.conftest import World

JS = ROOT / "bench" / "js"
NODE = shutil.which("node")


@pytest.fixture
def digital_bazaar() -> Path:
    missing = []
    if NODE is None:
        missing.append("Node.js")
    if not (JS / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        missing.append("bench/js/node_modules (npm ci --prefix bench/js)")
    if missing:
        message = "cross-implementation check needs " + " and ".join(missing)
        if os.environ.get("REQUIRE_NODE") == "1":
            pytest.fail(message + " (REQUIRE_NODE=1)", pytrace=False)
        pytest.skip(message)
    return JS / "verify.mjs"


def _verify(script: Path, tmp_path: Path, credential: Any, did_document: Any) -> dict[str, Any]:
    (tmp_path / "credential.json").write_text(json.dumps(credential))
    (tmp_path / "did.json").write_text(json.dumps(did_document))
    assert NODE is not None
    run = subprocess.run(
        [
            NODE,
            str(script),
            str(STANDARDS / "contexts"),
            *(str(tmp_path / f) for f in ("credential.json", "did.json")),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.stdout, run.stderr
    return dict(json.loads(run.stdout))


def test_digital_bazaar_accepts_the_wallet_copy_and_refuses_a_rebound_one(
    digital_bazaar: Path,
    tmp_path: Path,
    client: TestClient,
    session: Session,
    settings: Settings,
    world: World,
) -> None:
    wallet = Wallet()
    copy = holder_copy(
        session,
        settings,
        credential=world.credential,
        holder=wallet.did,
        copy_id=new_copy_id(),
        now=utcnow(),
    )
    did_document = client.get(f"/orgs/{world.org.slug}/did.json").json()
    report = _verify(digital_bazaar, tmp_path, copy, did_document)
    assert report["verified"] is True, report
    assert report["subject"] == wallet.did
    # Bound to another wallet after signing: the signature no longer holds.
    assert isinstance(copy, dict)
    copy["credentialSubject"]["id"] = Wallet().did
    assert _verify(digital_bazaar, tmp_path, copy, did_document)["verified"] is False
