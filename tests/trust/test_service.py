"""The trust registry: adding, changing and removing entries; its documents stand in for
fetches in verification; the result says whether the issuer is known."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from app.config import Settings
from app.errors import Conflict, NotFound, ValidationFailed
from app.keys import KeySigner, generate_private_key
from app.models import AuditEvent, TrustedIssuer
from app.net.fetch import FetchError
from app.organizations.service import issuer_did
from app.trust.service import (
    add_trusted_issuer,
    document_url,
    fetch_issuer_documents,
    get_trusted_issuer,
    issuer_trust,
    list_trusted_issuers,
    remove_trusted_issuer,
    update_trusted_issuer,
)
from app.vc.jwt import encode_vc_jwt
from app.vc.openbadges import (
    AchievementData,
    CredentialData,
    IssuerProfile,
    SubjectData,
    build_credential,
)
from app.verification.service import verify
from tests.factories import make_org
from tests.verification.test_foreign_issuers import DID, DID_URL, NOW, _credential, _issuer_keys
from tests.verification.test_service import NoNetwork, codes, statuses

HTTPS_ISSUER = "https://school.example/issuer"
JWKS_URL = "https://school.example/jwks.json"


def _jwks_issuer() -> tuple[KeySigner, dict[str, Any]]:
    key = generate_private_key("ES256")
    signer = KeySigner(key, f"{JWKS_URL}#k1")
    return signer, {"keys": [{**key.public_key.to_jwk(), "kid": "k1"}]}


def _jwt_credential(signer: KeySigner) -> str:
    unsigned = build_credential(
        CredentialData(
            id="https://school.example/c/2",
            issuer=IssuerProfile(
                id=HTTPS_ISSUER,
                name="Koulu",
                url="https://school.example",
                email="i@school.example",
            ),
            achievement=AchievementData(
                id="https://school.example/a/2",
                name="Trukki",
                description="Osaa ajaa trukkia.",
                criteria_narrative="Ajoi.",
                achievement_type="Competency",
            ),
            subject=SubjectData(id="did:example:learner"),
            valid_from=NOW - timedelta(days=1),
        )
    )
    return encode_vc_jwt(unsigned, signer=signer)


def _audit_actions(session: Session) -> list[str]:
    return [
        e.action
        for e in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()  # type: ignore[arg-type]
        if e.action.startswith("trust.")
    ]


def test_did_web_issuer_with_its_did_document(session: Session, settings: Settings) -> None:
    _, did_doc = _issuer_keys()
    entry = add_trusted_issuer(
        session,
        settings=settings,
        issuer_id=DID,
        name="Koulu",
        documents={"": did_doc},
        actor_user_id=None,
    )
    assert entry.documents == {DID_URL: did_doc}  # the URL follows from the DID
    assert [e.issuer_id for e in list_trusted_issuers(session)] == [DID]
    assert issuer_trust(session, settings).trust_of(DID) == "registry"
    assert _audit_actions(session) == ["trust.add"]


def test_registered_documents_make_verification_offline(
    session: Session, settings: Settings
) -> None:
    signer, did_doc = _issuer_keys()
    credential = _credential(settings, signer)
    unknown = NoNetwork()
    before = verify(session, settings, credential, now=NOW, fetcher=unknown)  # type: ignore[arg-type]
    assert not before.verified and unknown.urls == [DID_URL]

    add_trusted_issuer(
        session, settings=settings, issuer_id=DID, name="Koulu", documents={"": did_doc}
    )
    offline = NoNetwork()
    after = verify(session, settings, credential, now=NOW, fetcher=offline)  # type: ignore[arg-type]
    assert after.verified, after.checks
    assert statuses(after)["issuer"] == "passed"
    assert offline.urls == []

    remove_trusted_issuer(session, issuer_id=DID)
    again = NoNetwork()
    removed = verify(session, settings, credential, now=NOW, fetcher=again)  # type: ignore[arg-type]
    assert not removed.verified and again.urls == [DID_URL]
    assert _audit_actions(session) == ["trust.add", "trust.remove"]


def test_a_registered_jwks_ties_its_keys_to_the_issuer(
    session: Session, settings: Settings
) -> None:
    signer, jwks = _jwks_issuer()
    token = _jwt_credential(signer)
    # The same JWKS given without the registry proves integrity but names no owner: the
    # key cannot be bound to the issuer.
    loose = verify(session, settings, token, now=NOW, offline={JWKS_URL: jwks}, fetcher=NoNetwork())  # type: ignore[arg-type]
    assert statuses(loose)["proof"] == "passed"
    assert "key_unbound" in codes(loose) and not loose.verified
    assert loose.outcome == "issuer_unconfirmed"

    with pytest.raises(ValidationFailed, match="URL"):
        add_trusted_issuer(
            session, settings=settings, issuer_id=HTTPS_ISSUER, name="K", documents={"": jwks}
        )
    add_trusted_issuer(
        session, settings=settings, issuer_id=HTTPS_ISSUER, name="K", documents={JWKS_URL: jwks}
    )
    fetcher = NoNetwork()
    result = verify(session, settings, token, now=NOW, fetcher=fetcher)  # type: ignore[arg-type]
    assert result.verified, result.checks
    assert statuses(result)["issuer"] == "passed" and fetcher.urls == []


def test_our_own_organizations_are_known_and_not_registrable(
    session: Session, settings: Settings
) -> None:
    org = make_org(session, settings)
    own = issuer_did(settings, org)
    assert issuer_trust(session, settings).trust_of(own) == "own"
    with pytest.raises(Conflict, match="own issuer"):
        add_trusted_issuer(session, settings=settings, issuer_id=own, name="x")
    did_doc = _issuer_keys()[1]
    add_trusted_issuer(
        session, settings=settings, issuer_id=DID, name="Koulu", documents={"": did_doc}
    )
    with pytest.raises(Conflict, match="already"):
        add_trusted_issuer(
            session, settings=settings, issuer_id=DID, name="Koulu", documents={"": did_doc}
        )


@pytest.mark.parametrize(
    "issuer_id", ["urn:uuid:1234", "http://school.example", "did:web:", "did:key:zzz", ""]
)
def test_issuer_ids_must_be_resolvable(
    session: Session, settings: Settings, issuer_id: str
) -> None:
    with pytest.raises(ValidationFailed, match="issuer id"):
        add_trusted_issuer(session, settings=settings, issuer_id=issuer_id, name="x")


def test_an_entry_needs_key_documents(session: Session, settings: Settings) -> None:
    """The registry trusts keys, not names: a did:web or https issuer without documents is
    refused, and an entry without documents (left from before) gives no trust."""
    with pytest.raises(ValidationFailed, match="key document"):
        add_trusted_issuer(session, settings=settings, issuer_id=DID, name="Koulu")
    with pytest.raises(ValidationFailed, match="key document"):
        add_trusted_issuer(session, settings=settings, issuer_id=HTTPS_ISSUER, name="Koulu")
    did_key = generate_private_key("Ed25519").public_key.to_did_key()
    add_trusted_issuer(session, settings=settings, issuer_id=did_key, name="Avain")
    assert issuer_trust(session, settings).trust_of(did_key) == "registry"
    session.add(TrustedIssuer(issuer_id=HTTPS_ISSUER, name="Vanha", documents={}))
    session.flush()
    assert issuer_trust(session, settings).trust_of(HTTPS_ISSUER) is None


def test_an_https_issuer_added_without_documents_is_refused_and_its_forgery_unknown(
    session: Session, settings: Settings
) -> None:
    """The attack of issue #11: `trust add https://school.example/issuer` with no document,
    then a credential naming `issuer#z6Mk<attacker key>`."""
    from app.credentials.documents import document_loader
    from tests.forgery import forged_data_integrity

    signer, _ = _issuer_keys()
    credential = _credential(settings, signer)
    with pytest.raises(ValidationFailed):
        add_trusted_issuer(session, settings=settings, issuer_id=HTTPS_ISSUER, name="Koulu")
    session.add(TrustedIssuer(issuer_id=HTTPS_ISSUER, name="Vanha", documents={}))
    session.flush()
    forged, _ = forged_data_integrity(
        credential, document_loader(settings), created=NOW, issuer=HTTPS_ISSUER
    )
    result = verify(session, settings, forged, now=NOW, fetcher=NoNetwork())  # type: ignore[arg-type]
    assert result.outcome == "issuer_unconfirmed" and not result.verified
    from app.verification.summary import to_api

    answer = to_api(session, settings, result)
    assert answer.credential is not None and answer.credential.issuer.known is False


def test_fetch_issuer_documents_pins_what_the_issuer_publishes() -> None:
    _, did_doc = _issuer_keys()
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return json.dumps(did_doc).encode()

    assert fetch_issuer_documents(DID, fetch) == {DID_URL: did_doc}
    assert fetched == [DID_URL]

    def unreachable(url: str) -> bytes:
        raise FetchError(f"{url} could not be fetched.")

    with pytest.raises(ValidationFailed, match="could not be fetched"):
        fetch_issuer_documents(DID, unreachable)
    with pytest.raises(ValidationFailed, match="JSON"):
        fetch_issuer_documents(HTTPS_ISSUER, lambda url: b"<html>")
    with pytest.raises(ValidationFailed, match="no keys"):
        fetch_issuer_documents(HTTPS_ISSUER, lambda url: b'{"id": "https://school.example/issuer"}')


def test_documents_must_belong_to_the_issuer() -> None:
    _, did_doc = _issuer_keys()
    other_did = "did:web:evil.example"
    with pytest.raises(ValidationFailed, match="not the issuer"):
        document_url(other_did, did_doc)
    # Another issuer's JWKS cannot be attached under a URL on a foreign host.
    _, jwks = _jwks_issuer()
    with pytest.raises(ValidationFailed, match="own host"):
        document_url(HTTPS_ISSUER, jwks, "https://evil.example/jwks.json")
    with pytest.raises(ValidationFailed, match="https"):
        document_url(HTTPS_ISSUER, jwks, "http://school.example/jwks.json")
    with pytest.raises(ValidationFailed, match="published at"):
        document_url(DID, did_doc, "https://badges.school.example/other.json")
    key = generate_private_key("Ed25519").public_key
    key_doc = key.to_verification_method("https://school.example/keys/1", "https://x.example")
    with pytest.raises(ValidationFailed, match="controller"):
        document_url(HTTPS_ISSUER, key_doc)
    key_doc["controller"] = HTTPS_ISSUER
    assert document_url(HTTPS_ISSUER, key_doc) == "https://school.example/keys/1"
    with pytest.raises(ValidationFailed, match="no keys"):
        document_url(HTTPS_ISSUER, {"id": HTTPS_ISSUER, "type": "Profile"})
    with pytest.raises(ValidationFailed, match="private"):
        private = generate_private_key("ES256")
        jwk = {**private.public_key.to_jwk(), "kid": "k", "d": "AAAA"}
        document_url(HTTPS_ISSUER, {"keys": [jwk]}, JWKS_URL)
    did_key = generate_private_key("Ed25519").public_key.to_did_key()
    with pytest.raises(ValidationFailed, match="needs no documents"):
        document_url(did_key, did_doc)


def test_update_and_remove(session: Session, settings: Settings) -> None:
    _, did_doc = _issuer_keys()
    _, new_doc = _issuer_keys()
    add_trusted_issuer(
        session, settings=settings, issuer_id=DID, name="Koulu", documents={"": did_doc}
    )
    entry = update_trusted_issuer(
        session, issuer_id=DID, name="Uusi nimi", note="sopimus 2026", documents={"": new_doc}
    )
    assert entry.name == "Uusi nimi" and list(entry.documents) == [DID_URL]
    assert issuer_trust(session, settings).documents == {DID_URL: new_doc}
    # The last key document cannot be removed: the entry would give no trust.
    with pytest.raises(ValidationFailed, match="without key documents"):
        update_trusted_issuer(session, issuer_id=DID, remove_documents=[DID_URL])
    with pytest.raises(NotFound):
        update_trusted_issuer(session, issuer_id=DID, remove_documents=["https://x.example/k"])
    with pytest.raises(ValidationFailed):
        update_trusted_issuer(session, issuer_id=DID, name="  ")
    with pytest.raises(ValidationFailed, match="at most 200"):
        update_trusted_issuer(session, issuer_id=DID, name="x" * 201)
    with pytest.raises(ValidationFailed, match="web site"):
        update_trusted_issuer(session, issuer_id=DID, url="ftp://school.example")
    remove_trusted_issuer(session, issuer_id=DID)
    with pytest.raises(NotFound):
        get_trusted_issuer(session, issuer_id=DID)
    with pytest.raises(NotFound):
        remove_trusted_issuer(session, issuer_id=DID)
    assert _audit_actions(session) == ["trust.add", "trust.update", "trust.remove"]
