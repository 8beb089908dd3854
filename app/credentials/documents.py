"""The JSON-LD document loader configured from settings (one per process: contexts are
pinned by digest and immutable, so caching them in memory is safe across instances)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from app.config import Settings
from app.net.fetch import FetchPolicy, SafeFetcher
from app.vc.contexts import DocumentLoader


@lru_cache(maxsize=4)
def context_loader(contexts_dir: Path | None, cache_dir: Path) -> DocumentLoader:
    """The loader for these folders (one per process)."""
    fetcher = SafeFetcher(FetchPolicy(timeout_seconds=10))
    return DocumentLoader(contexts_dir, fetch=fetcher.get, cache_dir=cache_dir)


def document_loader(settings: Settings) -> DocumentLoader:
    """The loader for the configured CONTEXTS_DIR and context cache."""
    return context_loader(settings.contexts_dir, settings.context_cache_dir)
