"""Proofs remembered as verified (app.vc.dataintegrity.VerifiedProofs): the same result as
without them, the key asked for on every call, a changed document checked in full, bounded."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.keys import PrivateKey, StaticKeyResolver, generate_private_key
from app.vc import dataintegrity
from app.vc.contexts import DocumentLoader
from app.vc.dataintegrity import VerifiedProofs, add_proof, verify_proof
from app.vc.errors import KeyResolutionError
from app.vc.types import PublicKey

from .test_dataintegrity import NOW, minimal_badge, signer_for


@pytest.fixture(scope="module")
def ed_key() -> PrivateKey:
    return generate_private_key("Ed25519")


def _signed(loader: DocumentLoader, key: PrivateKey, **extra: Any) -> dict[str, Any]:
    signer = signer_for(key)
    return add_proof(
        minimal_badge(),
        signer=signer,
        verification_method=signer.key_id,
        created=NOW,
        document_loader=loader,
        **extra,
    )


def _method(document: dict[str, Any]) -> str:
    return str(document["proof"][0]["verificationMethod"])


class CountingResolver:
    """A resolver that counts its calls and can be told to refuse (a withdrawn key)."""

    def __init__(self, keys: dict[str, PublicKey]) -> None:
        self.keys = keys
        self.calls = 0
        self.withdrawn = False

    def __call__(self, method_id: str) -> PublicKey:
        self.calls += 1
        if self.withdrawn:
            raise KeyResolutionError(f"{method_id} has been withdrawn by the issuer")
        return StaticKeyResolver(self.keys)(method_id)


@pytest.fixture
def canonicalizations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts canonicalizations done by verify_proof."""
    calls: list[int] = []
    original: Callable[..., str] = dataintegrity.canonicalize

    def counting(*args: Any, **kwargs: Any) -> str:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(dataintegrity, "canonicalize", counting)
    return calls


def _outcome(result: dataintegrity.ProofResult) -> tuple[Any, ...]:
    return (result.verified, result.error, result.checks)


def test_a_remembered_proof_skips_only_the_canonicalization(
    loader: DocumentLoader, ed_key: PrivateKey, canonicalizations: list[int]
) -> None:
    signed = _signed(loader, ed_key)
    resolver = CountingResolver({_method(signed): ed_key.public_key})
    memo = VerifiedProofs()
    first = verify_proof(
        signed, public_key_resolver=resolver, document_loader=loader, verified_proofs=memo
    )
    assert first.verified and len(memo) == 1
    done = len(canonicalizations)
    again = verify_proof(
        copy.deepcopy(signed),
        public_key_resolver=resolver,
        document_loader=loader,
        verified_proofs=memo,
    )
    assert _outcome(again) == _outcome(first)
    assert len(canonicalizations) == done  # no canonicalization the second time
    assert resolver.calls == 2  # but the key was asked for both times
    plain = verify_proof(signed, public_key_resolver=resolver, document_loader=loader)
    assert _outcome(plain) == _outcome(first)


def test_a_tampered_document_is_refused_after_the_genuine_one_was_remembered(
    loader: DocumentLoader, ed_key: PrivateKey
) -> None:
    signed = _signed(loader, ed_key)
    resolver = CountingResolver({_method(signed): ed_key.public_key})
    memo = VerifiedProofs()
    assert verify_proof(
        signed, public_key_resolver=resolver, document_loader=loader, verified_proofs=memo
    ).verified
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["name"] += "!"
    reordered = {k: signed[k] for k in reversed(list(signed))}  # same JSON-LD, other text
    other_signature = copy.deepcopy(signed)
    other_signature["proof"][0]["proofValue"] = _signed(loader, generate_private_key("Ed25519"))[
        "proof"
    ][0]["proofValue"]
    for document in (tampered, other_signature):
        remembered = verify_proof(
            document, public_key_resolver=resolver, document_loader=loader, verified_proofs=memo
        )
        plain = verify_proof(document, public_key_resolver=resolver, document_loader=loader)
        assert not remembered.verified
        assert _outcome(remembered) == _outcome(plain)
    # A document with the same meaning but other bytes is simply checked in full.
    assert verify_proof(
        reordered, public_key_resolver=resolver, document_loader=loader, verified_proofs=memo
    ).verified
    # And the genuine one is still remembered, and still verifies.
    assert verify_proof(
        signed, public_key_resolver=resolver, document_loader=loader, verified_proofs=memo
    ).verified


def test_a_withdrawn_key_fails_even_when_the_proof_was_remembered(
    loader: DocumentLoader, ed_key: PrivateKey
) -> None:
    signed = _signed(loader, ed_key)
    resolver = CountingResolver({_method(signed): ed_key.public_key})
    memo = VerifiedProofs()
    assert verify_proof(
        signed, public_key_resolver=resolver, document_loader=loader, verified_proofs=memo
    ).verified
    resolver.withdrawn = True
    remembered = verify_proof(
        signed, public_key_resolver=resolver, document_loader=loader, verified_proofs=memo
    )
    plain = verify_proof(signed, public_key_resolver=resolver, document_loader=loader)
    assert not remembered.verified
    assert "withdrawn" in remembered.reasons[-1]
    assert _outcome(remembered) == _outcome(plain)


def test_another_key_for_the_same_method_is_checked_in_full(
    loader: DocumentLoader, ed_key: PrivateKey
) -> None:
    """The key is part of what is remembered: a resolver that now gives another key (the
    method id re-pointed) gets a real signature check, which fails."""
    signed = _signed(loader, ed_key)
    memo = VerifiedProofs()
    good = CountingResolver({_method(signed): ed_key.public_key})
    assert verify_proof(
        signed, public_key_resolver=good, document_loader=loader, verified_proofs=memo
    ).verified
    other = CountingResolver({_method(signed): generate_private_key("Ed25519").public_key})
    result = verify_proof(
        signed, public_key_resolver=other, document_loader=loader, verified_proofs=memo
    )
    assert not result.verified
    assert "signature does not match" in result.reasons[-1]


def test_an_expired_proof_fails_even_when_remembered(
    loader: DocumentLoader, ed_key: PrivateKey
) -> None:
    signed = _signed(loader, ed_key, expires=NOW + timedelta(days=1))
    resolver = CountingResolver({_method(signed): ed_key.public_key})
    memo = VerifiedProofs()
    assert verify_proof(
        signed, public_key_resolver=resolver, document_loader=loader, now=NOW, verified_proofs=memo
    ).verified
    later = verify_proof(
        signed,
        public_key_resolver=resolver,
        document_loader=loader,
        now=NOW + timedelta(days=2),
        verified_proofs=memo,
    )
    assert not later.verified and "expired" in later.reasons[-1]


def test_failures_are_not_remembered_and_the_memo_is_bounded(
    loader: DocumentLoader, ed_key: PrivateKey
) -> None:
    memo = VerifiedProofs(maxsize=2)
    documents = []
    for n in range(3):
        badge = _signed(loader, ed_key)
        badge["name"] = f"{badge['name']} {n}"  # a changed copy: refused, not remembered
        documents.append(badge)
    resolver = CountingResolver({_method(documents[0]): ed_key.public_key})
    for document in documents:
        verify_proof(
            document, public_key_resolver=resolver, document_loader=loader, verified_proofs=memo
        )
    assert len(memo) == 0
    signer = signer_for(ed_key)
    for n in range(3):
        badge = minimal_badge()
        badge["name"] = f"Merkki {n}"
        signed = add_proof(
            badge,
            signer=signer,
            verification_method=signer.key_id,
            created=datetime(2025, 1, 2, tzinfo=UTC),
            document_loader=loader,
        )
        assert verify_proof(
            signed, public_key_resolver=resolver, document_loader=loader, verified_proofs=memo
        ).verified
    assert len(memo) == 2  # the least recently used was dropped


def test_nothing_is_remembered_for_a_loader_whose_documents_may_change(
    loader: DocumentLoader, ed_key: PrivateKey
) -> None:
    signed = _signed(loader, ed_key)
    resolver = CountingResolver({_method(signed): ed_key.public_key})
    memo = VerifiedProofs()

    def changing_loader(url: str, options: Any = None) -> dict[str, Any]:
        return loader(url, options or {})

    assert verify_proof(
        signed, public_key_resolver=resolver, document_loader=changing_loader, verified_proofs=memo
    ).verified
    assert len(memo) == 0


def test_only_plain_json_is_remembered(loader: DocumentLoader, ed_key: PrivateKey) -> None:
    """A tuple is written as a JSON array, yet is not one to PyLD: such a document is never
    taken for the JSON one with the same text."""
    signed = _signed(loader, ed_key)
    resolver = CountingResolver({_method(signed): ed_key.public_key})
    memo = VerifiedProofs()
    odd = copy.deepcopy(signed)
    odd["type"] = tuple(odd["type"])
    plain = verify_proof(odd, public_key_resolver=resolver, document_loader=loader)
    remembered = verify_proof(
        odd, public_key_resolver=resolver, document_loader=loader, verified_proofs=memo
    )
    assert _outcome(remembered) == _outcome(plain)
    assert len(memo) == 0
