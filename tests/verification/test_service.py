"""End-to-end verification with the service's resolvers: our credentials in every form, their
status and validity, and other issuers' credentials from the standards' vectors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from app.catalog.repository import active_badge_versions
from app.config import Settings
from app.credentials.export import export_credential
from app.credentials.service import revoke_credential
from app.models import Credential
from app.net.fetch import FetchError
from app.organizations.service import rotate_keys
from app.vc.verify import VerificationResult
from app.verification.service import verify
from tests.conftest import STANDARDS
from tests.factories import issue_badge, make_org, make_participant, make_user
from tests.verification.issuer_documents import documents_for

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
VECTORS = STANDARDS / "vectors"


class NoNetwork:
    """A fetcher that never touches the network (documents are offline or unavailable)."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def get(self, url: str, *, accept: str = "application/json") -> bytes:
        self.urls.append(url)
        raise FetchError(f"{url} is not reachable in the tests")


def statuses(result: VerificationResult) -> dict[str, str]:
    return {c.id: c.status for c in result.checks}


def codes(result: VerificationResult) -> set[str]:
    return {c.code for c in result.checks}


@pytest.fixture
def world(session: Session, settings: Settings, real_catalog: None) -> dict[str, Any]:
    org = make_org(session, settings)
    return {
        "org": org,
        "coach": make_user(session, org),
        "participant": make_participant(session, org, email="aino@example.fi"),
    }


def _award(
    session: Session,
    settings: Settings,
    world: dict[str, Any],
    slug: str,
    key: str,
    now: datetime = NOW,
) -> Credential:
    return issue_badge(
        session,
        settings,
        coach=world["coach"],
        participant=world["participant"],
        slug=slug,
        key=key,
        now=now,
    )


def _verify(session: Session, settings: Settings, data: Any, **kw: Any) -> VerificationResult:
    kw.setdefault("now", NOW + timedelta(days=1))
    return verify(session, settings, data, fetcher=NoNetwork(), **kw)  # type: ignore[arg-type]


def test_round_trip_every_badge_every_form(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    for n, (badge, _) in enumerate(active_badge_versions(session)):
        credential = _award(session, settings, world, badge.slug, f"rt-{n}")
        for fmt in ("json", "jwt", "png", "svg"):
            data, _ = export_credential(session, credential.public_id, fmt)
            result = _verify(session, settings, data)
            assert result.verified, (
                badge.slug,
                fmt,
                [c for c in result.checks if c.status == "failed"],
            )
            assert statuses(result) | {
                "schema": "passed",
                "proof": "passed",
                "issuer": "passed",
                "status": "passed",
                "validity": "passed",
            } == statuses(result)
            expected_format = {"json": "json", "jwt": "jwt", "png": "png", "svg": "svg"}[fmt]
            assert result.input_format == expected_format


def test_recipient_check(session: Session, settings: Settings, world: dict[str, Any]) -> None:
    credential = _award(session, settings, world, "puutyo-1", "r1")
    ok = _verify(session, settings, credential.json_ld, recipient_email="Aino@example.fi")
    assert statuses(ok)["recipient"] == "passed"
    wrong = _verify(session, settings, credential.json_ld, recipient_email="other@example.fi")
    assert statuses(wrong)["recipient"] == "failed" and not wrong.verified


def test_revoked_credential_fails_status_in_both_forms(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    credential = _award(session, settings, world, "puutyo-1", "rev")
    revoke_credential(
        session,
        settings,
        credential=credential,
        reason="väärä henkilö",
        actor_user_id=None,
        now=NOW,
    )
    for data in (credential.json_ld, credential.jwt):
        result = _verify(session, settings, data)
        assert not result.verified
        assert "revoked" in codes(result)
        assert statuses(result)["proof"] == "passed"


def test_expired_and_not_yet_valid(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    credential = _award(session, settings, world, "keittio-1", "exp")  # valid 36 months
    later = _verify(session, settings, credential.json_ld, now=NOW + timedelta(days=4 * 365))
    assert "expired" in codes(later) and not later.verified
    earlier = _verify(session, settings, credential.jwt, now=NOW - timedelta(hours=1))
    assert "not_yet_valid" in codes(earlier) and not earlier.verified
    skew = _verify(session, settings, credential.json_ld, now=NOW - timedelta(minutes=2))
    assert skew.verified


def test_compromised_key_fails_rotated_key_passes(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    credential = _award(session, settings, world, "puutyo-1", "rot")
    rotate_keys(session, settings=settings, organization=world["org"])
    assert _verify(session, settings, credential.json_ld).verified
    assert _verify(session, settings, credential.jwt).verified
    di_key = credential.json_ld["proof"][0]["verificationMethod"].split("#")[1]
    rotate_keys(session, settings=settings, organization=world["org"], compromised=[di_key])
    result = _verify(session, settings, credential.json_ld)
    assert not result.verified and statuses(result)["proof"] == "failed"


def test_tampered_credential_fails_the_proof(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    credential = _award(session, settings, world, "puutyo-1", "tam")
    doc = json.loads(json.dumps(credential.json_ld))
    doc["credentialSubject"]["achievement"]["name"] = "Puusepän mestari"
    result = _verify(session, settings, doc)
    assert statuses(result)["proof"] == "failed" and not result.verified


@pytest.mark.parametrize(
    "name",
    [
        "simple.json",
        "complete.json",
        "simple-did-key-method.json",
        "simple-did-web-method.json",
        "simple-context-version.json",
        "simple-multiple-proofs.json",
        "endorsement-valid.json",
    ],
)
def test_1edtech_positive_vectors(session: Session, settings: Settings, name: str) -> None:
    """Judged with the issuer's document (built from the issuer and the key the vector names):
    verified. Without it, the signature is intact but nothing binds the key to the issuer."""
    path = VECTORS / "1edtech-validator" / "positive" / name
    if not path.exists():
        pytest.skip(f"vector {path} not found")
    doc = json.loads(path.read_text())
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    documents = documents_for(doc)
    bare = _verify(session, settings, doc, now=moment)
    assert statuses(bare)["proof"] == "passed", bare.checks
    assert not bare.verified
    assert "key_unbound" in codes(bare)
    if not doc.get("credentialStatus"):
        assert bare.outcome == "issuer_unconfirmed"
    result = _verify(session, settings, doc, now=moment, offline=documents)
    assert statuses(result)["proof"] == "passed", result.checks
    assert statuses(result)["validity"] == "passed"
    if not documents:
        # simple-did-key-method: the issuer is a urn:uuid, which cannot have keys; the
        # did:key that signed is not the issuer's by anything the credential shows.
        assert result.outcome == "issuer_unconfirmed"
        return
    assert statuses(result)["issuer"] == "passed", result.checks
    if doc.get("credentialStatus"):
        # The example status list lives on an example domain that cannot be fetched.
        assert "status_unavailable" in codes(result)
        assert result.outcome == "not_verified"
    else:
        assert result.verified, [c for c in result.checks if c.status == "failed"]
    if doc.get("endorsement"):
        assert statuses(result)["endorsements"] in ("passed", "warning")


def test_1edtech_vector_with_another_hosts_document_is_not_bound(
    session: Session, settings: Settings
) -> None:
    """A key document that claims the issuer as controller but is served from another host
    (where anyone can publish) binds nothing."""
    path = VECTORS / "1edtech-validator" / "positive" / "simple.json"
    if not path.exists():
        pytest.skip(f"vector {path} not found")
    doc = json.loads(path.read_text())
    issuer = doc["issuer"] if isinstance(doc["issuer"], str) else doc["issuer"]["id"]
    method_id = (
        doc["proof"][0]["verificationMethod"]
        if isinstance(doc["proof"], list)
        else (doc["proof"]["verificationMethod"])
    )
    assert method_id.startswith(issuer + "#")
    # Served at the issuer's URL but listing the key under another relationship only.
    listed_elsewhere = documents_for(doc)[issuer] | {"assertionMethod": []}
    result = _verify(
        session,
        settings,
        doc,
        now=datetime(2025, 1, 1, tzinfo=UTC),
        offline={issuer: listed_elsewhere},
    )
    assert not result.verified


def test_spec_jwt_examples_verify_and_tampering_fails(session: Session, settings: Settings) -> None:
    """The spec's VC-JWTs carry their RSA key in the header: with the issuer's document
    listing that key they verify; without it the key binds nothing; tampered, they fail."""
    folder = VECTORS / "ob-v3p0-spec-rendered-examples"
    tokens = sorted(folder.glob("*.jwt")) if folder.exists() else []
    if not tokens:
        pytest.skip(f"no JWT examples under {folder}")
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    for path in tokens:
        token = path.read_text().strip()
        result = _verify(session, settings, token, now=moment, offline=documents_for(token))
        assert statuses(result)["proof"] == "passed", (path.name, result.checks)
        assert statuses(result)["issuer"] == "passed", (path.name, result.checks)
        bare = _verify(session, settings, token, now=moment)
        assert statuses(bare)["proof"] == "passed"
        assert "key_unbound" in codes(bare) and not bare.verified
        failed = {c.code for c in result.checks if c.status == "failed"}
        if not failed:  # some examples name status lists on example hosts
            assert bare.outcome == "issuer_unconfirmed", (path.name, bare.checks)
        header, payload, signature = token.split(".")
        flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
        bad = _verify(session, settings, f"{header}.{payload}.{flipped}")
        assert statuses(bad)["proof"] == "failed"
        assert bad.outcome == "not_verified"


def test_garbage_inputs_fail_cleanly(session: Session, settings: Settings) -> None:
    for data in (
        b"\x89PNG\r\n\x1a\nnot really",
        b"hello",
        "{not json",
        "a.b.c",
        {"@context": ["https://example.org"]},
        b"<svg><!DOCTYPE x></svg>",
    ):
        result = _verify(session, settings, data)
        assert not result.verified


def test_suspended_credential_is_reported_as_suspended(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    """A status entry with purpose 'suspension' whose bit is set reads as suspended."""
    from app.credentials.documents import document_loader
    from app.credentials.service import credential_url, issuer_profile
    from app.models import StatusList
    from app.models.organizations import KeyPurpose
    from app.organizations.service import signer_for
    from app.vc.dataintegrity import add_proof
    from app.vc.openbadges import (
        AchievementData,
        CredentialData,
        StatusEntry,
        SubjectData,
        build_credential,
    )
    from app.vc.statuslist import new_bitstring, set_bit

    org = world["org"]
    suspension = StatusList(
        organization_id=org.id,
        purpose="suspension",
        sequence=1,
        bits=set_bit(new_bitstring(), 42, True),
    )
    session.add(suspension)
    session.flush()
    entry = StatusEntry(
        list_credential=f"https://passi.test/status/{suspension.public_id}",
        index=42,
        purpose="suspension",
    )
    unsigned = build_credential(
        CredentialData(
            id=credential_url(settings, "11111111-2222-3333-4444-555555555555"),
            issuer=issuer_profile(settings, org),
            achievement=AchievementData(
                id="https://passi.test/badges/x/v1",
                name="X",
                description="X",
                criteria_narrative="X",
                achievement_type="Badge",
            ),
            subject=SubjectData(id="urn:uuid:00000000-0000-4000-8000-000000000000"),
            valid_from=NOW,
            status=entry,
        )
    )
    signer = signer_for(session, settings, org, KeyPurpose.data_integrity)
    signed = add_proof(
        unsigned,
        signer=signer,
        verification_method=signer.key_id,
        created=NOW,
        document_loader=document_loader(settings),
    )
    result = _verify(session, settings, signed)
    assert "suspended" in codes(result) and not result.verified
    suspension.bits = set_bit(suspension.bits, 42, False)
    suspension.version += 1
    session.add(suspension)
    session.flush()
    assert _verify(session, settings, signed).verified
