"""The memoised canonicalization gives exactly what plain PyLD gives, and cannot leak.

``canonicalize`` (memoised context processing, see ``app/vc/canonical.py``) is compared
byte for byte with ``canonicalize_reference`` (the same strict checks over plain PyLD) on
every JSON-LD document among the shared vectors, on credentials built by
``build_credential`` from many inputs, and on hand-written documents exercising language,
direction, embedded/scoped contexts, ``@vocab``, ``@base``, ``@json``, lists, graphs and
errors. Further tests pin the PyLD internals the memo relies on, show that a memo belongs
to one loader, and run it from many threads at once.
"""

from __future__ import annotations

import copy
import inspect
import json
import random
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from frozendict import frozendict
from pyld import jsonld

from app.vc import canonical
from app.vc.canonical import (
    ContextMemo,
    canonicalize,
    canonicalize_reference,
    context_memo,
    loader_is_immutable,
)
from app.vc.contexts import (
    CLR_V2P0_2_0_1,
    DATA_INTEGRITY_V2,
    DID_V1,
    MULTIKEY_V1,
    OB_V3P0_3_0_3,
    OB_V3P0_EXTENSIONS,
    VC_V1,
    VC_V2,
    DocumentLoader,
)
from app.vc.errors import CanonicalizationError, RelativeIriError, UndefinedTermError
from app.vc.openbadges import (
    AchievementData,
    Alignment,
    CredentialData,
    EvidenceData,
    IssuerProfile,
    StatusEntry,
    SubjectData,
    build_credential,
)
from app.vc.statuslist import build_status_list_credential, new_bitstring

from .conftest import load_json, require, standards_dir

Outcome = tuple[str, str]


def outcome(fn: Callable[..., str], document: Mapping[str, Any], loader: Any, **kw: Any) -> Outcome:
    """``("ok", nquads)`` or ``(error class name, message)``."""
    try:
        return ("ok", fn(document, document_loader=loader, **kw))
    except CanonicalizationError as exc:  # includes the strict-check errors
        return (type(exc).__name__, str(exc))
    except Exception as exc:  # ContextError and anything else: compare the same way
        return (type(exc).__name__, str(exc))


def assert_same(document: Mapping[str, Any], loader: Any, *, strict: bool = True) -> Outcome:
    before = copy.deepcopy(document)
    fast = outcome(canonicalize, document, loader, strict=strict)
    reference = outcome(canonicalize_reference, document, loader, strict=strict)
    assert fast == reference
    # again: the second call is served from the warm context memo and keeps the repeated
    # nodes' expansions, the third is served from those too
    assert outcome(canonicalize, document, loader, strict=strict) == reference
    assert outcome(canonicalize, document, loader, strict=strict) == reference
    assert document == before
    return reference


# --------------------------------------------------------------------------- vectors
def vector_documents() -> list[tuple[str, dict[str, Any]]]:
    """Every JSON-LD document in the vectors, plus the unsecured form and proof configs."""
    base = standards_dir() / "vectors"
    if not base.is_dir():
        return []
    out: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(base.rglob("*.json")):
        name = str(path.relative_to(base))
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "@context" not in data:
            continue
        out.append((name, data))
        proofs = data.get("proof")
        if proofs is None:
            continue
        unsecured = {k: v for k, v in data.items() if k != "proof"}
        out.append((f"{name} (unsecured)", unsecured))
        for i, proof in enumerate(proofs if isinstance(proofs, list) else [proofs]):
            if isinstance(proof, dict):
                config = {k: v for k, v in proof.items() if k != "proofValue"}
                config["@context"] = data["@context"]
                out.append((f"{name} (proof {i} config)", config))
    return out


VECTOR_DOCUMENTS = vector_documents()


@pytest.mark.skipif(not VECTOR_DOCUMENTS, reason="shared standards vectors missing")
@pytest.mark.parametrize(
    ("name", "document"), VECTOR_DOCUMENTS, ids=[n for n, _ in VECTOR_DOCUMENTS]
)
@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
def test_vectors_match_plain_pyld(
    name: str, document: dict[str, Any], strict: bool, loader: DocumentLoader
) -> None:
    assert_same(document, loader, strict=strict)


def test_vector_expectations_hold_with_fast_path(loader: DocumentLoader) -> None:
    """The published canonical N-Quads come out of the fast path after a warm memo."""
    guide = load_json("vectors/ob-v3p0-impl-guide-eddsa-rdfc-2022/unsigned-credential.json")
    guide_nq = require("vectors/ob-v3p0-impl-guide-eddsa-rdfc-2022/document-canon.nq")
    expected = guide_nq.read_text(encoding="utf-8")
    for _ in range(3):
        assert canonicalize(guide, document_loader=loader) == expected
    w3c = load_json("vectors/w3c-vc-di-eddsa/unsigned.json")
    w3c_nq = require("vectors/w3c-vc-di-eddsa/eddsa-rdfc-2022/canonDocDataInt.nq")
    expected_w3c = w3c_nq.read_text(encoding="utf-8")
    for _ in range(3):
        assert canonicalize(w3c, document_loader=loader) == expected_w3c


def test_all_vectors_interleaved_in_random_order(loader: DocumentLoader) -> None:
    """A memo warmed by other shapes never changes a result."""
    if not VECTOR_DOCUMENTS:
        pytest.skip("shared standards vectors missing")
    expected = {
        name: outcome(canonicalize_reference, doc, loader) for name, doc in VECTOR_DOCUMENTS
    }
    order = [name for name, _ in VECTOR_DOCUMENTS] * 3
    random.Random(20250314).shuffle(order)
    documents = dict(VECTOR_DOCUMENTS)
    for name in order:
        assert outcome(canonicalize, documents[name], loader) == expected[name], name


# --------------------------------------------------------------------------- built credentials
NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def make_credential(
    *,
    alignments: int = 8,
    email: bool = True,
    image: bool = True,
    evidence: int = 1,
    status: bool = True,
    valid_until: bool = True,
    tags: tuple[str, ...] = ("puutyöt", "työpaja"),
    name: str | None = None,
    version: str | None = "3",
    criteria_id: bool = False,
    extra_types: tuple[str, ...] = (),
) -> dict[str, Any]:
    origin = "https://osaamispassi.example"
    achievement_id = f"{origin}/badges/puutyot/v3"
    return build_credential(
        CredentialData(
            id=f"{origin}/credentials/abc{alignments}{evidence}",
            issuer=IssuerProfile(
                id="did:web:osaamispassi.example:orgs:eduro",
                name="Eduro-säätiö",
                url="https://www.eduro.fi",
                email="merkit@eduro.fi",
                image=f"{origin}/orgs/eduro/logo.png" if image else None,
                description="Työpajatoimintaa" if image else None,
            ),
            achievement=AchievementData(
                id=achievement_id,
                name="Puutöiden perusteet",
                description="Osaaja valmistaa puutuotteita turvallisesti.",
                criteria_narrative="Valmentaja havainnoi, että osaaja:\n\n- mittaa\n- sahaa",
                achievement_type="Competency",
                image=f"{achievement_id}/image.svg" if image else None,
                image_caption="Puutöiden perusteet" if image else None,
                version=version,
                tags=tags,
                criteria_id=f"{achievement_id}#criteria" if criteria_id else None,
                alignments=[
                    Alignment(
                        target_name=f"Opiskelija osaa asian {i}.",
                        target_url=f"https://eperusteet.opintopolku.fi/#/tutkinnonosa/{i}",
                        target_code=f"tutkinnonosat_10544{i}" if i % 3 else None,
                        target_framework="ePerusteet: Puuteollisuuden perustutkinto",
                        target_type=("ext:TutkinnonOsa", "CFItem", None)[i % 3],
                        target_description=f"{i} osp" if i % 2 else None,
                    )
                    for i in range(alignments)
                ],
            ),
            subject=SubjectData(
                id="urn:uuid:7d4f0a52-52a7-4c57-9bb5-2f6f3c1b9a10",
                email="Matti@Example.fi" if email else None,
                salt="5f1c2a9e0b7d4c33" if email else None,
            ),
            valid_from=NOW,
            valid_until=NOW.replace(year=2028) if valid_until else None,
            evidence=[
                EvidenceData(
                    narrative=f"Näyttö {i}",
                    name=f"Havainto {i}" if i % 2 == 0 else None,
                    description="Kuvaus" if i == 1 else None,
                    genre="Havainnointi" if i == 2 else None,
                    id=f"{origin}/evidence/{i}" if i == 3 else None,
                )
                for i in range(evidence)
            ],
            status=StatusEntry(f"{origin}/status/eduro/1", 48213 + evidence) if status else None,
            name=name,
            extra_types=extra_types,
        )
    )


BUILT: list[tuple[str, dict[str, Any]]] = [
    ("typical", make_credential()),
    ("minimal", make_credential(alignments=0, email=False, image=False, evidence=0,
                                status=False, valid_until=False, tags=(), version=None)),
    ("many alignments", make_credential(alignments=25, evidence=4, criteria_id=True)),
    ("one alignment", make_credential(alignments=1, email=False, name="Oma nimi")),
    ("no status", make_credential(status=False, evidence=2)),
    ("undefined extra type", make_credential(extra_types=("WorkshopBadge",))),
    ("achievement credential type", make_credential(extra_types=("AchievementCredential",))),
]  # fmt: skip


@pytest.mark.parametrize(("name", "credential"), BUILT, ids=[n for n, _ in BUILT])
def test_built_credentials_match_plain_pyld(
    name: str, credential: dict[str, Any], loader: DocumentLoader
) -> None:
    result = assert_same(credential, loader)
    if name == "undefined extra type":
        assert result[0] == "UndefinedTermError"
    else:
        assert result[0] == "ok", result


def test_status_list_credential_matches(loader: DocumentLoader) -> None:
    status_list = build_status_list_credential(
        list_id="https://osaamispassi.example/status/eduro/1",
        issuer="did:web:osaamispassi.example:orgs:eduro",
        purpose="revocation",
        bits=new_bitstring(),
        valid_from=NOW,
        valid_until=NOW.replace(day=15),
    )
    assert assert_same(status_list, loader)[0] == "ok"


# --------------------------------------------------------------------------- hand-written shapes
CID = "urn:uuid:0f0e4c4e-9d7c-4c5a-8d0a-2b3c4d5e6f70"


def base_doc(**extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": [VC_V2, OB_V3P0_3_0_3],
        "id": CID,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://osaamispassi.example/issuers/1", "type": ["Profile"]},
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:1",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://osaamispassi.example/a/1",
                "type": ["Achievement"],
                "name": "Merkki",
                "criteria": {"narrative": "x"},
            },
        },
    }
    doc.update(extra)
    return doc


SHAPES: list[tuple[str, dict[str, Any]]] = [
    ("language + direction", base_doc(
        name={"@value": "شارة", "@language": "ar", "@direction": "rtl"},
        description={"@value": "Merkki", "@language": "fi"},
    )),
    ("direction ltr without language", base_doc(name={"@value": "abc", "@direction": "ltr"})),
    ("language map in embedded context", base_doc(**{
        "@context": [VC_V2, OB_V3P0_3_0_3,
                     {"nimi": {"@id": "https://schema.org/name", "@container": "@language"}}],
        "nimi": {"fi": "Merkki", "sv": "Märke", "en": "Badge"},
    })),
    ("default language + direction in embedded context", base_doc(**{
        "@context": [VC_V2, OB_V3P0_3_0_3, {"@language": "fi", "@direction": "ltr"}],
        "description": "Kuvaus",
    })),
    ("embedded context object", base_doc(**{
        "@context": [VC_V2, OB_V3P0_3_0_3, {"paja": "https://osaamispassi.example/vocab#paja"}],
        "paja": "Puutyöpaja",
    })),
    ("node-level embedded context", base_doc(credentialSubject={
        "@context": {"tehtava": "https://osaamispassi.example/vocab#tehtava"},
        "id": "did:example:1",
        "type": ["AchievementSubject"],
        "tehtava": "sahaus",
    })),
    ("@vocab context", {
        "@context": [VC_V2, {"@vocab": "https://osaamispassi.example/vocab#"}],
        "id": CID, "type": ["VerifiableCredential", "Mukautettu"],
        "issuer": "https://osaamispassi.example/issuers/1",
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:1", "vapaa": "arvo"},
    }),
    ("@base context with relative id", {
        "@context": [VC_V2, {"@base": "https://osaamispassi.example/"}],
        "id": "credentials/1", "type": ["VerifiableCredential"],
        "issuer": "issuers/1", "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:1"},
    }),
    ("relative id refused", base_doc(id="credentials/3732")),
    ("undefined property refused", base_doc(colour="green")),
    ("undefined nested property refused", base_doc(credentialSubject={
        "id": "did:example:1", "type": ["AchievementSubject"], "diagnosis": "x"})),
    ("@json literal", {
        "@context": [VC_V2, {"raaka": {"@id": "https://osaamispassi.example/vocab#raaka",
                                       "@type": "@json"}}],
        "id": CID, "type": ["VerifiableCredential"],
        "issuer": "https://osaamispassi.example/issuers/1",
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:1", "raaka": {"b": [1, 2.5, True], "a": None}},
    }),
    ("@list and numbers", {
        "@context": [VC_V2, {"lista": {"@id": "https://osaamispassi.example/vocab#lista",
                                       "@container": "@list"},
                             "luku": "https://osaamispassi.example/vocab#luku"}],
        "id": CID, "type": ["VerifiableCredential"],
        "issuer": "https://osaamispassi.example/issuers/1",
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:1", "lista": [3, 1, "kaksi", True, 1.5],
                              "luku": [1e21, -0.0, 42]},
    }),
    ("blank nodes without ids", base_doc(evidence=[
        {"type": ["Evidence"], "narrative": "a"}, {"type": ["Evidence"], "narrative": "a"},
        {"type": ["Evidence"], "narrative": "b"},
    ])),
    ("VC 1.1 legacy", {
        "@context": [VC_V1, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json"],
        "id": CID, "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://osaamispassi.example/issuers/1", "type": "Profile",
                   "name": "Paja"},
        "issuanceDate": "2022-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:1", "type": "AchievementSubject",
                              "achievement": {"id": "https://osaamispassi.example/a/1",
                                              "type": "Achievement", "name": "M",
                                              "criteria": {"narrative": "x"}}},
    }),
    ("extensions context types", base_doc(**{
        "@context": [VC_V2, OB_V3P0_3_0_3, OB_V3P0_EXTENSIONS],
        "credentialSchema": [{"id": "https://example.org/schema.json",
                              "type": "1EdTechJsonSchemaValidator2019"}],
        "refreshService": {"id": "https://example.org/refresh",
                           "type": "1EdTechCredentialRefresh"},
    })),
    ("CLR credential", {
        "@context": [VC_V2, CLR_V2P0_2_0_1, OB_V3P0_3_0_3],
        "id": CID, "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": {"id": "https://osaamispassi.example/issuers/1", "type": ["Profile"],
                   "name": "Paja"},
        "validFrom": "2025-01-01T00:00:00Z", "name": "Osaamispassi",
        "credentialSubject": {"id": "did:example:1", "type": ["ClrSubject"],
                              "verifiableCredential": [base_doc()]},
    }),
    ("DID document with Multikey", {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": "did:web:osaamispassi.example:orgs:eduro",
        "verificationMethod": [{
            "id": "did:web:osaamispassi.example:orgs:eduro#key-1", "type": "Multikey",
            "controller": "did:web:osaamispassi.example:orgs:eduro",
            "publicKeyMultibase": "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        }],
        "assertionMethod": ["did:web:osaamispassi.example:orgs:eduro#key-1"],
    }),
    ("data integrity v2 proof config", {
        "@context": [DID_V1, DATA_INTEGRITY_V2],
        "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
        "created": "2025-01-01T00:00:00Z",
        "verificationMethod": "did:web:osaamispassi.example#key-1",
        "proofPurpose": "assertionMethod",
    }),
    ("@context null at the top", {
        "@context": [None, VC_V2], "id": CID, "type": ["VerifiableCredential"],
        "issuer": "https://osaamispassi.example/issuers/1",
        "validFrom": "2025-01-01T00:00:00Z", "credentialSubject": {"id": "did:example:1"},
    }),
    ("@context null under protected terms is an error", base_doc(credentialSubject={
        "@context": None, "@id": "did:example:1",
        "https://osaamispassi.example/vocab#x": "y",
    })),
    ("@graph with two nodes", {
        "@context": [VC_V2],
        "@graph": [
            {"id": "https://osaamispassi.example/n/1", "type": ["VerifiableCredential"],
             "issuer": "https://osaamispassi.example/issuers/1"},
            {"id": "https://osaamispassi.example/n/2", "type": ["VerifiableCredential"],
             "issuer": "https://osaamispassi.example/issuers/2"},
        ],
    }),
    ("protected term redefinition is an error", base_doc(**{
        "@context": [VC_V2, {"id": "https://osaamispassi.example/vocab#id"}],
    })),
    ("invalid JSON-LD", {"@context": [VC_V2], "@id": {"not": "a string"}}),
    ("unknown context URL", base_doc(**{
        "@context": [VC_V2, "https://contexts.example/extra.json"]})),
    ("single context string", {
        "@context": VC_V2, "id": CID, "type": "VerifiableCredential",
        "issuer": "https://osaamispassi.example/issuers/1",
        "validFrom": "2025-01-01T00:00:00Z", "credentialSubject": {"id": "did:example:1"},
    }),
]  # fmt: skip


@pytest.mark.parametrize(("name", "document"), SHAPES, ids=[n for n, _ in SHAPES])
@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
def test_shapes_match_plain_pyld(
    name: str, document: dict[str, Any], strict: bool, loader: DocumentLoader
) -> None:
    assert_same(document, loader, strict=strict)


def test_direction_shape_uses_i18n_datatype(loader: DocumentLoader) -> None:
    nquads = canonicalize(dict(SHAPES)["language + direction"], document_loader=loader)
    assert '"شارة"^^<https://www.w3.org/ns/i18n#ar_rtl>' in nquads
    assert '"Merkki"@fi' in nquads


def test_strict_checks_still_apply_on_a_warm_memo(loader: DocumentLoader) -> None:
    good = make_credential()
    canonicalize(good, document_loader=loader)
    canonicalize(good, document_loader=loader)
    bad = copy.deepcopy(good)
    bad["credentialSubject"]["achievement"]["alignment"][0]["colour"] = "green"
    with pytest.raises(UndefinedTermError) as info:
        canonicalize(bad, document_loader=loader)
    assert "$.credentialSubject.achievement.alignment[0].colour" in info.value.paths
    bad = copy.deepcopy(good)
    bad["issuer"]["id"] = "issuers/1"
    with pytest.raises(RelativeIriError):
        canonicalize(bad, document_loader=loader)
    bad = copy.deepcopy(good)
    bad["type"].append("Tuntematon")
    with pytest.raises(UndefinedTermError):
        canonicalize(bad, document_loader=loader)
    assert canonicalize(good, document_loader=loader) == canonicalize_reference(
        good, document_loader=loader
    )


# --------------------------------------------------------------------------- repeated nodes
def group_of(count: int) -> list[dict[str, Any]]:
    """Credentials as a group award makes them: one badge, other people and entries."""
    out = []
    for n in range(count):
        credential = make_credential()
        credential["id"] = f"https://osaamispassi.example/credentials/g{n}"
        credential["credentialSubject"]["id"] = f"urn:uuid:00000000-0000-4000-8000-{n:012d}"
        credential["credentialStatus"]["statusListIndex"] = str(1000 + n)
        out.append(credential)
    return out


def test_repeated_nodes_come_from_the_memo_and_change_nothing() -> None:
    fresh = DocumentLoader(require("contexts"))
    group = group_of(6)
    expected = [canonicalize_reference(c, document_loader=fresh) for c in group]
    assert len(set(expected)) == len(group)
    assert [canonicalize(c, document_loader=fresh) for c in group] == expected
    expansions = context_memo(fresh).expansions
    # the issuer and the achievement are kept after the second credential, then reused
    assert expansions.hits > 0
    hits = expansions.hits
    assert [canonicalize(c, document_loader=fresh) for c in reversed(group)] == expected[::-1]
    assert expansions.hits > hits


def test_a_repeated_node_under_another_context_is_expanded_again(loader: DocumentLoader) -> None:
    node = {"id": "https://osaamispassi.example/things/1", "name": "Sama", "colour": "vihreä"}

    def under(vocab: str) -> dict[str, Any]:
        return {
            "@context": {"@vocab": vocab, "id": "@id", "thing": {"@id": f"{vocab}thing"}},
            "id": "https://osaamispassi.example/docs/1",
            "thing": copy.deepcopy(node),
        }

    a, b = under("https://a.example/v#"), under("https://b.example/v#")
    for _ in range(3):
        for doc in (a, b):
            assert assert_same(doc, loader)[0] == "ok"
    assert canonicalize(a, document_loader=loader) != canonicalize(b, document_loader=loader)


def test_a_repeated_node_with_an_undefined_term_is_refused_every_time(
    loader: DocumentLoader,
) -> None:
    group = group_of(4)
    for credential in group:
        credential["credentialSubject"]["achievement"]["colour"] = "vihreä"
    for credential in group:
        # lenient runs drop the term quietly; nothing they keep may hide it from a strict one
        canonicalize(credential, document_loader=loader, strict=False)
    for credential in group:
        with pytest.raises(UndefinedTermError) as info:
            canonicalize(credential, document_loader=loader)
        assert "$.credentialSubject.achievement.colour" in info.value.paths


def test_expansion_memo_keeps_a_node_seen_twice_and_hands_out_copies() -> None:
    memo = canonical.ExpansionMemo()
    ctx, key = frozendict(a=1), ("k", "{}")
    assert memo.get(key, ctx, None) is False  # first sight: noted
    assert memo.get(key, ctx, None) is True  # second: to be kept
    memo.put(key, ctx, None, [{"@id": "https://x.example/1"}])
    first = memo.get(key, ctx, None)
    assert isinstance(first, canonical._Expanded)
    first.value[0]["@id"] = "changed"
    again = memo.get(key, ctx, None)
    assert isinstance(again, canonical._Expanded)
    assert again.value == [{"@id": "https://x.example/1"}]
    # the contexts are compared by identity, not just by the key
    assert memo.get(key, frozendict(a=1), None) is False


def test_expansion_memo_is_bounded_in_characters() -> None:
    memo = canonical.ExpansionMemo(max_bytes=1000)
    ctx = frozendict(a=1)
    for n in range(50):
        key = ("k", json.dumps({"n": n, "pad": "x" * 40}))
        memo.get(key, ctx, None)
        memo.get(key, ctx, None)
        memo.put(key, ctx, None, [{"@value": "y" * 40}])
        assert memo.size <= 1000
    assert 0 < len(memo) < 50
    newest = ("k", json.dumps({"n": 49, "pad": "x" * 40}))
    assert isinstance(memo.get(newest, ctx, None), canonical._Expanded)


def test_large_nodes_are_not_kept(loader: DocumentLoader) -> None:
    group = group_of(3)
    for credential in group:
        credential["credentialSubject"]["achievement"]["description"] = "x" * (
            canonical.EXPANSION_MEMO_MAX_NODE_CHARS + 1
        )
    fresh = DocumentLoader(require("contexts"))
    for credential in group:
        assert canonicalize(credential, document_loader=fresh) == canonicalize_reference(
            credential, document_loader=fresh
        )
    assert context_memo(fresh).expansions.size < canonical.EXPANSION_MEMO_MAX_NODE_CHARS


# --------------------------------------------------------------------------- PyLD internals
def test_pyld_private_signature_is_the_one_wrapped() -> None:
    params = tuple(inspect.signature(jsonld.JsonLdProcessor._process_context).parameters)
    assert params == canonical._PYLD_PROCESS_CONTEXT_PARAMS
    assert canonical.MEMO_SUPPORTED
    params = tuple(inspect.signature(jsonld.JsonLdProcessor._expand).parameters)
    assert params == canonical._PYLD_EXPAND_PARAMS
    assert canonical.EXPAND_MEMO_SUPPORTED


def test_pyld_freezes_processed_contexts(loader: DocumentLoader) -> None:
    """The memo only stores frozendicts; PyLD must still produce them."""
    memo = ContextMemo()
    processor = canonical._MemoProcessor(memo)
    options = {
        "documentLoader": loader,
        "contextResolver": canonical.ContextResolver(canonical.LRUCache(maxsize=10), loader),
        "base": None,
        "processingMode": "json-ld-1.1",
    }
    initial = processor._get_initial_context(options)
    assert type(initial) is frozendict
    active = processor._process_context(initial, [VC_V2, OB_V3P0_3_0_3], options)
    assert type(active) is frozendict
    assert len(memo) == 1
    again = processor._process_context(initial, [VC_V2, OB_V3P0_3_0_3], options)
    assert again is active
    scoped = processor._process_context(
        active, active["mappings"]["Achievement"]["@context"], options, propagate=False
    )
    assert type(scoped) is frozendict
    assert scoped["previousContext"] is active
    assert (
        processor._process_context(
            active, active["mappings"]["Achievement"]["@context"], options, propagate=False
        )
        is scoped
    )
    # the same scoped context with other arguments is another entry
    other = processor._process_context(
        active, active["mappings"]["Achievement"]["@context"], options, propagate=True
    )
    assert other is not scoped
    assert "previousContext" not in other


def test_warm_memo_serves_every_context(loader: DocumentLoader) -> None:
    fresh = DocumentLoader(require("contexts"))
    credential = make_credential()
    canonicalize(credential, document_loader=fresh)
    memo = context_memo(fresh)
    assert memo is context_memo(fresh)
    misses, entries = memo.misses, len(memo)
    assert entries > 0
    canonicalize(make_credential(), document_loader=fresh)
    assert memo.misses == misses
    assert len(memo) == entries


# --------------------------------------------------------------------------- isolation
TERM_CTX = "https://contexts.example/terms.jsonld"


class DictLoader:
    """A loader serving fixed documents; optionally declares them immutable."""

    def __init__(self, docs: Mapping[str, Any], *, immutable: bool) -> None:
        self.docs = dict(docs)
        self.contexts_immutable = immutable

    def __call__(self, url: str, options: Any = None) -> dict[str, Any]:
        if url not in self.docs:
            raise jsonld.JsonLdError("not found", "loading document failed")
        return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(self.docs[url])}


def term_context(iri: str, *, scoped: str | None = None) -> dict[str, Any]:
    ctx: dict[str, Any] = {"@version": 1.1, "nimi": iri, "Tyyppi": {"@id": "https://t.example/T"}}
    if scoped is not None:
        ctx["Tyyppi"]["@context"] = {"sisus": scoped}
    return {"@context": ctx}


TERM_DOC = {
    "@context": [TERM_CTX],
    "@id": "https://n.example/1",
    "@type": "Tyyppi",
    "nimi": "arvo",
    "https://p.example/lapsi": {"@type": "Tyyppi", "sisus": "x"},
}


def test_two_loaders_same_url_different_documents_never_mix() -> None:
    a = DictLoader({TERM_CTX: term_context("https://a.example/nimi", scoped="https://a.example/s")},
                   immutable=True)  # fmt: skip
    b = DictLoader({TERM_CTX: term_context("https://b.example/nimi", scoped="https://b.example/s")},
                   immutable=True)  # fmt: skip
    for _ in range(3):
        out_a = canonicalize(TERM_DOC, document_loader=a)
        out_b = canonicalize(TERM_DOC, document_loader=b)
        assert "https://a.example/nimi" in out_a and "https://a.example/s" in out_a
        assert "https://b.example/nimi" in out_b and "https://b.example/s" in out_b
        assert "b.example" not in out_a and "a.example" not in out_b
        assert out_a == canonicalize_reference(TERM_DOC, document_loader=a)
        assert out_b == canonicalize_reference(TERM_DOC, document_loader=b)
    assert context_memo(a) is not context_memo(b)


def test_mutable_loader_gets_a_fresh_memo_every_call() -> None:
    mutable = DictLoader(
        {TERM_CTX: term_context("https://a.example/nimi", scoped="https://a.example/s")},
        immutable=False,
    )
    assert not loader_is_immutable(mutable)
    assert context_memo(mutable) is not context_memo(mutable)
    assert "https://a.example/nimi" in canonicalize(TERM_DOC, document_loader=mutable)
    mutable.docs[TERM_CTX] = term_context("https://c.example/nimi", scoped="https://c.example/s")
    out = canonicalize(TERM_DOC, document_loader=mutable)
    assert "https://c.example/nimi" in out and "a.example" not in out


def test_plain_function_loader_works(loader: DocumentLoader) -> None:
    def wrapped(url: str, options: Any = None) -> Any:
        return loader(url, options)

    credential = make_credential()
    assert not loader_is_immutable(wrapped)
    assert canonicalize(credential, document_loader=wrapped) == canonicalize(
        credential, document_loader=loader
    )


def test_document_loaders_each_have_their_own_memo() -> None:
    first = DocumentLoader(require("contexts"))
    second = DocumentLoader(require("contexts"))
    assert loader_is_immutable(first)
    assert context_memo(first) is context_memo(first)
    assert context_memo(first) is not context_memo(second)


def test_different_context_lists_do_not_share_entries(loader: DocumentLoader) -> None:
    """Same term, different meaning under different context lists, same loader."""
    with_ob = base_doc()
    without_ob = {
        "@context": [VC_V2],
        "id": CID,
        "type": ["VerifiableCredential"],
        "issuer": "https://osaamispassi.example/issuers/1",
        "validFrom": "2025-01-01T00:00:00Z",
        "name": "Nimi",
        "credentialSubject": {"id": "did:example:1"},
    }
    embedded = dict(without_ob)
    embedded["@context"] = [VC_V2, {"name": {"@id": "https://x.example/name", "@protected": False}}]
    for _ in range(2):
        for doc in (with_ob, without_ob, embedded, with_ob):
            assert assert_same(doc, loader)[0] in ("ok", "CanonicalizationError")


def test_memo_is_bounded() -> None:
    memo = ContextMemo(maxsize=3)
    owners = [frozendict(i=i) for i in range(5)]
    for i, owner in enumerate(owners):
        memo.put(("k", i), owner, i)
    assert len(memo) == 3
    assert memo.get(("k", 0), owners[0]) is None
    assert memo.get(("k", 4), owners[4]) == 4
    # identity is checked, not just the key
    assert memo.get(("k", 4), frozendict(i=4)) is None


def test_memo_put_keeps_the_first_value() -> None:
    memo = ContextMemo()
    owner = frozendict(a=1)
    first, second = frozendict(x=1), frozendict(x=1)
    assert memo.put("k", owner, first) is first
    assert memo.put("k", owner, second) is first


# --------------------------------------------------------------------------- threads
def test_concurrent_canonicalization_is_identical_to_plain_pyld() -> None:
    shared = DocumentLoader(require("contexts"))
    documents = [make_credential(alignments=n, evidence=n % 3) for n in range(0, 12, 2)]
    documents += [doc for name, doc in SHAPES if "error" not in name and "refused" not in name]
    expected = [outcome(canonicalize_reference, d, shared) for d in documents]
    start = threading.Barrier(8)

    def worker(seed: int) -> list[tuple[int, Outcome]]:
        rng = random.Random(seed)
        start.wait()
        results = []
        for _ in range(30):
            i = rng.randrange(len(documents))
            results.append((i, outcome(canonicalize, documents[i], shared)))
        return results

    with ThreadPoolExecutor(max_workers=8) as pool:
        for results in pool.map(worker, range(8)):
            for i, got in results:
                assert got == expected[i]


def test_concurrent_first_use_converges_on_one_context() -> None:
    """Threads racing on a cold memo all end up with the same stored contexts."""
    shared = DocumentLoader(require("contexts"))
    credential = make_credential()
    reference = canonicalize_reference(credential, document_loader=shared)
    start = threading.Barrier(6)

    def worker(_: int) -> str:
        start.wait()
        return canonicalize(credential, document_loader=shared)

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert set(pool.map(worker, range(6))) == {reference}
    memo = context_memo(shared)
    misses = memo.misses
    canonicalize(credential, document_loader=shared)
    assert memo.misses == misses
