"""Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite (W3C vc-di-eddsa).

Sign:
    1. transform: canonicalize the document without ``proof`` (RDFC-1.0, strict);
    2. proof config: the proof options (no ``proofValue``) with the document's
       ``@context``, canonicalized;
    3. hash: SHA-256 of each;
    4. sign ``proofConfigHash || transformedDocumentHash`` with Ed25519;
    5. ``proofValue`` = ``"z" + base58btc(signature)``.

Verify repeats 1-4 for each proof of a proof set and checks the signature with a key
from the injected resolver. The legacy ``eddsa-2022`` name (VCDM 1.1-era badges) is the
same algorithm and is accepted for verification only.

A proof set verifies when at least one proof verifies and no ``DataIntegrityProof`` with a
supported cryptosuite fails. Proofs of other types or cryptosuites are reported as
``"unsupported"`` and neither count for nor against (the 1EdTech validator accepts such
sets, e.g. its ``simple-multiple-proofs`` vector).

Binding the verification method to the credential's issuer (is this key really the
issuer's?) is the resolver's job: resolve only from the issuer's own controller document.

Remembered proofs
    Canonicalizing costs milliseconds per proof, and a public page verifies the same stored
    credentials on every request. A caller may pass a :class:`VerifiedProofs`: a bounded
    LRU of proofs that have verified, keyed by the SHA-256 digest of the exact document (its
    JSON text, key order kept, every proof included), the proof's position and the loader
    the contexts came from, and holding the digests of the keys (algorithm and JWK) they
    verified with. What depends on more than that content still runs on every call, first:
    the proof purpose, the dates and ``expires`` against ``now``, and above all the key
    resolution, which is what reads the key's status from its store. Only when the resolved
    key is one that verified this very content are the remaining checks skipped: the
    ``proofValue`` form, the canonicalization and the signature, all functions of that
    content (only loaders whose documents cannot change, pinned contexts, get entries).
    Failures are never remembered, so a changed document is checked in full.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from app.vc.canonical import canonicalize, loader_is_immutable
from app.vc.contexts import ED25519_2020_V1
from app.vc.dates import format_datetime, parse_datetime
from app.vc.errors import KeyResolutionError, MultibaseError, SigningError, VCError
from app.vc.multibase import multibase_decode, multibase_encode
from app.vc.selective import (
    SD_CRYPTOSUITE,
    MultikeyLoader,
    SelectiveDisclosureError,
    check_derived_signatures,
    parse_derived_proof_value,
    relabeled_statements,
)
from app.vc.types import DocumentLoaderFn, JsonObject, PublicKey, PublicKeyResolver, Signer

CRYPTOSUITE = "eddsa-rdfc-2022"
MAX_PROOFS = 5
"""The cryptosuite used for signing."""
LEGACY_CRYPTOSUITES = frozenset({"eddsa-2022"})
"""Older names of the same algorithm, accepted when verifying."""
ECDSA_CRYPTOSUITE = "ecdsa-rdfc-2019"
"""ECDSA over the same canonical forms (W3C Data Integrity ECDSA); verified for P-256 keys,
whose hashes are SHA-256 as in eddsa-rdfc-2022, never made."""
# The key algorithm each verified suite needs.
_SUITE_KEYS = {
    CRYPTOSUITE: "Ed25519",
    **dict.fromkeys(LEGACY_CRYPTOSUITES, "Ed25519"),
    ECDSA_CRYPTOSUITE: "ES256",
}
_KEY_NAMES = {"Ed25519": "an Ed25519 key", "ES256": "a P-256 key"}
PROOF_TYPE = "DataIntegrityProof"
ED25519_2020 = "Ed25519Signature2020"
"""The older Linked Data proof (W3C CCG, 2020) that eddsa-rdfc-2022 was derived from: the same
canonicalization, hashes and Ed25519 signature, named by the proof ``type`` (no
``cryptosuite``), with its terms defined by the suite's own context. Verified, never made."""
VERIFIED_PROOFS_MAX = 4096
"""Default bound of a :class:`VerifiedProofs` (32-byte digests: well under a megabyte)."""
KEYS_PER_CONTENT = 4
"""Keys remembered per content (a document verifies with one key; a few for rotations)."""


@dataclass(frozen=True)
class HashData:
    """The intermediate values of ``eddsa-rdfc-2022`` (exposed for test vectors).

    Attributes:
        document_nquads: Canonical N-Quads of the document without proof.
        proof_nquads: Canonical N-Quads of the proof configuration.
        document_hash: SHA-256 of ``document_nquads``.
        proof_hash: SHA-256 of ``proof_nquads``.
    """

    document_nquads: str
    proof_nquads: str
    document_hash: bytes
    proof_hash: bytes

    @property
    def data_to_sign(self) -> bytes:
        """``proof_hash || document_hash``: the bytes given to Ed25519."""
        return self.proof_hash + self.document_hash


def _proof_config(proof_options: Mapping[str, Any], document: Mapping[str, Any]) -> JsonObject:
    config = {k: v for k, v in proof_options.items() if k != "proofValue"}
    if "@context" in document:
        config["@context"] = document["@context"]
    return config


def _unsecured(document: Mapping[str, Any]) -> JsonObject:
    return {k: v for k, v in document.items() if k != "proof"}


def _sha256(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def hash_data(
    document: Mapping[str, Any],
    proof_options: Mapping[str, Any],
    *,
    document_loader: DocumentLoaderFn,
) -> HashData:
    """Compute the transform / proof-config / hash steps of ``eddsa-rdfc-2022``.

    Args:
        document: The document; any ``proof`` member is ignored.
        proof_options: The proof object (``proofValue`` is ignored; ``@context`` is set
            to the document's).
        document_loader: The JSON-LD document loader.

    Returns:
        The canonical forms and their hashes.

    Raises:
        CanonicalizationError: If either part fails the strict checks.
        ContextError: If a context cannot be loaded.
    """
    doc_nq = canonicalize(_unsecured(document), document_loader=document_loader)
    proof_nq = canonicalize(_proof_config(proof_options, document), document_loader=document_loader)
    return HashData(doc_nq, proof_nq, _sha256(doc_nq), _sha256(proof_nq))


def add_proof(
    document: Mapping[str, Any],
    *,
    signer: Signer,
    verification_method: str,
    created: datetime,
    document_loader: DocumentLoaderFn,
    proof_purpose: str = "assertionMethod",
    proof_id: str | None = None,
    expires: datetime | None = None,
    proof_as_list: bool = True,
) -> JsonObject:
    """Sign a document with a ``DataIntegrityProof`` / ``eddsa-rdfc-2022`` proof.

    The input is never modified. Existing proofs are kept (a proof set): the new proof
    is computed over the document without them and appended. The three steps are also
    offered one by one (:func:`proof_options`, :func:`hash_data`, :func:`sign_hashed`), so
    that the slow middle one can run elsewhere (app/credentials/hashing.py).

    Args:
        document: The unsigned credential (JSON-LD with ``@context``).
        signer: An Ed25519 signer (``algorithm`` ``"Ed25519"`` or ``"EdDSA"``).
        verification_method: The verification method id written into the proof.
        created: Signing time (timezone-aware); written as ``YYYY-MM-DDTHH:MM:SSZ``.
        document_loader: The JSON-LD document loader.
        proof_purpose: The proof purpose.
        proof_id: Optional ``id`` of the proof.
        expires: Optional expiry of the proof (timezone-aware).
        proof_as_list: Write ``proof`` as an array (what the OB 3.0 JSON Schema wants);
            ``False`` writes a single object when it is the only proof.

    Returns:
        A new document with the proof added.

    Raises:
        SigningError: If the signer is not Ed25519, dates are naive, or the signature is
            not 64 bytes.
        UndefinedTermError: If the document uses an undefined term.
        RelativeIriError: If the document contains a relative IRI.
        ContextError: If a context cannot be loaded.
    """
    if not isinstance(document, Mapping) or "@context" not in document:
        raise SigningError("document must be a JSON-LD object with @context")
    _check_signer(signer)
    proof = proof_options(
        verification_method=verification_method,
        created=created,
        proof_purpose=proof_purpose,
        proof_id=proof_id,
        expires=expires,
    )
    data = hash_data(document, proof, document_loader=document_loader)
    return sign_hashed(document, proof, data.data_to_sign, signer, proof_as_list=proof_as_list)


def _check_signer(signer: Signer) -> None:
    if signer.algorithm not in ("Ed25519", "EdDSA"):
        raise SigningError(f"{CRYPTOSUITE} needs an Ed25519 signer, not {signer.algorithm}")


def proof_options(
    *,
    verification_method: str,
    created: datetime,
    proof_purpose: str = "assertionMethod",
    proof_id: str | None = None,
    expires: datetime | None = None,
) -> JsonObject:
    """The proof without its value (the first step of :func:`add_proof`).

    Raises:
        SigningError: If the method is not an absolute IRI or a date is naive.
    """
    if not isinstance(verification_method, str) or ":" not in verification_method:
        raise SigningError("verification_method must be an absolute IRI")
    try:
        proof: JsonObject = {}
        if proof_id is not None:
            proof["id"] = proof_id
        proof.update(
            {
                "type": PROOF_TYPE,
                "cryptosuite": CRYPTOSUITE,
                "created": format_datetime(created),
                "verificationMethod": verification_method,
                "proofPurpose": proof_purpose,
            }
        )
        if expires is not None:
            proof["expires"] = format_datetime(expires)
    except ValueError as exc:
        raise SigningError(str(exc)) from exc
    return proof


def sign_hashed(
    document: Mapping[str, Any],
    proof: Mapping[str, Any],
    data_to_sign: bytes,
    signer: Signer,
    *,
    proof_as_list: bool = True,
    copy_document: bool = True,
) -> JsonObject:
    """Sign ``data_to_sign`` (:attr:`HashData.data_to_sign` of ``document`` and ``proof``)
    and return a copy of the document with the proof and its value added (the last step
    of :func:`add_proof`).

    With ``copy_document=False`` only the top level is copied: the result shares its nested
    values with ``document``, for a caller that changes neither afterwards (a group award
    signs thousands of fresh documents; the deep copy was a tenth of its own work).

    Raises:
        SigningError: If the signer is not Ed25519 or the signature is not 64 bytes.
    """
    _check_signer(signer)
    signature = signer.sign(data_to_sign)
    if len(signature) != 64:
        raise SigningError(f"Ed25519 signature must be 64 bytes, got {len(signature)}")
    signed_proof = {**proof, "proofValue": multibase_encode(signature)}

    signed = copy.deepcopy(dict(document)) if copy_document else dict(document)
    existing = signed.get("proof")
    proofs = [] if existing is None else existing if isinstance(existing, list) else [existing]
    proofs = list(proofs)
    proofs.append(signed_proof)
    signed["proof"] = proofs if proof_as_list or len(proofs) > 1 else signed_proof
    return signed


CheckStatus = Literal["verified", "failed", "unsupported"]


@dataclass(frozen=True)
class ProofCheck:
    """The outcome for one proof of a proof set.

    Attributes:
        index: Position in the ``proof`` array (0 for a single object).
        status: ``"verified"``, ``"failed"`` or ``"unsupported"``.
        reason: Why it failed or was not checked (``None`` when verified).
        proof_type: The proof ``type``.
        cryptosuite: The proof ``cryptosuite``.
        verification_method: The proof ``verificationMethod``.
        created: The proof ``created`` value.
    """

    index: int
    status: CheckStatus
    reason: str | None = None
    proof_type: str | None = None
    cryptosuite: str | None = None
    verification_method: str | None = None
    created: str | None = None

    @property
    def verified(self) -> bool:
        """Whether this proof verified."""
        return self.status == "verified"


@dataclass(frozen=True)
class ProofResult:
    """The outcome of :func:`verify_proof`.

    Attributes:
        verified: ``True`` if at least one proof verified and no supported proof failed.
        checks: One :class:`ProofCheck` per proof.
        error: Why the document as a whole did not verify (``None`` when verified).
    """

    verified: bool
    checks: tuple[ProofCheck, ...] = field(default_factory=tuple)
    error: str | None = None

    @property
    def reasons(self) -> list[str]:
        """Human-readable failure reasons, one per failed or unsupported proof."""
        out = [self.error] if self.error else []
        out += [f"proof {c.index}: {c.reason}" for c in self.checks if c.reason]
        return out


class VerifiedProofs:
    """A bounded, thread-safe LRU of Data Integrity proofs that have verified.

    Each entry maps the digest of a document's exact content and a proof's position in it
    (see the module docstring) to the digests of the keys that proof verified with (at most
    :data:`KEYS_PER_CONTENT`). A hit lets :func:`verify_proof` skip only the checks that
    follow from that content: the ``proofValue`` form, the canonicalization and the
    signature. Nothing about a key's status, the issuer or the credential's status is kept:
    the resolver is asked on every call.

    Args:
        maxsize: The most entries kept (least recently used dropped first).
    """

    def __init__(self, maxsize: int = VERIFIED_PROOFS_MAX) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[bytes, tuple[bytes, ...]] = OrderedDict()
        self._lock = threading.Lock()
        # Each loader gets a number that is never reused, part of every key: what a
        # document canonicalizes to depends on the contexts its loader serves.
        self._loaders: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
        self._next_loader = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def loader_number(self, document_loader: DocumentLoaderFn) -> int | None:
        """The loader's number, or ``None`` when its documents may change (no entries)."""
        if not loader_is_immutable(document_loader):
            return None
        with self._lock:
            try:
                number = self._loaders.get(document_loader)
                if number is None:
                    number = self._loaders[document_loader] = self._next_loader
                    self._next_loader += 1
            except TypeError:  # not weak-referenceable or not hashable
                return None
            return number

    def keys_for(self, content: bytes) -> tuple[bytes, ...]:
        """The digests of the keys this content has verified with (empty when none)."""
        with self._lock:
            keys = self._entries.get(content)
            if keys is None:
                self.misses += 1
                return ()
            self._entries.move_to_end(content)
            self.hits += 1
            return keys

    def add(self, content: bytes, key: bytes) -> None:
        """Remember that this content has just verified with this key."""
        with self._lock:
            keys = self._entries.get(content, ())
            if key not in keys:
                self._entries[content] = (key, *keys)[:KEYS_PER_CONTENT]
            self._entries.move_to_end(content)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._entries.clear()


def _plain_json(value: Any) -> bool:
    """True when the value holds only what JSON text gives back unchanged (a tuple would be
    written as an array, yet PyLD does not read it as one)."""
    kind = type(value)
    if kind is dict:
        return all(type(k) is str and _plain_json(v) for k, v in value.items())
    if kind is list:
        return all(_plain_json(v) for v in value)
    return value is None or kind in (str, int, float, bool)


def _content_digest(loader_number: int, document: Mapping[str, Any]) -> bytes | None:
    """SHA-256 of the document's exact JSON text (key order kept) and the loader's number,
    or None when the document is not plain JSON."""
    if not _plain_json(document):
        return None
    try:
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return None
    return hashlib.sha256(f"{loader_number}\n{text}".encode()).digest()


def _key_digest(key: PublicKey) -> bytes:
    material = json.dumps([key.algorithm, key.to_jwk()], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(material.encode()).digest()


class _ProofFailure(Exception):
    pass


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def verify_proof(
    document: Mapping[str, Any],
    *,
    public_key_resolver: PublicKeyResolver,
    document_loader: DocumentLoaderFn,
    expected_proof_purpose: str = "assertionMethod",
    now: datetime | None = None,
    verified_proofs: VerifiedProofs | None = None,
    multikey_loader: MultikeyLoader | None = None,
) -> ProofResult:
    """Verify the Data Integrity proof(s) of a document. Never raises for bad input.

    Args:
        document: The secured document.
        public_key_resolver: Maps ``verificationMethod`` to a public key; it decides which
            keys are trusted for which issuer. Asked on every call, remembered or not.
        document_loader: The JSON-LD document loader.
        expected_proof_purpose: Required ``proofPurpose``.
        now: If given, a proof with ``expires`` before ``now`` fails.
        verified_proofs: Proofs remembered as verified (see :class:`VerifiedProofs`);
            the result is the same with or without it.
        multikey_loader: Imports a ``publicKeyMultibase`` key: needed for ecdsa-sd-2023,
            whose proofs carry an ephemeral key (without it they are reported unsupported).

    Returns:
        The result with one check per proof.
    """
    if not isinstance(document, Mapping):
        return ProofResult(False, error="document is not a JSON object")
    raw = document.get("proof")
    if raw is None:
        return ProofResult(False, error="document has no proof")
    proofs = raw if isinstance(raw, list) else [raw]
    if not proofs:
        return ProofResult(False, error="document has an empty proof set")
    if len(proofs) > MAX_PROOFS:
        # Each proof costs a canonicalization; nothing real carries more than a few.
        return ProofResult(
            False, error=f"document has {len(proofs)} proofs; at most {MAX_PROOFS} are checked"
        )

    cache: dict[str, Any] = {}
    content = None
    if verified_proofs is not None:
        number = verified_proofs.loader_number(document_loader)
        if number is not None:
            content = _content_digest(number, document)
    checks: list[ProofCheck] = []
    for index, proof in enumerate(proofs):
        checks.append(
            _verify_one(
                index,
                proof,
                proofs,
                document,
                public_key_resolver=public_key_resolver,
                document_loader=document_loader,
                expected_proof_purpose=expected_proof_purpose,
                now=now,
                cache=cache,
                remembered=(
                    None
                    if content is None or verified_proofs is None
                    else (verified_proofs, content + index.to_bytes(1, "big"))
                ),
                multikey_loader=multikey_loader,
            )
        )
    failed = [c for c in checks if c.status == "failed"]
    passed = [c for c in checks if c.status == "verified"]
    if failed:
        return ProofResult(False, tuple(checks), f"{len(failed)} proof(s) failed")
    if not passed:
        return ProofResult(False, tuple(checks), "no supported proof in the document")
    return ProofResult(True, tuple(checks))


def _verify_one(
    index: int,
    proof: Any,
    all_proofs: list[Any],
    document: Mapping[str, Any],
    *,
    public_key_resolver: PublicKeyResolver,
    document_loader: DocumentLoaderFn,
    expected_proof_purpose: str,
    now: datetime | None,
    cache: dict[str, Any],
    remembered: tuple[VerifiedProofs, bytes] | None,
    multikey_loader: MultikeyLoader | None,
) -> ProofCheck:
    if not isinstance(proof, Mapping):
        return ProofCheck(index, "failed", "proof is not a JSON object")
    info = {
        "proof_type": _str_or_none(proof.get("type")),
        "cryptosuite": _str_or_none(proof.get("cryptosuite")),
        "verification_method": _str_or_none(proof.get("verificationMethod")),
        "created": _str_or_none(proof.get("created")),
    }
    if info["proof_type"] == ED25519_2020:
        if not _uses_context(document, ED25519_2020_V1):
            # Its terms would be undefined, and jsonld-signatures refuses such a document.
            return ProofCheck(
                index,
                "failed",
                f"an {ED25519_2020} proof needs the {ED25519_2020_V1} context",
                **info,
            )
        algorithm = "Ed25519"
    elif info["proof_type"] != PROOF_TYPE:
        return ProofCheck(index, "unsupported", f"proof type {proof.get('type')!r}", **info)
    elif info["cryptosuite"] == SD_CRYPTOSUITE:
        if multikey_loader is None:
            return ProofCheck(index, "unsupported", "ecdsa-sd-2023 needs a key loader", **info)
    elif info["cryptosuite"] in _SUITE_KEYS:
        algorithm = _SUITE_KEYS[info["cryptosuite"]]
    else:
        return ProofCheck(index, "unsupported", f"cryptosuite {proof.get('cryptosuite')!r}", **info)
    try:
        if info["cryptosuite"] == SD_CRYPTOSUITE:
            assert multikey_loader is not None
            _check_sd_proof(
                proof,
                document,
                public_key_resolver=public_key_resolver,
                document_loader=document_loader,
                expected_proof_purpose=expected_proof_purpose,
                now=now,
                multikey_loader=multikey_loader,
            )
        else:
            _check_proof(
                proof,
                all_proofs,
                document,
                algorithm=algorithm,
                public_key_resolver=public_key_resolver,
                document_loader=document_loader,
                expected_proof_purpose=expected_proof_purpose,
                now=now,
                cache=cache,
                remembered=remembered,
            )
    except (_ProofFailure, SelectiveDisclosureError) as exc:
        return ProofCheck(index, "failed", str(exc), **info)
    except VCError as exc:
        return ProofCheck(index, "failed", f"{type(exc).__name__}: {exc}", **info)
    return ProofCheck(index, "verified", None, **info)


def _check_proof(
    proof: Mapping[str, Any],
    all_proofs: list[Any],
    document: Mapping[str, Any],
    *,
    algorithm: str,
    public_key_resolver: PublicKeyResolver,
    document_loader: DocumentLoaderFn,
    expected_proof_purpose: str,
    now: datetime | None,
    cache: dict[str, Any],
    remembered: tuple[VerifiedProofs, bytes] | None,
) -> None:
    """Check one proof made with an `algorithm` key (Ed25519 or ES256: both sign the two
    SHA-256 hashes with a 64-byte signature); raises _ProofFailure (or a VCError) when it
    does not verify.

    ``remembered``: the proofs remembered as verified and this proof's content key (the
    digest of the whole document and the proof's position).
    """
    method = _check_proof_terms(proof, expected_proof_purpose, now)
    key = None
    known = remembered[0].keys_for(remembered[1]) if remembered is not None else ()
    if known:
        # This very document has passed every check below with some key: they depend on
        # its content alone (the contexts are pinned), so they would pass again. Only the
        # key is asked for, as it is on every call, and must be one that verified it.
        key = _resolve(method, public_key_resolver, algorithm)
        if _key_digest(key) in known:
            return
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        raise _ProofFailure("proofValue must be a base58btc multibase string ('z...')")
    try:
        signature = multibase_decode(value)
    except MultibaseError as exc:
        raise _ProofFailure(f"proofValue: {exc}") from exc
    if len(signature) != 64:
        raise _ProofFailure(f"proofValue must hold a 64-byte signature, got {len(signature)}")
    _check_proof_context(proof, document)

    unsecured = _unsecured(document)
    previous = proof.get("previousProof")
    if previous is not None:
        # Proof chain: the previous proofs are part of what this proof signs.
        wanted = previous if isinstance(previous, list) else [previous]
        chained = [p for p in all_proofs if isinstance(p, Mapping) and p.get("id") in wanted]
        if len(chained) != len(wanted):
            raise _ProofFailure(f"previousProof {previous!r} not found in the proof set")
        unsecured["proof"] = chained if len(chained) > 1 else chained[0]
        doc_nq = canonicalize(unsecured, document_loader=document_loader)
    else:
        if "doc" not in cache:
            cache["doc"] = canonicalize(unsecured, document_loader=document_loader)
        doc_nq = cache["doc"]
    proof_nq = canonicalize(_proof_config(proof, document), document_loader=document_loader)

    if key is None:
        key = _resolve(method, public_key_resolver, algorithm)
    if not key.verify(_sha256(proof_nq) + _sha256(doc_nq), signature):
        raise _ProofFailure("signature does not match (document or proof changed, or wrong key)")
    if remembered is not None:
        remembered[0].add(remembered[1], _key_digest(key))


def _check_proof_terms(
    proof: Mapping[str, Any], expected_proof_purpose: str, now: datetime | None
) -> str:
    """The checks every suite shares: the purpose, the method (returned) and the dates."""
    if proof.get("proofPurpose") != expected_proof_purpose:
        raise _ProofFailure(
            f"proofPurpose is {proof.get('proofPurpose')!r}, expected {expected_proof_purpose!r}"
        )
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or not method:
        raise _ProofFailure("verificationMethod is missing or not a string")
    for name in ("created", "expires"):
        if name in proof:
            try:
                moment = parse_datetime(proof[name])
            except ValueError as exc:
                raise _ProofFailure(f"{name}: {exc}") from exc
            if name == "expires" and now is not None and moment < now:
                raise _ProofFailure(f"proof expired at {proof[name]}")
    return method


def _check_proof_context(proof: Mapping[str, Any], document: Mapping[str, Any]) -> None:
    if "@context" in proof:
        # A proof carrying its own @context must not change the document's meaning.
        doc_ctx = document.get("@context")
        doc_list = doc_ctx if isinstance(doc_ctx, list) else [doc_ctx]
        proof_ctx = proof["@context"]
        proof_list = proof_ctx if isinstance(proof_ctx, list) else [proof_ctx]
        if doc_list[: len(proof_list)] != proof_list:
            raise _ProofFailure("proof @context does not match the start of the document's")


def _check_sd_proof(
    proof: Mapping[str, Any],
    document: Mapping[str, Any],
    *,
    public_key_resolver: PublicKeyResolver,
    document_loader: DocumentLoaderFn,
    expected_proof_purpose: str,
    now: datetime | None,
    multikey_loader: MultikeyLoader,
) -> None:
    """Check an ecdsa-sd-2023 derived proof (app/vc/selective.py); raises when it fails."""
    method = _check_proof_terms(proof, expected_proof_purpose, now)
    if "previousProof" in proof:
        raise _ProofFailure("an ecdsa-sd-2023 proof in a proof chain is not supported")
    derived = parse_derived_proof_value(proof.get("proofValue"))
    _check_proof_context(proof, document)
    statements = relabeled_statements(
        canonicalize(_unsecured(document), document_loader=document_loader), derived.label_map
    )
    proof_nq = canonicalize(_proof_config(proof, document), document_loader=document_loader)
    check_derived_signatures(
        derived,
        proof_hash=_sha256(proof_nq),
        statements=statements,
        issuer_key=_resolve(method, public_key_resolver, "ES256"),
        multikey_loader=multikey_loader,
    )


def _uses_context(document: Mapping[str, Any], url: str) -> bool:
    contexts = document.get("@context")
    return url in (contexts if isinstance(contexts, list) else [contexts])


def _resolve(method: str, public_key_resolver: PublicKeyResolver, algorithm: str) -> PublicKey:
    try:
        key = public_key_resolver(method)
    except KeyResolutionError as exc:
        raise _ProofFailure(f"cannot resolve verification method {method}: {exc}") from exc
    except Exception as exc:  # an injected resolver must not crash verification
        raise _ProofFailure(f"key resolver failed for {method}: {exc!r}") from exc
    if key.algorithm != algorithm:
        raise _ProofFailure(
            f"{method} is a {key.algorithm} key; the proof needs {_KEY_NAMES[algorithm]}"
        )
    return key
