"""The verification API's caches never outlive what they were derived from.

Each test verifies once (so every cache holds an entry), changes the database the way an
admin or another app instance would, and checks that the very next verification sees it:
revocation, a compromised key, a trust registry change, a catalog re-sync.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
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
from app.trust.service import (
    add_trusted_issuer,
    issuer_trust,
    remove_trusted_issuer,
    update_trusted_issuer,
)
from app.vc import statuslist
from app.verification.service import verify
from app.verification.summary import catalog_index
from tests.factories import (
    ROOT,
    issue_badge,
    make_org,
    make_participant,
    make_user,
)
from tests.verification.test_foreign_issuers import DID, DID_URL, _credential, _issuer_keys
from tests.verification.test_service import NoNetwork, codes

NOW = datetime.now(UTC).replace(microsecond=0)
FOREIGN_NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
UNIT = "tutkinnonosat_105444"


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


def _verify(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/verifications", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _codes(result: dict[str, Any]) -> set[str]:
    return {c["code"] for c in result["checks"]}


# Verified once, an answer is only remembered as seen; three times, it is kept and sent again
# (app/verification/answers.py): a change must show the next time in both cases.
TIMES = [1, 3]


@pytest.mark.parametrize("times", TIMES)
def test_revocation_after_a_verification_shows_at_once(
    client: TestClient, session: Session, settings: Settings, issued: Credential, times: int
) -> None:
    for body in ({"jwt": issued.jwt}, {"credential": issued.json_ld}):
        for _ in range(times):
            assert _verify(client, body)["verified"] is True
    revoke_credential(
        session, settings, credential=issued, reason="virhe", actor_user_id=None, now=NOW
    )
    session.commit()
    for body in ({"jwt": issued.jwt}, {"credential": issued.json_ld}):
        result = _verify(client, body)
        assert result["verified"] is False
        assert "revoked" in _codes(result)


@pytest.mark.parametrize("times", TIMES)
@pytest.mark.parametrize("form", ["jwt", "credential"])
def test_compromised_key_fails_at_once_after_a_verification(
    client: TestClient,
    session: Session,
    settings: Settings,
    issued: Credential,
    form: str,
    times: int,
) -> None:
    body = {"jwt": issued.jwt} if form == "jwt" else {"credential": issued.json_ld}
    for _ in range(times):
        assert _verify(client, body)["verified"] is True
    if form == "jwt":
        assert issued.jwt is not None
        header = issued.jwt.split(".")[0]
        kids = [json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]]
    else:
        proofs = issued.json_ld["proof"]
        kids = [p["verificationMethod"] for p in (proofs if isinstance(proofs, list) else [proofs])]
    organization = session.exec(
        select(Organization).where(Organization.id == issued.organization_id)
    ).one()
    # A routine rotation retires the key: old credentials still verify.
    rotate_keys(session, settings=settings, organization=organization, now=NOW)
    session.commit()
    for _ in range(times):
        assert _verify(client, body)["verified"] is True
    # A compromised key is withdrawn: the same credential fails on the next request.
    rotate_keys(
        session,
        settings=settings,
        organization=organization,
        compromised=[kid.rsplit("#", 1)[1] for kid in kids],
        now=NOW,
    )
    session.commit()
    result = _verify(client, body)
    assert result["verified"] is False
    assert "withdrawn" in json.dumps(result["checks"])


def test_trust_registry_changes_are_seen_at_once(session: Session, settings: Settings) -> None:
    signer, did_doc = _issuer_keys()
    credential = _credential(settings, signer)

    def check() -> set[str]:
        result = verify(session, settings, credential, now=FOREIGN_NOW, fetcher=NoNetwork())  # type: ignore[arg-type]
        return codes(result) if not result.verified else {"verified"}

    assert issuer_trust(session, settings).trust_of(DID) is None
    assert "verified" not in check()
    add_trusted_issuer(
        session, settings=settings, issuer_id=DID, name="Koulu", documents={"": did_doc}
    )
    assert issuer_trust(session, settings).trust_of(DID) == "registry"
    assert check() == {"verified"}
    # Another key replaces the registered one: the credential no longer verifies.
    _, other_doc = _issuer_keys()
    update_trusted_issuer(session, issuer_id=DID, documents={DID_URL: other_doc})
    assert issuer_trust(session, settings).documents[DID_URL] == other_doc
    assert "verified" not in check()
    update_trusted_issuer(session, issuer_id=DID, documents={DID_URL: did_doc})
    assert check() == {"verified"}
    remove_trusted_issuer(session, issuer_id=DID)
    assert issuer_trust(session, settings).trust_of(DID) is None
    assert DID_URL not in issuer_trust(session, settings).documents
    assert "verified" not in check()


def test_a_new_organization_is_known_at_once(session: Session, settings: Settings) -> None:
    make_org(session, settings, slug="ensimmainen")
    trust = issuer_trust(session, settings)
    assert trust.trust_of("did:web:passi.test:orgs:ensimmainen") == "own"
    assert trust.trust_of("did:web:passi.test:orgs:toinen") is None
    make_org(session, settings, slug="toinen")
    assert issuer_trust(session, settings).trust_of("did:web:passi.test:orgs:toinen") == "own"


@pytest.mark.parametrize("times", TIMES)
def test_catalog_resync_invalidates_the_summary_index(
    client: TestClient, session: Session, settings: Settings, issued: Credential, times: int
) -> None:
    for _ in range(times):
        (unit,) = _verify(client, {"jwt": issued.jwt})["recognition"]["units"]
    assert unit["code"] == UNIT and unit["osp"] == 45
    catalog = load_catalog(ROOT)
    slug, qualification = next(
        (slug, q) for slug, q in catalog.qualifications.items() if UNIT in {u.code for u in q.units}
    )
    units = [u.model_copy(update={"osp": 40}) if u.code == UNIT else u for u in qualification.units]
    catalog.qualifications[slug] = qualification.model_copy(
        update={"units": units, "diaarinumero": "OPH-9999-2026"}
    )
    sync_catalog(session, catalog=catalog, now=NOW)
    session.commit()
    (unit,) = _verify(client, {"jwt": issued.jwt})["recognition"]["units"]
    assert unit["osp"] == 40
    assert "OPH-9999-2026" in unit["qualification"]
    assert catalog_index(session).units[UNIT].osp == 40


def test_status_list_encoding_caches_agree_and_stay_bounded() -> None:
    bits = statuslist.new_bitstring()
    revoked = statuslist.set_bit(bits, 12345, True)
    for _ in range(2):  # the second round comes from the caches
        assert statuslist.decode_list(statuslist.encode_list(bits)) == bits
        assert statuslist.decode_list(statuslist.encode_list(revoked)) == revoked
        assert statuslist.get_bit(statuslist.decode_list(statuslist.encode_list(revoked)), 12345)
    # A list larger than the cached size is decoded every time and not held.
    large = statuslist.set_bit(bytes(statuslist.CACHED_BYTES + 8), 7, True)
    encoded = statuslist.encode_list(large)
    assert statuslist.decode_list(encoded) == large
    assert statuslist._decoded.get(encoded) is None
    assert statuslist._encoded.get(large) is None
    # The bound of the caller still holds for a list held in the cache.
    small = statuslist.encode_list(revoked)
    with pytest.raises(ValueError, match="larger than allowed"):
        statuslist.decode_list(small, max_bytes=len(revoked) - 1)


@pytest.mark.parametrize("open_, close", [(b"[", b"]"), (b'{"a":', b"}")])
def test_json_depth_limit_is_exact(client: TestClient, open_: bytes, close: bytes) -> None:
    def body(depth: int) -> bytes:  # the outer object is level 1
        return b'{"credential": ' + open_ * (depth - 1) + b"1" + close * (depth - 1) + b"}"

    headers = {"content-type": "application/json"}
    allowed = client.post("/api/v1/verifications", content=body(64), headers=headers)
    # Parsed: a list is then refused as a credential (400 bad-request), an object is
    # verified and fails (200); neither is malformed JSON.
    assert allowed.status_code == (400 if open_ == b"[" else 200), allowed.text
    assert not allowed.json().get("type", "").endswith("/malformed-json")
    refused = client.post("/api/v1/verifications", content=body(65), headers=headers)
    assert refused.status_code == 400, refused.text
    assert refused.json()["type"].endswith("/malformed-json")
    assert "deeper than 64" in refused.json()["detail"]
