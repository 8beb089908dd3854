"""RDFC-1.0 canonicalization (PyLD ``URDNA2015``) with strict pre-signing checks.

PyLD silently drops properties whose names the contexts do not define and resolves
relative IRIs against a default base; a signature over such a document covers less than
the JSON says, and other implementations (Digital Bazaar's "safe mode") refuse it. So
:func:`canonicalize` expands the document once, inspects the expanded form, and raises
:class:`~app.vc.errors.UndefinedTermError` / :class:`~app.vc.errors.RelativeIriError`
naming the term and its JSON path before any N-Quads are produced.

The check hooks into PyLD's own expansion (one expansion per canonicalization, which is
95 % of the cost), by overriding ``JsonLdProcessor.expand`` in a subclass.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from typing import Any, cast

from cachetools import LRUCache
from pyld import jsonld
from pyld.context_resolver import ContextResolver

from app.vc.errors import (
    CanonicalizationError,
    ContextError,
    RelativeIriError,
    UndefinedTermError,
)
from app.vc.types import DocumentLoaderFn

_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_NO_DESCENT = frozenset({"@index", "@language", "@direction", "@context"})


def _is_absolute_or_blank(value: object) -> bool:
    return isinstance(value, str) and (value.startswith("_:") or bool(_SCHEME_RE.match(value)))


def _json_paths(node: Any, predicate: Any, path: str = "$") -> Iterator[str]:
    """Yield JSON paths (``$.a.b[0]``) of keys/values for which ``predicate(key, value)``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                continue
            child = f"{path}.{key}"
            if predicate(key, value):
                yield child
            yield from _json_paths(value, predicate, child)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            child = f"{path}[{i}]"
            if predicate(None, item):
                yield child
            yield from _json_paths(item, predicate, child)


def _paths_of_key(document: Any, term: str) -> list[str]:
    return list(_json_paths(document, lambda key, _value: key == term))


def _paths_of_value(document: Any, value: str) -> list[str]:
    return list(_json_paths(document, lambda _key, v: v == value))


class _StrictProcessor(jsonld.JsonLdProcessor):  # type: ignore[misc]
    """A PyLD processor that refuses dropped terms and relative IRIs after expansion."""

    def __init__(self, original: Any) -> None:
        self._dropped: list[str | None] = []
        super().__init__(on_property_dropped=self._dropped.append)
        self._original = original

    def expand(self, input_: Any, options: Any) -> Any:
        expanded = super().expand(input_, options)
        self._check(expanded)
        return expanded

    def _check(self, expanded: Any) -> None:
        for term in self._dropped:
            if term is None:
                raise UndefinedTermError("<term mapped to null>", [], kind="property")
            raise UndefinedTermError(term, _paths_of_key(self._original, term))
        self._walk(expanded)

    def _walk(self, node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                self._walk(item)
            return
        if not isinstance(node, dict):
            return
        if "@value" in node:
            datatype = node.get("@type")
            if datatype is not None and datatype != "@json" and not _is_absolute_or_blank(datatype):
                raise UndefinedTermError(
                    str(datatype), _paths_of_value(self._original, datatype), kind="datatype"
                )
            return
        for key, value in node.items():
            if key == "@id":
                if not _is_absolute_or_blank(value):
                    raise RelativeIriError(str(value), _paths_of_value(self._original, value))
            elif key == "@type":
                for item in value if isinstance(value, list) else [value]:
                    if not _is_absolute_or_blank(item):
                        raise UndefinedTermError(
                            str(item), _paths_of_value(self._original, item), kind="type"
                        )
            elif key not in _NO_DESCENT:
                self._walk(value)


def _find_cause(exc: BaseException) -> BaseException | None:
    """Find one of our own errors in PyLD's exception chain."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (ContextError, CanonicalizationError)):
            return current
        nxt = current.__cause__ or getattr(current, "cause", None)
        current = nxt if isinstance(nxt, BaseException) else current.__context__
    return None


def _context_resolver(document_loader: DocumentLoaderFn) -> ContextResolver:
    # Never use PyLD's process-wide context cache: it is keyed by URL only, so documents
    # served by one loader would leak into another.
    cache = getattr(document_loader, "resolved_context_cache", None)
    if cache is None:
        cache = LRUCache(maxsize=100)
        # Remember it on the loader; a bound method cannot take attributes, and then the
        # cache lives for this call only.
        with contextlib.suppress(AttributeError):
            document_loader.resolved_context_cache = cache  # type: ignore[attr-defined]
    return ContextResolver(cache, document_loader)


def canonicalize(
    document: Mapping[str, Any],
    *,
    document_loader: DocumentLoaderFn,
    strict: bool = True,
) -> str:
    """Canonicalize a JSON-LD document to RDFC-1.0 N-Quads.

    Args:
        document: The JSON-LD document (not modified).
        document_loader: PyLD-compatible loader, e.g. :class:`app.vc.contexts.DocumentLoader`.
        strict: Refuse undefined terms and relative IRIs (always ``True`` when signing).

    Returns:
        The canonical N-Quads, one statement per line, each ending in ``\\n``.

    Raises:
        UndefinedTermError: If a property, type or datatype name is not defined.
        RelativeIriError: If an ``id`` (or other ``@id`` value) is a relative IRI.
        ContextError: If a context cannot be loaded (not pinned, not available, bad digest).
        CanonicalizationError: If the document is not valid JSON-LD.
    """
    options: dict[str, Any] = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "rdfDirection": "i18n-datatype",
        "documentLoader": document_loader,
        "contextResolver": _context_resolver(document_loader),
        # No default base: a relative IRI stays relative, so the strict check sees it.
        "base": None,
    }
    if strict:
        processor: jsonld.JsonLdProcessor = _StrictProcessor(document)
    else:
        processor = jsonld.JsonLdProcessor()
        del options["base"]  # PyLD's default behaviour, for diagnostics only
    try:
        return cast(str, processor.normalize(dict(document), options))
    except (ContextError, CanonicalizationError):
        raise
    except jsonld.JsonLdError as exc:
        ours = _find_cause(exc)
        if ours is not None:
            raise ours from exc
        raise CanonicalizationError(f"invalid JSON-LD: {_describe(exc)}") from exc


def _describe(exc: BaseException) -> str:
    parts: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(parts) < 4:
        parts.append(str(getattr(current, "message", None) or current).splitlines()[0])
        nxt = current.__cause__ or getattr(current, "cause", None)
        current = nxt if isinstance(nxt, BaseException) else None
    return ": ".join(parts)
