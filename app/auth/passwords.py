"""Password hashing with argon2id."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1000


@functools.cache
def _dummy_hash() -> str:
    """Verifying against this hash when the user does not exist keeps the time of a failed
    sign-in the same whether or not the e-mail address is known. Made at the first sign-in,
    not at import: argon2id takes 0.15 s here, in every process that imports the app (the
    CLI, the hashing workers)."""
    return _hasher.hash("osaamispassi-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; always spends the same time, even with no hash."""
    try:
        matches = _hasher.verify(password_hash or _dummy_hash(), password)
        return matches and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
