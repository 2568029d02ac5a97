"""Argon2id password hashing (argon2-cffi's defaults follow RFC 9106)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when the username is unknown, so timing does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("no such user")

MIN_PASSWORD_LENGTH = 10


def _encode(password: str) -> bytes:
    # 'surrogatepass': a lone surrogate (valid JSON, invalid UTF-8) is just a wrong
    # password, never an error; valid text encodes exactly as UTF-8, so hashes are unchanged.
    return password.encode("utf-8", "surrogatepass")


def hash_password(password: str) -> str:
    return _hasher.hash(_encode(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Always runs Argon2 (against a dummy hash when there is no user), so the time
    taken does not tell whether a username exists."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, _encode(password)) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
