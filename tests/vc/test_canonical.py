"""Strict RDFC-1.0 canonicalization."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from app.vc.canonical import canonicalize
from app.vc.contexts import OB_V3P0_3_0_3, VC_V2, DocumentLoader
from app.vc.errors import (
    CanonicalizationError,
    RelativeIriError,
    UndefinedTermError,
    UnknownContextError,
)

from .conftest import load_json

GUIDE = "vectors/ob-v3p0-impl-guide-eddsa-rdfc-2022/unsigned-credential.json"


@pytest.fixture
def badge() -> dict[str, Any]:
    return copy.deepcopy(load_json(GUIDE))


def test_guide_credential_canonicalizes(badge: dict[str, Any], loader: DocumentLoader) -> None:
    nquads = canonicalize(badge, document_loader=loader)
    assert nquads.endswith(" .\n")
    assert "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential>" in nquads


def test_input_is_not_modified(badge: dict[str, Any], loader: DocumentLoader) -> None:
    before = copy.deepcopy(badge)
    canonicalize(badge, document_loader=loader)
    assert badge == before


@pytest.mark.parametrize(
    ("mutate", "term", "path"),
    [
        (lambda d: d.update(colour="green"), "colour", "$.colour"),
        (
            lambda d: d["credentialSubject"].update(diagnosis="x"),
            "diagnosis",
            "$.credentialSubject.diagnosis",
        ),
        (
            lambda d: d["credentialSubject"]["achievement"]["criteria"].update(extra=1),
            "extra",
            "$.credentialSubject.achievement.criteria.extra",
        ),
    ],
)
def test_undefined_property_is_refused(
    badge: dict[str, Any], loader: DocumentLoader, mutate: Any, term: str, path: str
) -> None:
    mutate(badge)
    with pytest.raises(UndefinedTermError) as info:
        canonicalize(badge, document_loader=loader)
    assert info.value.term == term
    assert path in info.value.paths
    assert term in str(info.value) and path in str(info.value)


def test_undefined_type_is_refused(badge: dict[str, Any], loader: DocumentLoader) -> None:
    badge["type"] = [*badge["type"], "WorkshopBadge"]
    with pytest.raises(UndefinedTermError, match="WorkshopBadge") as info:
        canonicalize(badge, document_loader=loader)
    assert info.value.kind == "type"
    assert "$.type[2]" in info.value.paths


@pytest.mark.parametrize(
    ("mutate", "iri", "path"),
    [
        (lambda d: d.update(id="credentials/3732"), "credentials/3732", "$.id"),
        (lambda d: d["issuer"].update(id="issuers/1"), "issuers/1", "$.issuer.id"),
        (
            lambda d: d["credentialSubject"]["achievement"].update(id="a1"),
            "a1",
            "$.credentialSubject.achievement.id",
        ),
    ],
)
def test_relative_iri_is_refused(
    badge: dict[str, Any], loader: DocumentLoader, mutate: Any, iri: str, path: str
) -> None:
    mutate(badge)
    with pytest.raises(RelativeIriError) as info:
        canonicalize(badge, document_loader=loader)
    assert info.value.iri == iri
    assert path in info.value.paths


def test_pyld_alone_would_have_signed_these(badge: dict[str, Any], loader: DocumentLoader) -> None:
    """Without the strict checks PyLD drops the term and invents a base: the checks matter."""
    badge["colour"] = "green"
    badge["id"] = "credentials/3732"
    lenient = canonicalize(badge, document_loader=loader, strict=False)
    assert "green" not in lenient
    assert "http://example.org/base/credentials/3732" in lenient


def test_unpinned_context_is_named(badge: dict[str, Any], loader: DocumentLoader) -> None:
    badge["@context"] = [*badge["@context"], "https://contexts.example/extra.json"]
    with pytest.raises(UnknownContextError, match=re.escape("https://contexts.example/extra.json")):
        canonicalize(badge, document_loader=loader)


def test_invalid_json_ld_is_a_canonicalization_error(loader: DocumentLoader) -> None:
    with pytest.raises(CanonicalizationError):
        canonicalize({"@context": [VC_V2], "@id": {"not": "a string"}}, document_loader=loader)


def test_direction_uses_i18n_datatype(loader: DocumentLoader) -> None:
    document = {
        "@context": [VC_V2, OB_V3P0_3_0_3],
        "id": "urn:uuid:0f0e4c4e-9d7c-4c5a-8d0a-2b3c4d5e6f70",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": "https://osaamispassi.example/issuers/1",
        "validFrom": "2025-01-01T00:00:00Z",
        "name": {"@value": "شارة", "@language": "ar", "@direction": "rtl"},
        "credentialSubject": {"id": "did:example:1", "type": ["AchievementSubject"]},
    }
    nquads = canonicalize(document, document_loader=loader)
    assert '"شارة"^^<https://www.w3.org/ns/i18n#ar_rtl>' in nquads
