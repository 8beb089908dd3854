"""The verification API accepts a CLR 2.0 record: outer proof plus every wrapped badge."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.clr.service import export_clr
from app.config import Settings
from tests.factories import issue_badge, make_org, make_participant, make_user

NOW = datetime.now(UTC).replace(microsecond=0)


def test_clr_verifies_through_the_api_and_tampering_fails(
    client: TestClient, session: Session, settings: Settings, real_catalog: None
) -> None:
    org = make_org(session, settings)
    coach = make_user(session, org)
    participant = make_participant(session, org)
    for slug in ("puutyo-1", "keittio-1"):
        issue_badge(session, settings, coach=coach, participant=participant, slug=slug, now=NOW)
    clr = export_clr(session, settings, participant=participant, now=NOW)
    session.commit()

    ok = client.post("/api/v1/verifications", json={"credential": clr})
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["verified"] is True
    checks = {c["id"]: (c["status"], c["code"]) for c in body["checks"]}
    assert checks["proof"] == ("passed", "signature_valid")
    assert checks["credentials"] == ("passed", "inner_ok")

    tampered = copy.deepcopy(clr)
    tampered["credentialSubject"]["verifiableCredential"][1]["validFrom"] = "2020-01-01T00:00:00Z"
    bad = client.post("/api/v1/verifications", json={"credential": tampered}).json()
    assert bad["verified"] is False
    codes = {c["id"]: c["code"] for c in bad["checks"]}
    assert codes["credentials"] == "inner_invalid" and codes["proof"] == "signature_invalid"
