"""RDFC-1.0 canonicalization (PyLD ``URDNA2015``) with strict pre-signing checks.

Strict checks
    PyLD silently drops properties whose names the contexts do not define and resolves
    relative IRIs against a default base; a signature over such a document covers less than
    the JSON says, and other implementations (Digital Bazaar's "safe mode") refuse it. So
    :func:`canonicalize` expands the document once, inspects the expanded form, and raises
    :class:`~app.vc.errors.UndefinedTermError` / :class:`~app.vc.errors.RelativeIriError`
    naming the term and its JSON path before any N-Quads are produced. The check hooks into
    PyLD's own expansion (one expansion per canonicalization) by overriding
    ``JsonLdProcessor.expand`` in a subclass.

Speed: memoised context processing
    About 95 % of a canonicalization with plain PyLD is JSON-LD expansion, and most of that
    is *context processing* repeated on every call: PyLD caches remote contexts only when
    the loader tags them ``"static"``, and it never reuses a processed type-scoped context,
    because it gives the non-propagating child context it builds for every typed node a
    fresh ``_uuid`` (the key of its processed-context cache). The OB 3.0 context puts a
    large type-scoped context on every class (Achievement, Profile, Alignment, ...), so a
    typical badge re-processes ~20 contexts with hundreds of term definitions per call.

    :class:`_MemoProcessor` overrides PyLD's private ``_process_context`` (signature pinned
    by ``tests/vc/test_canonical_fast.py``) with a memo in front of the original:

    * key: the *identity* of the active context (a ``frozendict`` PyLD never mutates; the
      entry holds a strong reference, so the id cannot be reused while the entry lives),
      the local context *by value* (URL, tuple of URLs, or its JSON text) and every
      argument/option the result depends on (``override_protected``, ``propagate``,
      ``validate_scoped``, ``base``, ``processingMode``);
    * only top-level calls (``cycles is None``) with a frozen input and a frozen result are
      memoised; everything else goes straight to PyLD;
    * a hit returns the very same frozen active context, so the contexts derived from it
      (property- and type-scoped) hit too: after the first credential of a shape the whole
      context tree is reused and only the document itself is expanded.

    Processed contexts depend on the documents the loader serves, so the memo belongs to
    one loader and never leaks to another. It is kept across calls only for loaders whose
    documents cannot change: :class:`~app.vc.contexts.DocumentLoader` (every context is
    pinned by SHA-256) or a loader with ``contexts_immutable = True``. Any other loader gets
    a fresh memo per call (still removing the repeated work inside one document).

    Thread safety: the memo is an LRU dict guarded by a lock; what it stores are frozen
    PyLD contexts shared read-only. A miss is computed outside the lock and the first value
    stored wins (``setdefault``), so concurrent callers converge on the same objects. PyLD's
    own mutable caches (``ContextResolver``/``ResolvedContext``) are created per call and
    never shared between threads.

    :func:`canonicalize_reference` runs the same strict checks over plain PyLD (no memo);
    tests compare the two byte for byte on every vector and credential shape we have.

Speed: memoised expansion of repeated nodes
    With the contexts memoised, most of what is left is expanding the document itself, and
    the credentials of a group award repeat most of theirs: the same issuer profile and the
    same achievement (its criteria, alignments, image), only the subject, the status entry
    and the dates differ. PyLD's private ``_expand(active_ctx, active_property, element,
    options, inside_list, inside_index, type_scoped_ctx)`` is a pure function of those
    arguments, so :class:`ExpansionMemo` keeps its result for nodes below the top that carry
    an identifier (a JSON object with a string ``id`` or ``@id``):

    * key: the identities of the active and type-scoped contexts (frozen, held by the entry
      and checked on every hit, as above), the property, the list/index flags, the options
      expansion reads (``base``, ``processingMode``, ``isFrame``, ``keepFreeFloatingNodes``)
      and the node *by value* (its JSON text, key order kept);
    * a node is kept the second time it is seen (a one-off costs only its JSON text) and
      only when no property was dropped while expanding it (the strict check learns of
      dropped properties from PyLD's callback, which a hit would not call again);
    * the result is kept as JSON text and parsed again on every hit, so no caller ever
      shares (or mutates) another's objects;
    * bounded in bytes (:data:`EXPANSION_MEMO_MAX_BYTES`, nodes above
      :data:`EXPANSION_MEMO_MAX_NODE_CHARS` are not kept) and lives exactly as long as the
      loader's context memo, whose contexts its keys name.
"""

from __future__ import annotations

import inspect
import json
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import Any, cast

from cachetools import LRUCache
from frozendict import frozendict
from pyld import jsonld
from pyld.context_resolver import ContextResolver

from app.vc.contexts import DocumentLoader
from app.vc.errors import (
    CanonicalizationError,
    ContextError,
    RelativeIriError,
    UndefinedTermError,
)
from app.vc.types import DocumentLoaderFn

_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_NO_DESCENT = frozenset({"@index", "@language", "@direction", "@context"})

MEMO_MAX_ENTRIES = 2048
"""Processed contexts kept per loader (a badge shape needs a few dozen)."""

EXPANSION_MEMO_MAX_BYTES = 8 * 1024 * 1024
"""Characters of node and expansion text kept per loader (one badge shape: about 30 kB)."""

EXPANSION_MEMO_MAX_NODE_CHARS = 64 * 1024
"""Larger nodes are expanded every time (their JSON text would crowd out the rest)."""

_PYLD_EXPAND_PARAMS = (
    "self",
    "active_ctx",
    "active_property",
    "element",
    "options",
    "inside_list",
    "inside_index",
    "type_scoped_ctx",
)
"""The private PyLD signature the expansion memo wraps; checked like the one below."""

_PYLD_PROCESS_CONTEXT_PARAMS = (
    "self",
    "active_ctx",
    "local_ctx",
    "options",
    "override_protected",
    "propagate",
    "validate_scoped",
    "cycles",
)
"""The private PyLD signature the memo wraps; checked at import time and by the tests."""


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


# --------------------------------------------------------------------------- the memo
class ContextMemo:
    """A thread-safe LRU of processed PyLD active contexts, for one document loader.

    Entries map ``(id(active_ctx), local context key, arguments)`` to
    ``(active_ctx, processed)``; holding ``active_ctx`` keeps its id from being reused
    while the entry exists, and :meth:`get` checks identity as well.

    Args:
        maxsize: Maximum number of entries (least recently used dropped first).
    """

    def __init__(self, maxsize: int = MEMO_MAX_ENTRIES) -> None:
        self._maxsize = maxsize
        self._entries: OrderedDict[Hashable, tuple[Any, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        # Expanded nodes under these contexts: same loader, same lifetime.
        self.expansions = ExpansionMemo()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key: Hashable, active_ctx: Any) -> Any | None:
        """Return the processed context stored for ``key``/``active_ctx``, or ``None``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] is not active_ctx:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[1]

    def put(self, key: Hashable, active_ctx: Any, processed: Any) -> Any:
        """Store ``processed`` unless another thread was first; return the stored value."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] is active_ctx:
                self._entries.move_to_end(key)
                return entry[1]
            self._entries[key] = (active_ctx, processed)
            while len(self._entries) > self._maxsize:
                self._entries.popitem(last=False)
            return processed

    def clear(self) -> None:
        """Drop every entry (and every expanded node)."""
        with self._lock:
            self._entries.clear()
        self.expansions.clear()


class ExpansionMemo:
    """A thread-safe LRU of expanded nodes, bounded in characters, for one document loader.

    Entries map a key (see the module docstring) to ``(active_ctx, type_scoped_ctx,
    expanded JSON text or None)``: ``None`` marks a node seen once, whose expansion
    :meth:`put` keeps when it is seen again. Holding the contexts keeps their ids from being
    reused while the entry exists; :meth:`get` checks identity.

    Args:
        max_bytes: Characters of node and expansion text kept in all.
    """

    def __init__(self, max_bytes: int = EXPANSION_MEMO_MAX_BYTES) -> None:
        self._max_bytes = max_bytes
        self._entries: OrderedDict[tuple[Any, ...], tuple[Any, Any, str | None]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def size(self) -> int:
        """Characters kept now."""
        with self._lock:
            return self._bytes

    def get(self, key: tuple[Any, ...], active_ctx: Any, type_scoped_ctx: Any) -> Any | bool:
        """A fresh copy of the expansion kept for ``key``; else whether the node was seen
        before (``True``: keep its expansion with :meth:`put`) and noted as seen now."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] is not active_ctx or entry[1] is not type_scoped_ctx:
                self.misses += 1
                self._store(key, (active_ctx, type_scoped_ctx, None))
                return False
            self._entries.move_to_end(key)
            text = entry[2]
            if text is None:
                self.misses += 1
                return True
            self.hits += 1
        return _Expanded(json.loads(text))

    def put(
        self, key: tuple[Any, ...], active_ctx: Any, type_scoped_ctx: Any, expanded: Any
    ) -> None:
        """Keep the expansion of a node seen before (see :meth:`get`)."""
        try:
            text = json.dumps(expanded, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError):
            return
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] is active_ctx and entry[1] is type_scoped_ctx:
                self._store(key, (active_ctx, type_scoped_ctx, text))

    def _store(self, key: tuple[Any, ...], entry: tuple[Any, Any, str | None]) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= _entry_size(key, old)
        self._entries[key] = entry
        self._bytes += _entry_size(key, entry)
        while self._bytes > self._max_bytes and self._entries:
            dropped_key, dropped = self._entries.popitem(last=False)
            self._bytes -= _entry_size(dropped_key, dropped)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0


class _Expanded:
    """A hit of :meth:`ExpansionMemo.get` (the expansion itself may be ``None`` or falsy)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _entry_size(key: tuple[Any, ...], entry: tuple[Any, Any, str | None]) -> int:
    return len(key[-1]) + len(entry[2] or "")


_MEMOS: weakref.WeakKeyDictionary[Any, ContextMemo] = weakref.WeakKeyDictionary()
_MEMOS_LOCK = threading.Lock()


def loader_is_immutable(document_loader: DocumentLoaderFn) -> bool:
    """Whether the loader always serves the same document for a URL (memo may persist).

    True for :class:`~app.vc.contexts.DocumentLoader` (every context pinned by SHA-256) and
    for any loader that sets ``contexts_immutable = True``.
    """
    return isinstance(document_loader, DocumentLoader) or (
        getattr(document_loader, "contexts_immutable", False) is True
    )


def context_memo(document_loader: DocumentLoaderFn) -> ContextMemo:
    """The memo to use with ``document_loader``: its own persistent one or a fresh one.

    Args:
        document_loader: The loader the contexts come from.

    Returns:
        The loader's long-lived memo when :func:`loader_is_immutable`, else a new memo
        (valid for one canonicalization only).
    """
    if not loader_is_immutable(document_loader):
        return ContextMemo()
    with _MEMOS_LOCK:
        try:
            memo = _MEMOS.get(document_loader)
            if memo is None:
                memo = _MEMOS[document_loader] = ContextMemo()
        except TypeError:  # not weak-referenceable or not hashable
            return ContextMemo()
        return memo


def _json_default(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def _local_context_key(local_ctx: Any) -> Hashable | None:
    """A hashable key equal for equal local contexts, or ``None`` if not memoisable."""
    if isinstance(local_ctx, str):
        return ("url", local_ctx)
    if isinstance(local_ctx, list) and all(isinstance(c, str) for c in local_ctx):
        return ("urls", tuple(local_ctx))
    try:
        # Key order is kept (not sorted): equal text means an identical context object.
        text = json.dumps(
            local_ctx, ensure_ascii=False, separators=(",", ":"), default=_json_default
        )
    except (TypeError, ValueError):
        return None
    return ("json", text)


def _expansion_key(
    active_ctx: Any,
    active_property: Any,
    element: Any,
    options: Any,
    inside_list: bool,
    inside_index: bool,
    type_scoped_ctx: Any,
) -> tuple[Any, ...] | None:
    """The :class:`ExpansionMemo` key of one ``_expand`` call, or ``None`` when the call is
    not memoised: only identified nodes below the top, under frozen contexts."""
    if (
        type(element) is not dict
        or active_property is None
        or type(active_ctx) is not frozendict
        or not (type_scoped_ctx is None or type(type_scoped_ctx) is frozendict)
    ):
        return None
    identifier = element.get("id", element.get("@id"))
    if not isinstance(identifier, str):
        return None
    try:
        text = json.dumps(element, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    if len(text) > EXPANSION_MEMO_MAX_NODE_CHARS:
        return None
    return (
        id(active_ctx),
        id(type_scoped_ctx),
        active_property if isinstance(active_property, str) else repr(active_property),
        bool(inside_list),
        bool(inside_index),
        options.get("base"),
        options.get("processingMode"),
        bool(options.get("isFrame")),
        bool(options.get("keepFreeFloatingNodes")),
        text,
    )


class _MemoProcessor(jsonld.JsonLdProcessor):  # type: ignore[misc]
    """PyLD processor whose context processing goes through a :class:`ContextMemo`."""

    def __init__(self, memo: ContextMemo | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._memo = memo
        # Properties dropped so far in this run: a node whose expansion dropped one is not
        # kept (a later hit would not tell the strict check about it).
        self._drops = 0
        notify = cast(Callable[[Any], None], self.on_property_dropped)  # type: ignore[has-type]

        def dropped(term: Any) -> None:
            self._drops += 1
            notify(term)

        self.on_property_dropped = dropped

    def _expand(
        self,
        active_ctx: Any,
        active_property: Any,
        element: Any,
        options: Any,
        inside_list: bool = False,
        inside_index: bool = False,
        type_scoped_ctx: Any = None,
    ) -> Any:
        memo = self._memo
        expansions = memo.expansions if memo is not None and EXPAND_MEMO_SUPPORTED else None
        key = None
        if expansions is not None:
            key = _expansion_key(
                active_ctx,
                active_property,
                element,
                options,
                inside_list,
                inside_index,
                type_scoped_ctx,
            )
        # A hit, or whether the node was seen before (its expansion is then kept below).
        seen: Any = False
        if expansions is not None and key is not None:
            seen = expansions.get(key, active_ctx, type_scoped_ctx)
            if isinstance(seen, _Expanded):
                return seen.value
        drops = self._drops
        expanded = super()._expand(
            active_ctx,
            active_property,
            element,
            options,
            inside_list=inside_list,
            inside_index=inside_index,
            type_scoped_ctx=type_scoped_ctx,
        )
        if seen is True and expansions is not None and key is not None and self._drops == drops:
            expansions.put(key, active_ctx, type_scoped_ctx, expanded)
        return expanded

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: Any,
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        memo = self._memo
        local_key = None
        # Only plain top-level calls on a frozen (never mutated) active context.
        if memo is not None and cycles is None and type(active_ctx) is frozendict:
            local_key = _local_context_key(local_ctx)
        if local_key is None:
            return super()._process_context(
                active_ctx,
                local_ctx,
                options,
                override_protected=override_protected,
                propagate=propagate,
                validate_scoped=validate_scoped,
                cycles=cycles,
            )
        assert memo is not None
        key = (
            id(active_ctx),
            local_key,
            bool(override_protected),
            bool(propagate),
            bool(validate_scoped),
            options.get("base"),
            options.get("processingMode"),
        )
        cached = memo.get(key, active_ctx)
        if cached is not None:
            return cached
        processed = super()._process_context(
            active_ctx,
            local_ctx,
            options,
            override_protected=override_protected,
            propagate=propagate,
            validate_scoped=validate_scoped,
            cycles=None,
        )
        if type(processed) is not frozendict:
            return processed
        return memo.put(key, active_ctx, processed)


class _StrictProcessor(_MemoProcessor):
    """A PyLD processor that refuses dropped terms and relative IRIs after expansion."""

    def __init__(self, original: Any, memo: ContextMemo | None) -> None:
        self._dropped: list[str | None] = []
        super().__init__(memo, on_property_dropped=self._dropped.append)
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


def _check_pyld_signature(
    name: str = "_process_context", expected: tuple[str, ...] = _PYLD_PROCESS_CONTEXT_PARAMS
) -> bool:
    """Whether PyLD's private method ``name`` still has the wrapped signature."""
    try:
        params = tuple(inspect.signature(getattr(jsonld.JsonLdProcessor, name)).parameters)
    except (AttributeError, TypeError, ValueError):
        return False
    return params == expected


MEMO_SUPPORTED = _check_pyld_signature()
"""False if the installed PyLD changed ``_process_context``: then no memo is used."""

EXPAND_MEMO_SUPPORTED = _check_pyld_signature("_expand", _PYLD_EXPAND_PARAMS)
"""False if the installed PyLD changed ``_expand``: then nodes are expanded every time."""


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


def _run(
    document: Mapping[str, Any],
    document_loader: DocumentLoaderFn,
    *,
    strict: bool,
    memo: ContextMemo | None,
) -> str:
    options: dict[str, Any] = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "rdfDirection": "i18n-datatype",
        "documentLoader": document_loader,
        # PyLD's own resolved-context cache is per call: it is mutable (cachetools) and so
        # never shared between threads; never PyLD's process-wide cache, keyed by URL only.
        "contextResolver": ContextResolver(LRUCache(maxsize=100), document_loader),
        # No default base: a relative IRI stays relative, so the strict check sees it.
        "base": None,
    }
    processor: jsonld.JsonLdProcessor
    if strict:
        processor = _StrictProcessor(document, memo)
    else:
        processor = _MemoProcessor(memo)
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


def canonicalize(
    document: Mapping[str, Any],
    *,
    document_loader: DocumentLoaderFn,
    strict: bool = True,
) -> str:
    """Canonicalize a JSON-LD document to RDFC-1.0 N-Quads.

    Context processing is memoised per loader (see the module docstring); the output is
    byte-identical to :func:`canonicalize_reference`.

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
    memo = context_memo(document_loader) if MEMO_SUPPORTED else None
    return _run(document, document_loader, strict=strict, memo=memo)


def canonicalize_reference(
    document: Mapping[str, Any],
    *,
    document_loader: DocumentLoaderFn,
    strict: bool = True,
) -> str:
    """:func:`canonicalize` over plain PyLD (no memo): the reference for tests and benches.

    Args:
        document: The JSON-LD document (not modified).
        document_loader: PyLD-compatible loader.
        strict: Refuse undefined terms and relative IRIs.

    Returns:
        The canonical N-Quads.

    Raises:
        UndefinedTermError, RelativeIriError, ContextError, CanonicalizationError: As
            :func:`canonicalize`.
    """
    return _run(document, document_loader, strict=strict, memo=None)


def _describe(exc: BaseException) -> str:
    parts: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(parts) < 4:
        parts.append(str(getattr(current, "message", None) or current).splitlines()[0])
        nxt = current.__cause__ or getattr(current, "cause", None)
        current = nxt if isinstance(nxt, BaseException) else None
    return ": ".join(parts)
