"""Verification answers kept by the digest of what they were made from (decision 0020).

A school's system, an applicant tracking system or a wallet often verifies the same
credential again and again. The answer to a verification request is a function of the
request's bytes, of a few rows and of the time:

- our organizations' signing keys (their status and public JWK) that the verification
  looked up, and the status lists (their bits) it read;
- the trust registry and our organizations (who is known, `issuer_trust`);
- the qualification catalog's version (the recognition summary);
- the time, only through the dates written in the credential (its validity window, a
  proof's `expires`, a JWT's `nbf` and `exp`, an endorsement's dates).

:class:`InputsRecorder` notes, while a verification runs, which keys and status lists it
read. :func:`fingerprint` reads exactly those rows, with the registry and the catalog's
version, in one statement, and digests them. An answer is kept under the digest of the
request's bytes with that fingerprint and the first moment its dates could change it; a
later request with the same bytes reads the fingerprint again and gets the kept answer only
when it is the same and that moment has not come. A revocation, a suspension, a withdrawn
key, a changed registry or a re-synced catalog therefore shows on the very next request, on
every instance, as before; nothing is shared between instances.

What is never kept: an answer that used anything but our database and the credential itself
(a did:web or https document, another host's status list, documents from files or a cache
of fetched documents, all of which change outside the database), an answer that needed the
network, and errors. An answer is kept only the second time its bytes are seen, made in a
snapshot whose last read is its fingerprint (so the answer and its fingerprint belong to
one moment of the database); a credential verified once costs what it did before.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import bindparam, union_all
from sqlmodel import Session, col

from app.config import Settings
from app.credentials.keyresolver import our_did_prefix
from app.fingerprints import BitsDigest, by_kind, digest, first_change, moments, part
from app.models import Organization, Qualification, SigningKey, StatusList, TrustedIssuer
from app.vc.verify import DEFAULT_SKEW, VerificationResult

# A kept answer is made again at least this often, whatever its dates say.
ANSWER_MAX_AGE = timedelta(minutes=5)

T = TypeVar("T")


@dataclass(frozen=True)
class Inputs:
    """The rows a verification read besides the registry and the catalog: the keys of these
    organizations (by slug) and these status lists (by public id)."""

    organizations: frozenset[str]
    status_lists: frozenset[str]


@dataclass
class InputsRecorder:
    """Wraps a verifier's look-ups (app.verification.service.build_verifier) and notes what
    they read; `inputs` is None when anything came from outside our database."""

    settings: Settings
    organizations: set[str] = field(default_factory=set)
    status_lists: set[str] = field(default_factory=set)
    outside: bool = False
    documents: list[Any] = field(default_factory=list)

    def keys(self, lookup: Callable[[str], T]) -> Callable[[str], T]:
        """A key resolver or an issuer's keys, by verification method id or issuer id."""
        prefix = our_did_prefix(self.settings)

        def recorded(method_or_issuer: str) -> T:
            did = method_or_issuer.partition("#")[0]
            if did.startswith(prefix):
                self.organizations.add(did.removeprefix(prefix))
            elif not did.startswith("did:key:"):  # a did:key is its own key: a pure function
                self.outside = True
            return lookup(method_or_issuer)

        return recorded

    def status_lists_of(self, lookup: Callable[[str], T]) -> Callable[[str], T]:
        prefix = f"{self.settings.public_origin}/status/"

        def recorded(url: str) -> T:
            if url.startswith(prefix):
                self.status_lists.add(url.removeprefix(prefix))
            else:
                self.outside = True
            return lookup(url)

        return recorded

    def verified(self, data: Any, result: VerificationResult) -> None:
        """Note what the answer's dates are read from: the input and what was verified."""
        self.documents.append(data)
        pending = [result]
        while pending:
            current = pending.pop()
            self.documents.append(current.credential)
            self.documents.append(current.jwt)
            pending.extend(current.inner)

    @property
    def inputs(self) -> Inputs | None:
        if self.outside:
            return None
        return Inputs(frozenset(self.organizations), frozenset(self.status_lists))

    def valid_until(self, now: datetime, skew: timedelta = DEFAULT_SKEW) -> datetime:
        """The first moment after `now` at which the time alone could change the answer:
        every date in what was verified, and each one a tolerance before and after."""
        return first_change(
            moments(_with_jwt_payloads(self.documents)),
            offsets=(timedelta(0), -skew, skew),
            now=now,
            at_most=ANSWER_MAX_AGE,
        )


# A compact JWS, alone or as an enveloped credential's data: URL.
_COMPACT_JWS = re.compile(r"^(?:data:[a-z+/.-]+,)?([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.")
_NUMERIC_DATES = ("nbf", "exp", "iat")
_MAX_NESTING = 8


def _with_jwt_payloads(values: Iterable[Any]) -> Iterator[Any]:
    """The values, and the payload of every JWT found in them (at any depth), with its
    numeric dates (`nbf`, `exp`, `iat`) written as dates."""
    pending = [(value, 0) for value in values]
    while pending:
        value, depth = pending.pop()
        yield value
        if depth >= _MAX_NESTING:
            continue
        for text in _strings(value):
            match = _COMPACT_JWS.match(text)
            if match is None:
                continue
            try:
                segment = match.group(2)
                payload = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
            except ValueError:
                continue
            if not isinstance(payload, dict):
                continue
            dates = {}
            for claim in _NUMERIC_DATES:
                moment = payload.get(claim)
                if isinstance(moment, int | float) and not isinstance(moment, bool):
                    try:
                        dates[claim] = datetime.fromtimestamp(moment, UTC).isoformat()
                    except (OverflowError, OSError, ValueError):
                        continue
            pending.append(({"payload": payload, "dates": dates}, depth + 1))


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            yield current
        elif isinstance(current, Mapping):
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


INPUTS_WIDTH = 5  # values per row: the most any part has (a status list's)
_ORGANIZATIONS: Any = bindparam("organizations", expanding=True)
_STATUS_LISTS: Any = bindparam("status_lists", expanding=True)
# Everything an answer is made from besides the request, in one statement (one round trip,
# one snapshot): what the verification's key and status look-ups read
# (app.credentials.keyresolver, app.verification.service), what issuer_trust reads, and
# the catalog's version (app.verification.summary.catalog_version).
_PARTS = (
    part(
        "status",
        col(StatusList.public_id),
        col(StatusList.purpose),
        col(Organization.slug),
        col(StatusList.version),
        BitsDigest(col(StatusList.bits)),
        width=INPUTS_WIDTH,
    )
    .join(Organization, col(Organization.id) == col(StatusList.organization_id))
    .where(col(StatusList.public_id).in_(_STATUS_LISTS)),
    part(
        "key",
        col(Organization.slug),
        col(SigningKey.key_id),
        col(SigningKey.status),
        col(SigningKey.public_jwk),
        width=INPUTS_WIDTH,
    )
    .join(Organization, col(Organization.id) == col(SigningKey.organization_id))
    .where(col(Organization.slug).in_(_ORGANIZATIONS)),
    part("trusted", col(TrustedIssuer.issuer_id), col(TrustedIssuer.documents), width=INPUTS_WIDTH),
    part("organization", col(Organization.id), col(Organization.slug), width=INPUTS_WIDTH),
    part("catalog", col(Qualification.id), col(Qualification.content_hash), width=INPUTS_WIDTH),
)
_KINDS = ("status", "key", "trusted", "organization", "catalog")


def inputs_statement(*others: Any) -> Any:
    """The statement that reads the inputs, with `others` parts (app.fingerprints.part, of
    width 5 and kinds of their own) read in the same round trip."""
    return union_all(*_PARTS, *others)


_INPUTS = inputs_statement()


def fingerprint(session: Session, inputs: Inputs) -> str:
    """The digest of the rows an answer with these inputs is made from, read now."""
    rows = session.connection().execute(_INPUTS, read_values(inputs))
    return fingerprint_of(rows)


def fingerprint_of(rows: Iterable[Sequence[Any]], *others: str) -> str:
    """The fingerprint in the rows of the inputs' statement (`others`: the kinds of the
    other parts read with it, which it leaves out)."""
    return digest(by_kind(rows, _KINDS + others), _KINDS)


def read_values(inputs: Inputs) -> dict[str, list[str]]:
    """The values of the inputs' statement's expanding parameters for these inputs."""
    return {
        "organizations": sorted(inputs.organizations),
        "status_lists": sorted(inputs.status_lists),
    }


@dataclass(frozen=True)
class KeptAnswer:
    inputs: Inputs
    fingerprint: str
    body: bytes
    units: int  # the work it took, charged to every caller it is sent to
    until: datetime


class KeptAnswers:
    """Answers kept by the digest of the request's bytes (bounded, least recently used
    first), and the digests of requests seen once (an answer is kept the second time)."""

    def __init__(self, max_entries: int = 512, max_seen: int = 4096) -> None:
        self.max_entries = max_entries
        self.max_seen = max_seen
        self._answers: OrderedDict[bytes, KeptAnswer] = OrderedDict()
        # Bytes answered before, and whether their answer could be kept (its inputs were all
        # in our database).
        self._seen: OrderedDict[bytes, bool] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(raw: bytes) -> bytes:
        return hashlib.blake2b(raw, digest_size=32).digest()

    def candidate(self, key: bytes) -> KeptAnswer | None:
        """The kept answer for these bytes, to be checked (`still_true`) before it is sent."""
        with self._lock:
            return self._answers.get(key)

    def seen(self, key: bytes) -> bool:
        """Whether an answer was made for these bytes before (`saw`) and could be kept."""
        with self._lock:
            return self._seen.get(key, False)

    def saw(self, key: bytes, *, keepable: bool = True) -> None:
        """Note that an answer was made for these bytes and not kept (`keepable`: not yet)."""
        if self.max_entries <= 0:
            return
        with self._lock:
            self._seen[key] = keepable
            self._seen.move_to_end(key)
            while len(self._seen) > self.max_seen:
                self._seen.popitem(last=False)

    def still_true(self, session: Session, key: bytes, kept: KeptAnswer, *, now: datetime) -> bool:
        """Whether the kept answer is the answer now: its fingerprint, read in `session`, is
        the same and its dates have not come. A stale answer is dropped."""
        return self.still_true_by(
            key, kept, fingerprint(session, kept.inputs) if now < kept.until else None, now=now
        )

    def still_true_by(
        self, key: bytes, kept: KeptAnswer, current: str | None, *, now: datetime
    ) -> bool:
        """`still_true` with the fingerprint read now (`current`) by the caller."""
        if now < kept.until and current == kept.fingerprint:
            with self._lock:
                if key in self._answers:
                    self._answers.move_to_end(key)
            return True
        with self._lock:
            if self._answers.get(key) is kept:
                del self._answers[key]
        return False

    def keep(
        self,
        session: Session,
        key: bytes,
        recorder: InputsRecorder,
        body: bytes,
        *,
        units: int,
        now: datetime,
    ) -> None:
        """Keep an answer just made in `session` (a snapshot) from what `recorder` noted."""
        inputs = recorder.inputs
        if inputs is None:
            self.saw(key, keepable=False)
            return
        if self.max_entries <= 0:
            return
        answer = KeptAnswer(
            inputs=inputs,
            fingerprint=fingerprint(session, inputs),
            body=body,
            units=units,
            until=recorder.valid_until(now),
        )
        with self._lock:
            self._answers[key] = answer
            self._answers.move_to_end(key)
            while len(self._answers) > self.max_entries:
                self._answers.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self._seen.clear()

    def __len__(self) -> int:
        return len(self._answers)


# One per process: the verification API's answers (app/api/verifications.py).
KEPT_ANSWERS = KeptAnswers()
