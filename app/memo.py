"""Small in-process caches of values derived from database content.

Every entry is looked up by the content (or a content digest) it was derived from, read
from the database in the request's own transaction: an entry is never used for content
that has changed since, so several app instances need no coordination. The caches only
save the work of deriving (parsing JSON, importing keys, building maps, rendering a page),
never a read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class DerivedCache(Generic[K, V]):
    """A bounded, thread-safe map from source content to the value derived from it."""

    def __init__(self, max_entries: int = 64) -> None:
        self.max_entries = max_entries
        self._items: dict[K, V] = {}
        self._lock = threading.Lock()

    def get(self, key: K, derive: Callable[[], V]) -> V:
        """The value for `key`, derived (outside the lock) when it is not held yet."""
        with self._lock:
            if key in self._items:
                return self._items[key]
        value = derive()
        with self._lock:
            if key not in self._items and len(self._items) >= self.max_entries:
                self._items.pop(next(iter(self._items)))  # the oldest entry
            self._items[key] = value
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class PageCache:
    """Rendered pages kept by what they were made from (app/web/public.py, decision 0016).

    An entry is found by its key (the language and the address) and used only when
    the digest of its inputs, read in the request's own transaction, is the same as when it
    was made, and only before `until` (the first moment its dates would make it read
    differently). Bounded; the least recently used entry goes first.
    """

    def __init__(self, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[Hashable, tuple[str, str, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, fingerprint: str, *, now: datetime) -> str | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return None
            kept_fingerprint, body, until = entry
            if kept_fingerprint != fingerprint or now >= until:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return body

    def holds(self, key: Hashable) -> bool:
        """Whether a page is kept under `key` (to be checked with `get`)."""
        with self._lock:
            return key in self._items

    def put(self, key: Hashable, fingerprint: str, body: str, *, until: datetime) -> None:
        with self._lock:
            self._items[key] = (fingerprint, body, until)
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
