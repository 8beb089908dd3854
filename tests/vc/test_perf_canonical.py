"""The context memo really works (a deterministic guard, not a timing test).

Timings belong in ``bench/credentials.py``; this test only catches the memo silently
stopping to work, e.g. after a PyLD upgrade changes the private method it wraps: a second
canonicalization of the same credential must be served from the memo.
"""

from __future__ import annotations

from app.vc.canonical import MEMO_SUPPORTED, canonicalize, canonicalize_reference, context_memo
from app.vc.contexts import DocumentLoader

from .conftest import require
from .test_canonical_fast import make_credential


def test_second_canonicalization_is_served_from_the_memo() -> None:
    loader = DocumentLoader(require("contexts"))
    credential = make_credential()
    assert MEMO_SUPPORTED
    first = canonicalize(credential, document_loader=loader)
    memo = context_memo(loader)
    hits_before = memo.hits
    second = canonicalize(credential, document_loader=loader)
    assert first == second == canonicalize_reference(credential, document_loader=loader)
    assert memo.hits > hits_before
