"""Verifying any issuer's Open Badges 3.0 credential (pure: resolvers and clock injected).

The steps follow the OB 3.0 verification procedure: parse, context and type, JSON Schema,
subject, proof (Data Integrity or VC-JWT) with the key's controller matching the issuer,
status, validity window, endorsements and, optionally, the recipient. Verification never
raises for bad input: every outcome is a :class:`Check` in the :class:`VerificationResult`,
with a stable ``code`` that the pages translate, and an English ``message``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from app.vc import strictjson
from app.vc.baking import BakingError, detect_and_unbake
from app.vc.clr import CLR_CONTEXT_PREFIX, MAX_WRAPPED
from app.vc.dataintegrity import MAX_PROOFS, VerifiedProofs, verify_proof
from app.vc.dates import parse_datetime
from app.vc.errors import KeyDocumentRefused, KeyResolutionError, VCError
from app.vc.jwt import verify_vc_jwt
from app.vc.openbadges import identity_hash
from app.vc.statuslist import decode_list, get_bit
from app.vc.strictjson import StrictJsonError
from app.vc.types import DocumentLoaderFn, PublicKey

Status = Literal["passed", "failed", "skipped", "warning"]
Outcome = Literal["verified", "issuer_unconfirmed", "not_verified"]

VC_CONTEXTS = ("https://www.w3.org/ns/credentials/v2", "https://www.w3.org/2018/credentials/v1")
OB_CONTEXT_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/context"
OB_TYPES = ("OpenBadgeCredential", "AchievementCredential", "EndorsementCredential")
DEFAULT_SKEW = timedelta(minutes=5)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_ENDORSEMENTS = 10
KEY_UNBOUND = "key_unbound"
KEY_UNBOUND_MESSAGE = (
    "The signature is intact, but we could not confirm that the key belongs to the issuer."
)


@dataclass(frozen=True)
class ResolvedKey:
    """A public key and the controller (issuer) it belongs to.

    ``bound`` says whether the link between key and controller rests on something other
    than the credential itself: the controller is the key (``did:key``), the controller's
    own document lists it (a DID document, or a key document served from the controller's
    own host or registered for it), or the key is in this service's database. A key taken
    from the verification method id alone (the ``issuer#z6Mk…`` form when the issuer's
    document cannot be read) is not bound: its signature proves that the document is
    intact, not who signed it.
    """

    key: PublicKey
    controller: str | None
    bound: bool = True


KeyResolver = Callable[[str], ResolvedKey]
"""Verification method id (or JWS kid) -> key and controller; raises KeyResolutionError."""

IssuerKeys = Callable[[str], Sequence[tuple[str, PublicKey]]]
"""Issuer id -> the keys bound to that issuer, each with its verification method id.

Used for keys a credential carries itself (a JWT ``jwk`` header): such a key may only select
one of these, never add to them. Raises nothing; an issuer without bound keys gives ``[]``.
"""

StatusListFetcher = Callable[[str], Mapping[str, Any] | str]
"""Status list credential URL -> the list credential: JSON, or a VC-JWT (``application/vc+jwt``,
a compact JWS); raises VCError or ValueError."""


@dataclass(frozen=True)
class SchemaOutcome:
    """Schema problems (empty when valid); ``compacted`` when the credential passed only after
    single values were read as one-item lists, which JSON-LD treats as the same thing."""

    problems: list[str]
    compacted: bool = False


SchemaValidator = Callable[[Mapping[str, Any]], SchemaOutcome]
"""Credential -> schema outcome."""


@dataclass(frozen=True)
class Check:
    id: str
    status: Status
    code: str
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class VerificationResult:
    """The outcome: ``verified`` is true when no check failed."""

    checks: list[Check] = field(default_factory=list)
    credential: dict[str, Any] | None = None
    input_format: str | None = None
    proof_format: str | None = None
    jwt: str | None = None
    # For a ClrCredential: the result of each wrapped credential, in order.
    inner: list[VerificationResult] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        """The signature is valid, the key is bound to the issuer and nothing else failed."""
        return bool(self.checks) and not any(c.status == "failed" for c in self.checks)

    @property
    def outcome(self) -> Outcome:
        """``verified``; ``issuer_unconfirmed`` when the only failure is a valid signature by
        a key that could not be bound to the issuer (the document is intact, its origin is
        unconfirmed); ``not_verified`` otherwise."""
        failed = [c for c in self.checks if c.status == "failed"]
        if not self.checks or (failed and any(c.code != KEY_UNBOUND for c in failed)):
            return "not_verified"
        return "issuer_unconfirmed" if failed else "verified"

    def add(self, id: str, status: Status, code: str, message: str, **details: Any) -> None:
        self.checks.append(Check(id, status, code, message, details))

    def check(self, id: str) -> Check | None:
        return next((c for c in self.checks if c.id == id), None)


class WorkBudget:
    """How many credentials one request may verify: each credential, endorsement and wrapped
    credential is one unit (a Data Integrity proof costs milliseconds of canonicalization).
    Shared by every verification of a request; `spent` is what the caller is charged."""

    def __init__(self, units: int) -> None:
        self.left = units
        self.spent = 0

    def spend(self, units: int = 1) -> bool:
        if self.left < units:
            return False
        self.left -= units
        self.spent += units
        return True


@dataclass(frozen=True)
class Verifier:
    """Everything verification needs from outside, injected.

    Attributes:
        document_loader: JSON-LD document loader (pinned contexts).
        key_resolver: Resolves verification methods to keys with their controller.
        status_fetcher: Fetches status list credentials; ``None`` = status not checked.
        schema_validator: Validates against the OB 3.0 AchievementCredential schema
            (``None`` = the schema is not available; reported as a warning).
        now: The current time.
        skew: Allowed clock skew for the validity window.
        jwk_loader: Turns a JWK into a key, for JWTs that carry their key in the header.
        issuer_keys: The keys bound to an issuer. A key a JWT carries in its header counts
            only when it is one of these; otherwise the signature proves integrity only
            and the outcome is ``issuer_unconfirmed``.
        budget: The request's work budget (``None``: unbounded, for trusted callers such as
            the command line and our own pages).
        authoritative_status: True for status list URLs that ``status_fetcher`` reads
            from the issuer's own store (the verifier is the issuer): such lists may come
            unsigned, since a signature would only vouch for the same data.
        verified_proofs: Data Integrity proofs remembered as verified, by exact content and
            key (``None``: every proof is canonicalized and checked). Keys are still
            resolved, and status and validity checked, on every verification.
        multikey_loader: Turns a ``publicKeyMultibase`` into a key: the ephemeral key of an
            ecdsa-sd-2023 disclosure (``None``: such proofs are reported unsupported).
    """

    document_loader: DocumentLoaderFn
    key_resolver: KeyResolver
    schema_validator: SchemaValidator | None
    now: datetime
    status_fetcher: StatusListFetcher | None = None
    skew: timedelta = DEFAULT_SKEW
    jwk_loader: Callable[[Mapping[str, Any]], PublicKey] | None = None
    issuer_keys: IssuerKeys | None = None
    budget: WorkBudget | None = None
    authoritative_status: Callable[[str], bool] | None = None
    verified_proofs: VerifiedProofs | None = None
    multikey_loader: Callable[[str], PublicKey] | None = None


def _parse_input(
    data: Mapping[str, Any] | str | bytes, result: VerificationResult
) -> dict[str, Any] | str | None:
    """Turn any accepted input into a credential dict or a compact JWS string."""
    text: str
    if isinstance(data, Mapping):
        result.input_format = "json"
        return dict(data)
    if isinstance(data, bytes):
        stripped = data.lstrip()
        baked = None
        if data.startswith(PNG_SIGNATURE) or stripped.startswith(b"<"):
            try:
                baked = detect_and_unbake(data)
            except BakingError as exc:
                result.add("parse", "failed", "baked_image_invalid", str(exc))
                return None
            if baked is None:
                result.add(
                    "parse",
                    "failed",
                    "no_credential_in_image",
                    "The image does not carry an Open Badges 3.0 credential.",
                )
                return None
        if baked is not None:
            result.input_format, text = baked
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                result.add(
                    "parse",
                    "failed",
                    "unreadable_input",
                    "The input is neither JSON, a JWT nor a baked PNG or SVG image.",
                )
                return None
            result.input_format = "text"
    else:
        text = data
        result.input_format = "text"
    text = text.strip()
    if text.startswith("{"):
        try:
            parsed = strictjson.loads(text)
        except StrictJsonError as exc:
            result.add(
                "parse", "failed", "malformed_json", f"The credential is not acceptable JSON: {exc}"
            )
            return None
        except (ValueError, RecursionError) as exc:
            result.add(
                "parse", "failed", "malformed_json", f"The credential is not valid JSON: {exc}"
            )
            return None
        if not isinstance(parsed, dict):
            result.add("parse", "failed", "malformed_json", "The credential must be a JSON object.")
            return None
        if result.input_format == "text":
            result.input_format = "json"
        return parsed
    if text.count(".") == 2:
        if result.input_format == "text":
            result.input_format = "jwt"
        return text
    result.add(
        "parse",
        "failed",
        "unreadable_input",
        "The input is neither JSON, a JWT nor a baked PNG or SVG image.",
    )
    return None


def issuer_id(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, Mapping) and isinstance(issuer.get("id"), str):
        return str(issuer["id"])
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _check_structure(credential: Mapping[str, Any], result: VerificationResult) -> bool:
    contexts = _as_list(credential.get("@context"))
    if not contexts or contexts[0] not in VC_CONTEXTS:
        result.add(
            "context",
            "failed",
            "context_invalid",
            "The first @context must be the W3C Verifiable Credentials context.",
        )
        return False
    if not any(isinstance(c, str) and c.startswith(OB_CONTEXT_PREFIX) for c in contexts):
        result.add(
            "context",
            "failed",
            "context_invalid",
            "The Open Badges 3.0 context is missing from @context.",
        )
        return False
    result.add("context", "passed", "context_ok", "The JSON-LD contexts are those of OB 3.0.")
    types = _as_list(credential.get("type"))
    if "VerifiableCredential" not in types or not any(t in types for t in OB_TYPES):
        result.add(
            "type",
            "failed",
            "type_invalid",
            "The type must include VerifiableCredential and OpenBadgeCredential.",
        )
        return False
    result.add("type", "passed", "type_ok", "The credential is an Open Badges credential.")
    return True


def _is_legacy(credential: Mapping[str, Any]) -> bool:
    return _as_list(credential.get("@context"))[:1] == [VC_CONTEXTS[1]]


def _check_schema(
    credential: Mapping[str, Any], verifier: Verifier, result: VerificationResult
) -> None:
    if _is_legacy(credential):
        result.add(
            "schema",
            "warning",
            "schema_legacy",
            "A VC Data Model 1.1 credential (older OB 3.0 form): the OB 3.0 JSON Schema "
            "for VC 2.0 does not apply; other checks still do.",
        )
        return
    if verifier.schema_validator is None:
        result.add(
            "schema",
            "warning",
            "schema_unavailable",
            "The official OB 3.0 JSON Schema is not available here; not checked.",
        )
        return
    outcome = verifier.schema_validator(credential)
    if outcome.problems:
        result.add(
            "schema",
            "failed",
            "schema_invalid",
            "The credential does not follow the Open Badges 3.0 JSON Schema: "
            + "; ".join(outcome.problems[:5]),
            problems=outcome.problems[:20],
        )
    elif outcome.compacted:
        result.add(
            "schema",
            "warning",
            "schema_compacted",
            "The credential follows the Open Badges 3.0 JSON Schema when single values are "
            "read as one-item lists (JSON-LD compacted form).",
        )
    else:
        result.add(
            "schema",
            "passed",
            "schema_ok",
            "The credential follows the Open Badges 3.0 JSON Schema.",
        )


def _check_subject(credential: Mapping[str, Any], result: VerificationResult) -> None:
    subjects = _as_list(credential.get("credentialSubject"))
    ok = bool(subjects) and all(
        isinstance(s, Mapping) and (s.get("id") or s.get("identifier")) for s in subjects
    )
    if ok:
        result.add("subject", "passed", "subject_ok", "The credential names its recipient.")
    else:
        result.add(
            "subject",
            "failed",
            "subject_missing",
            "The recipient has neither an id nor an identifier.",
        )


class _RecordingResolver:
    """Adapts a KeyResolver to the proof verifiers and remembers controllers."""

    def __init__(self, resolver: KeyResolver) -> None:
        self.resolver = resolver
        self.controllers: dict[str, str | None] = {}
        self.unbound: set[str] = set()
        self.refused: dict[str, str] = {}

    def record(self, method_id: str, resolved: ResolvedKey) -> PublicKey:
        self.controllers[method_id] = resolved.controller
        if not resolved.bound:
            self.unbound.add(method_id)
        return resolved.key

    def __call__(self, method_id: str) -> PublicKey:
        try:
            resolved = self.resolver(method_id)
        except KeyDocumentRefused as exc:
            self.refused[method_id] = str(exc)
            raise
        return self.record(method_id, resolved)


def _linkable(issuer: str) -> bool:
    """Only a DID or a URL can have keys; an id such as urn:uuid cannot."""
    return issuer.startswith(("did:", "https://", "http://"))


def _check_controller(
    method_ids: Sequence[str],
    resolver: _RecordingResolver,
    issuer: str | None,
    result: VerificationResult,
) -> bool:
    """The key binding: every signing key must belong to the issuer by something other than
    the credential itself. A key shown to be another party's fails; a key that cannot be
    tied to anyone is the distinct ``key_unbound`` outcome."""
    controllers = resolver.controllers
    for method_id in method_ids:
        controller = controllers.get(method_id)
        if issuer is None or not _linkable(issuer):
            result.add(
                "issuer",
                "failed",
                KEY_UNBOUND,
                KEY_UNBOUND_MESSAGE
                + f" The issuer id {issuer or '(none)'} cannot have keys; the credential "
                f"was signed with {method_id}.",
                issuer=issuer,
                verification_method=method_id,
            )
            return False
        if controller is not None and controller != issuer:
            result.add(
                "issuer",
                "failed",
                "key_not_issuers",
                f"The signing key {method_id} belongs to {controller}, not to the issuer {issuer}.",
                verification_method=method_id,
            )
            return False
        if controller is None or method_id in resolver.unbound:
            result.add(
                "issuer",
                "failed",
                KEY_UNBOUND,
                KEY_UNBOUND_MESSAGE
                + f" Neither the issuer's own document nor a trusted source lists {method_id}.",
                issuer=issuer,
                verification_method=method_id,
            )
            return False
    result.add(
        "issuer",
        "passed",
        "key_is_issuers",
        "The credential was signed with the issuer's own key.",
        issuer=issuer,
        verification_methods=list(method_ids),
    )
    return True


def _refused(resolver: _RecordingResolver, result: VerificationResult) -> None:
    method_id, reason = next(iter(resolver.refused.items()))
    result.add(
        "proof",
        "failed",
        "key_document_refused",
        f"The key {method_id} cannot be checked: {reason}",
        verification_method=method_id,
    )


def _verify_data_integrity(
    credential: dict[str, Any], verifier: Verifier, result: VerificationResult
) -> bool:
    proofs = _as_list(credential.get("proof"))
    if len(proofs) > MAX_PROOFS:
        result.add(
            "proof",
            "failed",
            "too_many_proofs",
            f"The credential carries {len(proofs)} proofs; at most {MAX_PROOFS} are checked.",
        )
        return False
    resolver = _RecordingResolver(verifier.key_resolver)
    outcome = verify_proof(
        credential,
        public_key_resolver=resolver,
        document_loader=verifier.document_loader,
        verified_proofs=verifier.verified_proofs,
        multikey_loader=verifier.multikey_loader,
    )
    result.proof_format = "data-integrity"
    if not outcome.verified and resolver.refused:
        _refused(resolver, result)
        return False
    if not outcome.verified:
        result.add(
            "proof",
            "failed",
            "signature_invalid",
            "The signature does not verify: " + "; ".join(outcome.reasons),
            reasons=outcome.reasons,
        )
        return False
    methods = [
        c.verification_method for c in outcome.checks if c.verified and c.verification_method
    ]
    suites = sorted({c.cryptosuite or c.proof_type or "" for c in outcome.checks if c.verified})
    result.add(
        "proof",
        "passed",
        "signature_valid",
        f"The signature is valid ({', '.join(suites)}).",
        cryptosuites=suites,
    )
    return _check_controller(methods, resolver, issuer_id(credential), result)


def _verify_jwt(
    token: str, verifier: Verifier, result: VerificationResult
) -> dict[str, Any] | None:
    resolver = _RecordingResolver(verifier.key_resolver)
    embedded = None
    if verifier.jwk_loader is not None:
        jwk_loader = verifier.jwk_loader

        def embedded(jwk: Mapping[str, Any], _issuer: str | None) -> PublicKey:
            try:
                return jwk_loader(jwk)
            except ValueError as exc:
                raise KeyResolutionError(f"unusable jwk: {exc}") from exc

    outcome = verify_vc_jwt(
        token, public_key_resolver=resolver, embedded_jwk_resolver=embedded, require_claims=False
    )
    result.proof_format = "vc-jwt"
    result.jwt = token
    if resolver.refused:
        _refused(resolver, result)
        return None
    if not outcome.verified or outcome.credential is None:
        result.add(
            "proof",
            "failed",
            "signature_invalid",
            "The JWT does not verify: " + "; ".join(outcome.errors),
            reasons=list(outcome.errors),
        )
        return None
    alg = (outcome.header or {}).get("alg")
    result.add(
        "proof",
        "passed",
        "signature_valid",
        f"The JWT signature is valid ({alg}).",
        algorithm=alg,
        warnings=list(outcome.warnings),
    )
    credential = outcome.credential
    header = outcome.header or {}
    if outcome.key_source == "kid":
        method_id = str(header["kid"])
    else:
        method_id = _bind_embedded_key(header.get("jwk"), issuer_id(credential), verifier, resolver)
    _check_controller([method_id], resolver, issuer_id(credential), result)
    return credential


EMBEDDED_KEY = "the key in the JWT header"


def _same_key(a: PublicKey, b: PublicKey) -> bool:
    return a.algorithm == b.algorithm and a.to_jwk() == b.to_jwk()


def _bind_embedded_key(
    jwk: Any, issuer: str | None, verifier: Verifier, resolver: _RecordingResolver
) -> str:
    """A key carried in the JWT header only selects among the issuer's bound keys.

    Returns the verification method id of the bound key it matches, or
    :data:`EMBEDDED_KEY`, recorded as unbound, when it matches none.
    """
    assert verifier.jwk_loader is not None and isinstance(jwk, Mapping)
    key = verifier.jwk_loader(jwk)
    if issuer is not None and verifier.issuer_keys is not None:
        for method_id, bound in verifier.issuer_keys(issuer):
            if _same_key(key, bound):
                resolver.record(method_id, ResolvedKey(bound, issuer))
                return method_id
    resolver.record(EMBEDDED_KEY, ResolvedKey(key, None, bound=False))
    return EMBEDDED_KEY


def _check_status(
    credential: Mapping[str, Any], verifier: Verifier, result: VerificationResult
) -> None:
    entries = [e for e in _as_list(credential.get("credentialStatus")) if isinstance(e, Mapping)]
    if not entries:
        result.add(
            "status",
            "skipped",
            "status_none",
            "The issuer does not publish a revocation status for this credential.",
        )
        return
    if verifier.status_fetcher is None:
        result.add("status", "skipped", "status_not_checked", "The status was not checked.")
        return
    for entry in entries:
        kind = entry.get("type")
        try:
            if kind in ("BitstringStatusListEntry", "StatusList2021Entry"):
                outcome = _bitstring_status(entry, credential, verifier)
            elif kind == "1EdTechRevocationList":
                outcome = _revocation_list_status(entry, credential, verifier)
            else:
                result.add(
                    "status",
                    "warning",
                    "status_unsupported",
                    f"The status method {kind!r} is not supported; not checked.",
                )
                continue
        except (VCError, ValueError, KeyError, TypeError) as exc:
            result.add(
                "status",
                "failed",
                "status_unavailable",
                f"The revocation status could not be checked: {exc}",
            )
            return
        if outcome is not None:
            code, message = outcome
            result.add("status", "failed", code, message)
            return
    result.add("status", "passed", "status_ok", "The credential has not been revoked.")


def _bitstring_status(
    entry: Mapping[str, Any], credential: Mapping[str, Any], verifier: Verifier
) -> tuple[str, str] | None:
    assert verifier.status_fetcher is not None
    url = str(entry["statusListCredential"])
    index = int(str(entry["statusListIndex"]))
    purpose = str(entry.get("statusPurpose", "revocation"))
    fetched = verifier.status_fetcher(url)
    if isinstance(fetched, str):
        # A VC-JWT: read from its payload once its signature and key have been checked.
        list_credential, checked = _status_list_from_jwt(fetched, verifier), True
    else:
        list_credential, checked = dict(fetched), False
    list_issuer = issuer_id(list_credential)
    if list_issuer != issuer_id(credential):
        raise ValueError("the status list was not published by the credential's issuer")
    if not checked:
        _check_list_proof(list_credential, list_issuer, url, verifier)
    subject = list_credential["credentialSubject"]
    if subject.get("statusPurpose", purpose) != purpose:
        raise ValueError("the status list has another purpose than the entry")
    bits = decode_list(str(subject["encodedList"]))
    if get_bit(bits, index):
        if purpose == "suspension":
            return "suspended", "The issuer has suspended this credential."
        return "revoked", "The issuer has revoked this credential."
    return None


def _check_list_proof(
    list_credential: Mapping[str, Any], list_issuer: str | None, url: str, verifier: Verifier
) -> None:
    """A JSON status list must carry a valid proof by the issuer's key, unless the verifier
    reads it from its own authority (our lists, from the database)."""
    if list_credential.get("proof") is not None:
        resolver = _RecordingResolver(verifier.key_resolver)
        outcome = verify_proof(
            list_credential,
            public_key_resolver=resolver,
            document_loader=verifier.document_loader,
            verified_proofs=verifier.verified_proofs,
            multikey_loader=verifier.multikey_loader,
        )
        if not outcome.verified:
            raise ValueError("the status list's signature does not verify")
        _check_list_keys(resolver, list_issuer)
    elif verifier.authoritative_status is None or not verifier.authoritative_status(url):
        raise ValueError("the status list is not signed")


def _status_list_from_jwt(token: str, verifier: Verifier) -> dict[str, Any]:
    """The list credential of a VC-JWT status list, once its signature verifies with a key
    of the party that issued it (the key named by ``kid``; a key carried in the header is
    not trusted for a status list)."""
    resolver = _RecordingResolver(verifier.key_resolver)
    outcome = verify_vc_jwt(token, public_key_resolver=resolver, require_claims=False)
    if not outcome.verified or outcome.credential is None:
        raise ValueError("the status list's JWT does not verify: " + "; ".join(outcome.errors))
    list_credential = dict(outcome.credential)
    _check_list_keys(resolver, issuer_id(list_credential))
    return list_credential


def _check_list_keys(resolver: _RecordingResolver, list_issuer: str | None) -> None:
    """Every key that signed a status list must be bound to the list's issuer."""
    if any(c != list_issuer for c in resolver.controllers.values()):
        raise ValueError("the status list was signed with another party's key")
    if resolver.unbound:
        raise ValueError("the status list's key could not be confirmed to belong to the issuer")


def _revocation_list_status(
    entry: Mapping[str, Any], credential: Mapping[str, Any], verifier: Verifier
) -> tuple[str, str] | None:
    assert verifier.status_fetcher is not None
    document = verifier.status_fetcher(str(entry["id"]))
    if isinstance(document, str):
        raise ValueError("the revocation list is a JWT; a 1EdTechRevocationList is JSON")
    revoked = document.get("revokedCredentials") or document.get("revokedAssertions") or []
    credential_id = credential.get("id")
    for item in revoked:
        revoked_id = item.get("id") if isinstance(item, Mapping) else item
        if revoked_id == credential_id:
            return "revoked", "The issuer has revoked this credential."
    return None


def _check_validity(
    credential: Mapping[str, Any], verifier: Verifier, result: VerificationResult
) -> None:
    start_key = "validFrom" if "validFrom" in credential else "issuanceDate"
    end_key = "validUntil" if "validUntil" in credential else "expirationDate"
    try:
        start = parse_datetime(credential.get(start_key))
        end = parse_datetime(credential[end_key]) if credential.get(end_key) else None
    except ValueError as exc:
        result.add("validity", "failed", "date_invalid", f"A date is not valid: {exc}")
        return
    if start > verifier.now + verifier.skew:
        result.add(
            "validity",
            "failed",
            "not_yet_valid",
            f"The credential is valid only from {credential[start_key]}.",
        )
    elif end is not None and end < verifier.now - verifier.skew:
        result.add(
            "validity", "failed", "expired", f"The credential expired on {credential[end_key]}."
        )
    else:
        result.add(
            "validity",
            "passed",
            "valid_now",
            "The credential is valid now.",
            valid_from=credential.get(start_key),
            valid_until=credential.get(end_key),
        )


def _check_endorsements(
    credential: Mapping[str, Any], verifier: Verifier, result: VerificationResult, depth: int
) -> None:
    endorsements = _as_list(credential.get("endorsement"))
    if not endorsements:
        return
    budget = verifier.budget
    if (
        depth > 0
        or len(endorsements) > MAX_ENDORSEMENTS
        or (budget is not None and budget.left < len(endorsements))
    ):
        result.add(
            "endorsements",
            "warning",
            "endorsements_not_checked",
            "Endorsements were not checked (too many, nested, or past the request's "
            "verification work limit).",
        )
        return
    bad = 0
    for endorsement in endorsements:
        inner = verify_credential(endorsement, verifier, _depth=depth + 1)
        if not inner.verified:
            bad += 1
    if bad:
        result.add(
            "endorsements",
            "warning",
            "endorsement_invalid",
            f"{bad} of {len(endorsements)} endorsements do not verify.",
        )
    else:
        result.add(
            "endorsements",
            "passed",
            "endorsements_ok",
            f"{len(endorsements)} endorsement(s) verified.",
        )


def _check_recipient(credential: Mapping[str, Any], email: str, result: VerificationResult) -> None:
    wanted = email.strip().lower()
    for subject in _as_list(credential.get("credentialSubject")):
        for ident in _as_list(subject.get("identifier") if isinstance(subject, Mapping) else None):
            if not isinstance(ident, Mapping) or ident.get("identityType") != "emailAddress":
                continue
            value = str(ident.get("identityHash", ""))
            if ident.get("hashed"):
                salt = str(ident.get("salt") or "")
                candidates = {identity_hash(wanted, salt), identity_hash(email.strip(), salt)}
                if value.lower() in {c.lower() for c in candidates}:
                    result.add(
                        "recipient",
                        "passed",
                        "recipient_match",
                        "The credential was issued to this e-mail address.",
                    )
                    return
            elif value.strip().lower() == wanted:
                result.add(
                    "recipient",
                    "passed",
                    "recipient_match",
                    "The credential was issued to this e-mail address.",
                )
                return
    result.add(
        "recipient",
        "failed",
        "recipient_mismatch",
        "The credential was not issued to this e-mail address.",
    )


def verify_credential(
    data: Mapping[str, Any] | str | bytes,
    verifier: Verifier,
    *,
    recipient_email: str | None = None,
    _depth: int = 0,
) -> VerificationResult:
    """Verify a credential given as JSON, a compact JWS, or a baked PNG/SVG.

    Args:
        data: The credential (dict), its JSON or JWS text, or image / text bytes.
        verifier: Injected resolvers, validators and clock.
        recipient_email: If given, check that the credential was issued to it.

    Returns:
        The result, never raising for bad input.
    """
    result = VerificationResult()
    parsed = _parse_input(data, result)
    if parsed is None:
        return result
    result.add("parse", "passed", "parsed", f"Read a credential ({result.input_format}).")
    if verifier.budget is not None and not verifier.budget.spend():
        result.add(
            "work",
            "failed",
            "work_limit",
            "This request asks for more verification work than one request may do; "
            "send fewer credentials at a time.",
        )
        return result
    if isinstance(parsed, str):
        credential = _verify_jwt(parsed, verifier, result)
        if credential is None:
            return result
    else:
        credential = parsed
    result.credential = credential
    if isinstance(parsed, dict) and "ClrCredential" in _as_list(credential.get("type")):
        _verify_clr(credential, verifier, result, _depth)
        return result
    if not _check_structure(credential, result):
        return result
    _check_schema(credential, verifier, result)
    _check_subject(credential, result)
    if isinstance(parsed, dict):
        try:
            _verify_data_integrity(credential, verifier, result)
        except (VCError, KeyResolutionError, ValueError) as exc:
            result.add(
                "proof", "failed", "signature_invalid", f"The proof cannot be checked: {exc}"
            )
    if credential.get("refreshService"):
        result.add(
            "refresh",
            "skipped",
            "refresh_not_used",
            "The credential offers a refresh service; the stored copy was verified.",
        )
    _check_status(credential, verifier, result)
    _check_validity(credential, verifier, result)
    _check_endorsements(credential, verifier, result, _depth)
    if recipient_email:
        _check_recipient(credential, recipient_email, result)
    return result


def _verify_clr(
    credential: dict[str, Any], verifier: Verifier, result: VerificationResult, depth: int
) -> None:
    """A CLR 2.0 ClrCredential: its own proof, issuer and validity, then every wrapped
    credential verified on its own (and about the same learner)."""
    contexts = _as_list(credential.get("@context"))
    if (
        not contexts
        or contexts[0] != VC_CONTEXTS[0]
        or not any(isinstance(c, str) and c.startswith(CLR_CONTEXT_PREFIX) for c in contexts)
    ):
        result.add(
            "context",
            "failed",
            "context_invalid",
            "A ClrCredential needs the W3C VC 2.0 context first and the CLR 2.0 context.",
        )
        return
    result.add("context", "passed", "context_ok", "The JSON-LD contexts are those of CLR 2.0.")
    if "VerifiableCredential" not in _as_list(credential.get("type")):
        result.add(
            "type",
            "failed",
            "type_invalid",
            "The type must include VerifiableCredential and ClrCredential.",
        )
        return
    result.add("type", "passed", "type_ok", "The credential is a CLR 2.0 ClrCredential.")
    if depth > 0:
        result.add("credentials", "failed", "clr_nested", "A ClrCredential cannot be nested.")
        return
    subject = credential.get("credentialSubject")
    subject = subject if isinstance(subject, Mapping) else {}
    wrapped = _as_list(subject.get("verifiableCredential"))
    if not (subject.get("id") or subject.get("identifier")) or not wrapped:
        result.add(
            "subject",
            "failed",
            "subject_missing",
            "The learner or the wrapped credentials are missing.",
        )
        return
    if len(wrapped) > MAX_WRAPPED:
        result.add(
            "subject", "failed", "too_many", f"At most {MAX_WRAPPED} credentials are checked."
        )
        return
    result.add("subject", "passed", "subject_ok", "The record names its learner.")
    result.add(
        "schema",
        "skipped",
        "schema_unavailable",
        "The CLR 2.0 JSON Schema is not available here; each wrapped credential is checked "
        "against the Open Badges 3.0 schema.",
    )
    try:
        _verify_data_integrity(credential, verifier, result)
    except (VCError, KeyResolutionError, ValueError) as exc:
        result.add("proof", "failed", "signature_invalid", f"The proof cannot be checked: {exc}")
    _check_validity(credential, verifier, result)
    learner = subject.get("id")
    failed = 0
    for item in wrapped:
        inner = verify_credential(item, verifier, _depth=depth + 1)
        about = _as_list((inner.credential or {}).get("credentialSubject"))
        inner_subject = about[0].get("id") if about and isinstance(about[0], Mapping) else None
        if learner and inner.credential is not None and inner_subject != learner:
            inner.add(
                "holder",
                "failed",
                "holder_mismatch",
                "The credential is about another learner than the record.",
            )
        result.inner.append(inner)
        failed += not inner.verified
    if failed:
        result.add(
            "credentials",
            "failed",
            "inner_invalid",
            f"{failed} of {len(wrapped)} wrapped credentials do not verify.",
            failed=failed,
            total=len(wrapped),
        )
    else:
        result.add(
            "credentials",
            "passed",
            "inner_ok",
            f"All {len(wrapped)} wrapped credentials verify.",
            total=len(wrapped),
        )
