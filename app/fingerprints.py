"""Reading what a result is made from in one statement, and digesting it.

A share page (app/sharing/pages.py) and a verification answer (app/verification/answers.py)
are functions of a few rows and of the time. Each reads those rows as one `UNION ALL` of
text rows (one round trip, one snapshot on either database), and keeps what it made under
the digest of those rows: when the digest read for a later request is the same, so is every
input, and what was made is what would be made now (decisions 0016 and 0020).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, cast, literal, null
from sqlalchemy import select as core_select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.vc.dates import parse_datetime

Row = tuple[str | None, ...]


class BitsDigest(FunctionElement[str]):
    """A status list's bits as a short text: their SHA-256 on PostgreSQL (sent instead of
    16 KiB a list), their hex on SQLite (in process; digested with the rest)."""

    type = Text()
    inherit_cache = True


@compiles(BitsDigest, "postgresql")
def _bits_digest_postgresql(element: BitsDigest, compiler: Any, **kw: Any) -> str:
    return f"encode(sha256({compiler.process(element.clauses, **kw)}), 'hex')"


@compiles(BitsDigest)
def _bits_digest_default(element: BitsDigest, compiler: Any, **kw: Any) -> str:
    return f"hex({compiler.process(element.clauses, **kw)})"


def part(kind: str, *values: Any, width: int) -> Any:
    """One part of a union: its kind, then its values as text, padded with NULLs to
    `width` (the most values any part of the union has)."""
    texts = [cast(v, Text) for v in values]
    texts += [cast(null(), Text)] * (width - len(texts))
    return core_select(
        literal(kind).label("kind"), *[t.label(f"v{i}") for i, t in enumerate(texts)]
    )


def by_kind(rows: Iterable[Sequence[Any]], kinds: Sequence[str]) -> dict[str, list[Row]]:
    """The union's rows grouped by their kind (the first column)."""
    parts: dict[str, list[Row]] = {kind: [] for kind in kinds}
    for kind, *values in rows:
        parts[kind].append(tuple(values))
    return parts


def digest(parts: Mapping[str, list[Row]], kinds: Sequence[str]) -> str:
    """The digest of every part, independent of the order the database sent the rows in."""
    hashed = hashlib.blake2b(digest_size=20)
    for kind in kinds:
        hashed.update(kind.encode())
        for row in sorted(parts[kind], key=_sort_key):
            hashed.update(b"\x1e")
            hashed.update(repr(row).encode())
        hashed.update(b"\x1d")
    return hashed.hexdigest()


def _sort_key(row: Row) -> tuple[tuple[bool, str], ...]:
    return tuple((value is None, value or "") for value in row)


# A date and time as credentials write them (XML Schema dateTime).
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def moments(values: Iterable[Any]) -> Iterator[datetime]:
    """Every date and time written in these JSON values, at any depth."""
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, Mapping):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and _DATETIME.match(value):
            try:
                yield parse_datetime(value)
            except ValueError:
                continue


def first_change(
    moments: Iterable[datetime],
    *,
    offsets: Iterable[timedelta],
    now: datetime,
    at_most: timedelta,
) -> datetime:
    """The first moment after `now` at which something made from these moments could change
    because of the time alone: each moment shifted by each offset (a tolerance, a warning
    ahead of it), and never later than `at_most` from now."""
    shifts = tuple(offsets)
    until = now + at_most
    for moment in moments:
        for shift in shifts:
            edge = moment + shift
            if now < edge < until:
                until = edge
    return until
