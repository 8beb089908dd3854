"""Key binding (issue #11): `verified` needs a valid signature *and* a key that belongs to the
issuer by something other than the credential. A key the credential carries itself (a JWT
`jwk` header, an `issuer#z6Mk…` method) only selects among the issuer's bound keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from app.config import Settings
from app.credentials.documents import document_loader
from app.keys import KeySigner, generate_private_key
from app.models import Credential
from app.models.organizations import KeyPurpose
from app.organizations.service import rotate_keys, signer_for
from app.sharing.view import State, reduce_result
from app.vc.dataintegrity import add_proof
from app.vc.jwt import encode_vc_jwt
from app.vc.openbadges import (
    AchievementData,
    CredentialData,
    IssuerProfile,
    SubjectData,
    build_credential,
)
from app.vc.statuslist import build_status_list_credential, new_bitstring
from app.vc.verify import VerificationResult
from app.verification.service import verify
from tests.factories import issue_badge, make_org, make_participant, make_user
from tests.forgery import forged_data_integrity, forged_jwt, resigned_with_jwk_header
from tests.verification.test_service import NoNetwork, codes, statuses

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
LATER = NOW + timedelta(days=1)
SCHOOL = "https://school.example/issuers/7"
DID = "did:web:badges.school.example:issuers:7"
DID_URL = "https://badges.school.example/issuers/7/did.json"


@pytest.fixture
def world(session: Session, settings: Settings, real_catalog: None) -> dict[str, Any]:
    org = make_org(session, settings)
    coach = make_user(session, org)
    participant = make_participant(session, org)
    credential = issue_badge(session, settings, coach=coach, participant=participant, now=NOW)
    return {"org": org, "credential": credential}


def _verify(session: Session, settings: Settings, data: Any, **kw: Any) -> VerificationResult:
    kw.setdefault("now", LATER)
    return verify(session, settings, data, fetcher=NoNetwork(), **kw)  # type: ignore[arg-type]


def _unbound(result: VerificationResult) -> None:
    assert statuses(result)["proof"] == "passed", result.checks
    assert statuses(result)["issuer"] == "failed"
    assert "key_unbound" in codes(result)
    assert not result.verified
    assert result.outcome == "issuer_unconfirmed", [
        c for c in result.checks if c.status == "failed"
    ]


def test_our_jwt_resigned_with_a_header_key_is_not_verified(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    credential: Credential = world["credential"]
    forged = forged_jwt(credential.jwt)
    _unbound(_verify(session, settings, forged))


def blank_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format="PNG")
    return out.getvalue()


BLANK_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"></svg>'


@pytest.mark.parametrize("fmt", ["png", "svg", "jwt-file"])
def test_forged_jwt_in_a_file_is_not_verified(
    session: Session, settings: Settings, world: dict[str, Any], fmt: str
) -> None:
    from app.vc.baking import bake_png, bake_svg

    forged = forged_jwt(world["credential"].jwt)
    data = {
        "png": lambda: bake_png(blank_png(), forged),
        "svg": lambda: bake_svg(BLANK_SVG, forged).encode(),
        "jwt-file": lambda: forged.encode() + b"\n",
    }[fmt]()
    result = _verify(session, settings, data)
    _unbound(result)
    assert result.input_format == {"png": "png", "svg": "svg", "jwt-file": "jwt"}[fmt]


def test_a_header_key_that_is_one_of_our_keys_is_bound(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    """Naming the key by `jwk` instead of `kid` is allowed: it selects a bound key."""
    credential: Credential = world["credential"]
    signer = signer_for(session, settings, world["org"], KeyPurpose.jwt)
    token = resigned_with_jwk_header(credential.jwt, signer._private_key)
    result = _verify(session, settings, token)
    assert result.verified, result.checks
    assert statuses(result)["issuer"] == "passed"
    # A retired key still selects (old credentials stay valid); a withdrawn one never does.
    rotate_keys(session, settings=settings, organization=world["org"])
    assert _verify(session, settings, token).verified
    kid = signer.key_id.split("#")[1]
    rotate_keys(session, settings=settings, organization=world["org"], compromised=[kid])
    withdrawn = _verify(session, settings, token)
    assert not withdrawn.verified and withdrawn.outcome == "issuer_unconfirmed"


def test_our_issuer_with_a_foreign_multikey_fragment_fails(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    """Our organizations' keys come from our database, whatever the credential names."""
    credential: Credential = world["credential"]
    forged, _ = forged_data_integrity(credential.json_ld, document_loader(settings), created=NOW)
    result = _verify(session, settings, forged)
    assert not result.verified
    assert result.outcome == "not_verified"


def test_https_issuer_with_key_in_the_fragment_and_no_document(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    credential: Credential = world["credential"]
    forged, key = forged_data_integrity(
        credential.json_ld, document_loader(settings), created=NOW, issuer=SCHOOL
    )
    _unbound(_verify(session, settings, forged))
    # The issuer's own document listing that key binds it.
    method_id = f"{SCHOOL}#{key.public_key.to_multikey()}"
    document = {
        "id": SCHOOL,
        "verificationMethod": [key.public_key.to_verification_method(method_id, SCHOOL)],
        "assertionMethod": [method_id],
    }
    result = _verify(session, settings, forged, offline={SCHOOL: document})
    assert result.verified, result.checks


def test_a_key_document_on_another_host_binds_nothing(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    """Anyone can publish a document naming the school as controller on their own host."""
    credential: Credential = world["credential"]
    method_id = "https://attacker.example/keys/1"
    forged, key = forged_data_integrity(
        credential.json_ld,
        document_loader(settings),
        created=NOW,
        issuer=SCHOOL,
        method_id=method_id,
    )
    document = key.public_key.to_verification_method(method_id, SCHOOL)
    _unbound(_verify(session, settings, forged, offline={method_id: document}))
    # The same key document served from the school's own host binds the key.
    own = "https://school.example/keys/1"
    forged, key = forged_data_integrity(
        credential.json_ld, document_loader(settings), created=NOW, issuer=SCHOOL, method_id=own
    )
    document = key.public_key.to_verification_method(own, SCHOOL)
    assert _verify(session, settings, forged, offline={own: document}).verified


def test_an_issuer_id_that_cannot_have_keys_is_unconfirmed(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    credential: Credential = world["credential"]
    key = generate_private_key("Ed25519")
    did_key = key.public_key.to_did_key()
    forged, _ = forged_data_integrity(
        credential.json_ld,
        document_loader(settings),
        created=NOW,
        issuer="urn:uuid:6f2e33e5-7a29-4155-840a-59483ba10164",
        method_id=f"{did_key}#{did_key.removeprefix('did:key:')}",
        key=key,
    )
    # The signature is the did:key's, but nothing ties that did:key to a urn:uuid issuer.
    _unbound(_verify(session, settings, forged))


def _did_web_credential(settings: Settings, header_key: bool) -> tuple[str, dict[str, Any]]:
    key = generate_private_key("ES256")
    method = f"{DID}#key-1"
    document = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"],
        "id": DID,
        "verificationMethod": [key.public_key.to_verification_method(method, DID)],
        "assertionMethod": [method],
    }
    unsigned = build_credential(
        CredentialData(
            id="https://badges.school.example/c/1",
            issuer=IssuerProfile(
                id=DID, name="Koulu", url="https://school.example", email="info@school.example"
            ),
            achievement=AchievementData(
                id="https://badges.school.example/a/1",
                name="Hitsaus",
                description="Osaa hitsata.",
                criteria_narrative="Hitsasi.",
                achievement_type="Competency",
            ),
            subject=SubjectData(id="did:example:learner"),
            valid_from=NOW - timedelta(days=1),
        )
    )
    token = encode_vc_jwt(unsigned, signer=KeySigner(key, method))
    if header_key:
        token = resigned_with_jwk_header(token, key)
    return token, document


def test_a_header_key_listed_in_the_did_document_is_bound(
    session: Session, settings: Settings
) -> None:
    token, document = _did_web_credential(settings, header_key=True)
    result = _verify(session, settings, token, offline={DID_URL: document})
    assert result.verified, result.checks
    _unbound(_verify(session, settings, forged_jwt(token), offline={DID_URL: document}))


def test_a_status_list_signed_with_an_unbound_key_is_not_used(
    session: Session, settings: Settings
) -> None:
    """The status list must be the issuer's too: signed with a bound key."""
    key = generate_private_key("Ed25519")
    method_id = f"{SCHOOL}#{key.public_key.to_multikey()}"
    list_url = "https://school.example/status/1"
    status_list = build_status_list_credential(
        list_id=list_url, issuer=SCHOOL, purpose="revocation", bits=new_bitstring(), valid_from=NOW
    )
    signed_list = add_proof(
        status_list,
        signer=KeySigner(key, method_id),
        verification_method=method_id,
        created=NOW,
        document_loader=document_loader(settings),
    )
    unsigned = build_credential(
        CredentialData(
            id="https://school.example/c/2",
            issuer=IssuerProfile(id=SCHOOL, name="Koulu", url=SCHOOL, email="info@school.example"),
            achievement=AchievementData(
                id="https://school.example/a/1",
                name="Hitsaus",
                description="Osaa hitsata.",
                criteria_narrative="Hitsasi.",
                achievement_type="Competency",
            ),
            subject=SubjectData(id="did:example:learner"),
            valid_from=NOW - timedelta(days=1),
        )
    )
    unsigned["credentialStatus"] = {
        "id": f"{list_url}#5",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "5",
        "statusListCredential": list_url,
    }
    signed = add_proof(
        unsigned,
        signer=KeySigner(key, method_id),
        verification_method=method_id,
        created=NOW,
        document_loader=document_loader(settings),
    )
    without = _verify(session, settings, signed, offline={list_url: signed_list})
    assert not without.verified
    assert "status_unavailable" in codes(without)
    document = {
        "id": SCHOOL,
        "verificationMethod": [key.public_key.to_verification_method(method_id, SCHOOL)],
        "assertionMethod": [method_id],
    }
    bound = _verify(session, settings, signed, offline={list_url: signed_list, SCHOOL: document})
    assert bound.verified, bound.checks


def test_public_page_state_for_an_unconfirmed_key(
    session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    result = _verify(session, settings, forged_jwt(world["credential"].jwt))
    view = reduce_result(result, now=LATER)
    assert view.state is State.amber
    assert view.issuer_unconfirmed and not view.verified
