"""Strict JSON parsing for credentials: a member named twice, or NaN / Infinity, is an error.

With plain `json.loads` the last duplicate wins, so a verifier and a displayer that pick
different members would show different things for the same signed bytes.
"""

from __future__ import annotations

import json
from typing import Any


class StrictJsonError(ValueError):
    """The text is JSON, but not what a credential may be."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise StrictJsonError(f"duplicate JSON member {key!r}")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise StrictJsonError(f"invalid JSON number {name}")


def loads(text: str | bytes) -> Any:
    """Parse JSON, refusing duplicate members and the non-standard constants.

    Raises:
        StrictJsonError: A duplicate member or NaN/Infinity.
        ValueError: Not JSON at all (json.JSONDecodeError), or not UTF-8.
        RecursionError: Nested past the interpreter's recursion limit.
    """
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
