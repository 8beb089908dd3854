"""Exceptions raised by the Open Badges 3.0 / VC core.

Issuing raises; verifying returns a result object. The verify functions catch these
exceptions and turn them into a failed check with the message as the reason.
"""

from __future__ import annotations

from collections.abc import Sequence


class VCError(Exception):
    """Base class of every error raised by :mod:`app.vc`."""


class ContextError(VCError):
    """A JSON-LD context could not be served.

    Attributes:
        url: The context URL concerned.
    """

    def __init__(self, url: str, message: str) -> None:
        super().__init__(message)
        self.url = url


class UnknownContextError(ContextError):
    """The context URL is not in the pinned table."""

    def __init__(self, url: str) -> None:
        super().__init__(url, f"JSON-LD context is not pinned (refusing to load it): {url}")


class ContextUnavailableError(ContextError):
    """The context is pinned but no local copy exists and no fetcher was given."""

    def __init__(self, url: str, detail: str = "") -> None:
        msg = f"JSON-LD context {url} is pinned but not available offline"
        super().__init__(url, f"{msg}: {detail}" if detail else msg)


class ContextDigestMismatchError(ContextError):
    """A fetched context does not match its pinned SHA-256 digest."""

    def __init__(self, url: str, expected: str, actual: str) -> None:
        super().__init__(
            url, f"JSON-LD context {url} has SHA-256 {actual}, expected the pinned {expected}"
        )
        self.expected = expected
        self.actual = actual


class CanonicalizationError(VCError):
    """The document cannot be canonicalized (invalid JSON-LD or refused by a strict check)."""


class UndefinedTermError(CanonicalizationError):
    """A property or type name is not defined by the document's contexts.

    Attributes:
        term: The undefined term.
        paths: JSON paths in the document where the term occurs.
    """

    def __init__(self, term: str, paths: Sequence[str], *, kind: str = "property") -> None:
        where = ", ".join(paths) if paths else "unknown location"
        super().__init__(f"undefined JSON-LD {kind} term {term!r} at {where}")
        self.term = term
        self.paths = tuple(paths)
        self.kind = kind


class RelativeIriError(CanonicalizationError):
    """An identifier is a relative IRI (it would silently be resolved against a base).

    Attributes:
        iri: The relative IRI.
        paths: JSON paths in the document where the value occurs.
    """

    def __init__(self, iri: str, paths: Sequence[str]) -> None:
        where = ", ".join(paths) if paths else "unknown location"
        super().__init__(f"relative IRI {iri!r} at {where}; identifiers must be absolute")
        self.iri = iri
        self.paths = tuple(paths)


class SigningError(VCError):
    """A credential could not be signed (bad input or unsuitable signer)."""


class KeyResolutionError(VCError):
    """A verification method or key id could not be resolved to a public key."""


class KeyDocumentRefused(KeyResolutionError):
    """The document holding the key is at an address that is never fetched (not https, or a
    host resolving to a private, loopback or link-local address)."""


class MultibaseError(VCError, ValueError):
    """A multibase / multicodec value is malformed or unsupported."""


class DidError(VCError, ValueError):
    """A DID or DID URL is malformed or uses an unsupported method."""


class JwtError(VCError):
    """A VC-JWT could not be produced or parsed."""
