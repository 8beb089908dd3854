"""Public-key resolvers."""

from __future__ import annotations

import pytest

from app.keys import (
    ControllerDocumentResolver,
    StaticKeyResolver,
    chain_resolvers,
    generate_private_key,
    resolve_did_key,
)
from app.vc.errors import KeyResolutionError


def test_resolve_did_key() -> None:
    for algorithm in ("Ed25519", "ES256"):
        public = generate_private_key(algorithm).public_key
        did = public.to_did_key()
        assert resolve_did_key(f"{did}#{public.to_multikey()}") == public
    with pytest.raises(KeyResolutionError, match="not a did:key"):
        resolve_did_key("https://example.com/key")
    with pytest.raises(KeyResolutionError, match="invalid did:key"):
        resolve_did_key("did:key:zBad")


def test_static_resolver() -> None:
    public = generate_private_key("Ed25519").public_key
    resolver = StaticKeyResolver({"urn:k": public})
    assert resolver("urn:k") is public
    with pytest.raises(KeyResolutionError, match="unknown verification method urn:x"):
        resolver("urn:x")


def test_controller_document_resolver() -> None:
    public = generate_private_key("ES256").public_key
    issuer = "https://osaamispassi.example/issuers/eduro"
    document = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": issuer,
        "verificationMethod": [public.to_verification_method(f"{issuer}#key-1", issuer)],
        "assertionMethod": [f"{issuer}#key-1"],
    }
    resolver = ControllerDocumentResolver([document])
    assert resolver(f"{issuer}#key-1") == public
    with pytest.raises(KeyResolutionError, match="no controller document"):
        resolver("https://other.example/issuers/1#key-1")
    with pytest.raises(KeyResolutionError, match="not found"):
        resolver(f"{issuer}#key-2")
    document["assertionMethod"] = []
    with pytest.raises(KeyResolutionError, match="not listed under assertionMethod"):
        ControllerDocumentResolver([document])(f"{issuer}#key-1")


def test_chain_resolvers() -> None:
    public = generate_private_key("Ed25519").public_key
    chained = chain_resolvers(resolve_did_key, StaticKeyResolver({"urn:k": public}))
    assert chained("urn:k") is public
    assert chained(public.to_did_key()) == public
    with pytest.raises(KeyResolutionError) as info:
        chained("urn:none")
    assert "not a did:key" in str(info.value) and "unknown verification method" in str(info.value)
