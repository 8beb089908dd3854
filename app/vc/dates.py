"""Date helpers: XML Schema dateTimeStamp text <-> aware datetimes / JWT NumericDate."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

_DATETIME_RE = re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def format_datetime(moment: datetime) -> str:
    """Format an aware datetime as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, whole seconds).

    Args:
        moment: A timezone-aware datetime.

    Returns:
        The XML Schema dateTimeStamp string.

    Raises:
        ValueError: If ``moment`` is naive.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(value: object) -> datetime:
    """Parse an XML Schema dateTimeStamp (a time zone is required).

    Args:
        value: e.g. ``"2024-01-01T00:00:00Z"``.

    Returns:
        The aware datetime.

    Raises:
        ValueError: If the value is not a dateTime string with a time zone.
    """
    if not isinstance(value, str) or not _DATETIME_RE.match(value):
        raise ValueError(f"not an XML Schema dateTimeStamp with time zone: {value!r}")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def to_numeric_date(value: object) -> int:
    """Convert a dateTimeStamp string to a JWT NumericDate (whole seconds, floored).

    Args:
        value: The date string.

    Returns:
        Seconds since the epoch.

    Raises:
        ValueError: If the value is not a dateTime string with a time zone.
    """
    return math.floor(parse_datetime(value).timestamp())
