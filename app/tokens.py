"""Secret link tokens: long, random, shown once and stored only as their SHA-256.

A link token has 256 bits of entropy, so a plain SHA-256 (no salt, no slow hash) is enough
to make the stored value useless to a reader of the database, and lets the token be looked
up by its hash with an index. Look-ups by hash do not leak timing about the token itself.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 100  # anything longer is not one of ours; refuse before hashing


def new_token() -> str:
    """A new url-safe token (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The hex SHA-256 stored in place of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def plausible(token: str) -> bool:
    """Cheap shape check before a database look-up (length and url-safe alphabet)."""
    return 0 < len(token) <= MAX_TOKEN_LENGTH and all(
        c.isascii() and (c.isalnum() or c in "-_") for c in token
    )
