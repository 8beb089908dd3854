"""Verification answers kept by the digest of their inputs (decision 0020): each input
changes the fingerprint, the dates bound a kept answer's life, only answers made from our
database alone are kept, and a kept answer is byte for byte the answer made afresh."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.catalog.loader import load_catalog
from app.catalog.service import sync_catalog
from app.config import Settings
from app.credentials.service import revoke_credential
from app.models import Credential, Organization
from app.organizations.service import rotate_keys
from app.trust.service import add_trusted_issuer
from app.vc.verify import DEFAULT_SKEW, VerificationResult
from app.verification import answers
from app.verification.answers import ANSWER_MAX_AGE, KEPT_ANSWERS, InputsRecorder
from tests.factories import (
    ROOT,
    issue_badge,
    make_org,
    make_participant,
    make_user,
)
from tests.verification.test_foreign_issuers import DID, _credential, _issuer_keys

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def _empty() -> Any:
    KEPT_ANSWERS.clear()
    yield
    KEPT_ANSWERS.clear()


@pytest.fixture
def issued(session: Session, settings: Settings, real_catalog: None) -> Credential:
    org = make_org(session, settings)
    credential = issue_badge(
        session,
        settings,
        coach=make_user(session, org),
        participant=make_participant(session, org),
        now=NOW,
    )
    session.commit()
    return credential


def _recorded(session: Session, settings: Settings, data: Any) -> InputsRecorder:
    from app.vc.verify import verify_credential
    from app.verification.service import build_verifier

    recorder = InputsRecorder(settings)
    verifier = build_verifier(session, settings, now=NOW, recorder=recorder)
    recorder.verified(data, verify_credential(data, verifier))
    return recorder


def test_each_input_changes_the_fingerprint(
    session: Session, settings: Settings, issued: Credential
) -> None:
    recorder = _recorded(session, settings, issued.jwt)
    inputs = recorder.inputs
    assert inputs is not None
    assert inputs.organizations and inputs.status_lists
    seen = {answers.fingerprint(session, inputs)}

    def changed() -> None:
        session.commit()
        now = answers.fingerprint(session, inputs)
        assert now not in seen
        seen.add(now)

    # An unrelated organization's keys are not an input; a new organization is (trust).
    make_org(session, settings, slug="toinen-paja")
    changed()
    revoke_credential(
        session, settings, credential=issued, reason="virhe", actor_user_id=None, now=NOW
    )
    changed()
    organization = session.exec(
        select(Organization).where(Organization.id == issued.organization_id)
    ).one()
    rotate_keys(session, settings=settings, organization=organization, now=NOW)
    changed()
    _, did_doc = _issuer_keys()
    add_trusted_issuer(
        session, settings=settings, issuer_id=DID, name="Koulu", documents={"": did_doc}
    )
    changed()
    catalog = load_catalog(ROOT)
    slug, qualification = next(iter(catalog.qualifications.items()))
    catalog.qualifications[slug] = qualification.model_copy(
        update={"diaarinumero": "OPH-9999-2026"}
    )
    sync_catalog(session, catalog=catalog, now=NOW)
    changed()
    # Nothing changed: the same fingerprint.
    assert answers.fingerprint(session, inputs) in seen


def test_answers_from_outside_the_database_are_not_kept(
    session: Session, settings: Settings
) -> None:
    signer, did_doc = _issuer_keys()
    credential = _credential(settings, signer)
    add_trusted_issuer(
        session, settings=settings, issuer_id=DID, name="Koulu", documents={"": did_doc}
    )
    assert _recorded(session, settings, credential).inputs is None


def _jwt(payload: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'ES256'})}.{part(payload)}.c2ln"


def test_dates_bound_a_kept_answer(settings: Settings) -> None:
    def until(*documents: Any) -> datetime:
        recorder = InputsRecorder(settings)
        result = VerificationResult(credential=None)
        for document in documents:
            recorder.verified(document, result)
        return recorder.valid_until(NOW)

    assert until({"name": "no dates"}) == NOW + ANSWER_MAX_AGE
    # Expires in a minute: the answer may say "valid now" until its tolerance has passed.
    soon = NOW + timedelta(minutes=1)
    assert until({"validUntil": soon.isoformat()}) == soon
    # Became valid a minute ago, inside the tolerance: changes when the tolerance ends.
    assert until({"validFrom": (NOW - DEFAULT_SKEW + timedelta(minutes=1)).isoformat()}) == (
        NOW + timedelta(minutes=1)
    )
    # A JWT's numeric dates count, also in an enveloped credential.
    exp = int((NOW + timedelta(seconds=90)).timestamp())
    assert until(_jwt({"exp": exp})) == datetime.fromtimestamp(exp, UTC)
    enveloped = {"id": "data:application/vc+jwt," + _jwt({"nbf": exp})}
    assert until(enveloped) == datetime.fromtimestamp(exp, UTC)
    # An endorsement's date, at any depth.
    nested = {"endorsement": [{"proof": {"expires": soon.isoformat()}}]}
    assert until(nested) == soon


def _post(client: TestClient, body: dict[str, Any]) -> bytes:
    response = client.post("/api/v1/verifications", json=body)
    assert response.status_code == 200, response.text
    return response.content


@pytest.mark.parametrize("form", ["jwt", "credential"])
def test_a_kept_answer_is_the_fresh_answer(
    client: TestClient, issued: Credential, form: str
) -> None:
    body = {"jwt": issued.jwt} if form == "jwt" else {"credential": issued.json_ld}
    first = _post(client, body)
    assert len(KEPT_ANSWERS) == 0  # seen once: not kept
    assert _post(client, body) == first
    assert len(KEPT_ANSWERS) == 1  # seen twice: kept
    assert _post(client, body) == first  # sent from what was kept
    KEPT_ANSWERS.clear()
    assert _post(client, body) == first
    assert json.loads(first)["verified"] is True


def test_a_kept_answer_is_not_used_after_its_dates(
    client: TestClient, issued: Credential, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"jwt": issued.jwt}
    for _ in range(2):
        _post(client, body)
    (key,) = list(KEPT_ANSWERS._answers)
    kept = KEPT_ANSWERS._answers[key]
    # (Against the clock now: NOW is when this file was imported, which under `make test`
    # can be many minutes before this test runs.)
    assert kept.until <= datetime.now(UTC) + ANSWER_MAX_AGE + timedelta(minutes=1)
    # The clock passes its moment: the answer is made again (and kept again).
    import app.api.verifications as api

    monkeypatch.setattr(api, "utcnow", lambda: kept.until + timedelta(seconds=1))
    assert json.loads(_post(client, body))["verified"] is True
    assert KEPT_ANSWERS._answers[key] is not kept
