"""Access tokens (short-lived JWT) and rotating refresh tokens (opaque, stored hashed).

A login opens a token family; each refresh uses up its token and issues the next one
in the family. Presenting a used token again means it was stolen or replayed, so the
whole family is revoked (DESIGN.md §2). Access tokens carry their family id, so a
revoked family also stops its access tokens at once.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_jwt_extended import create_access_token
from sqlalchemy import select, update

from backend.auth.models import RefreshToken, TokenFamily, User
from backend.common import clock
from backend.extensions import db


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _keystream(token: str, length: int) -> bytes:
    # A one-time key derived from the presented token (SHAKE-256 as an XOF), never stored:
    # only whoever holds `token` can read what is sealed with it. Each token seals one
    # successor only, so XOR with this stream is a one-time pad. A different function from
    # hash_token, so the stored hash reveals nothing of the key.
    return hashlib.shake_256(b"foodgrid refresh successor\0" + token.encode("utf-8", "surrogatepass")).digest(length)


def seal(token: str, successor: str) -> bytes:
    """`successor` encrypted so that only the holder of `token` can read it back."""
    plain = successor.encode("ascii")
    return bytes(a ^ b for a, b in zip(plain, _keystream(token, len(plain))))


def unseal(token: str, sealed: bytes) -> str | None:
    plain = bytes(a ^ b for a, b in zip(sealed, _keystream(token, len(sealed))))
    try:
        return plain.decode("ascii")
    except UnicodeDecodeError:
        return None


def issue_pair(user: User, family: TokenFamily) -> TokenPair:
    """A new refresh token in `family` and an access token bound to it."""
    refresh = secrets.token_urlsafe(32)
    db.session.add(RefreshToken(
        family_id=family.id,
        token_hash=hash_token(refresh),
        expires_at=clock.now() + current_app.config["REFRESH_TOKEN_TTL"],
    ))
    return reissue_pair(user, family, refresh)


def _access_token(user: User, family: TokenFamily) -> str:
    return create_access_token(
        identity=str(user.id),
        additional_claims={"role": user.role, "region": user.region_code, "fam": str(family.id)},
    )


def open_family(user: User) -> TokenFamily:
    family = TokenFamily(user_id=user.id)
    db.session.add(family)
    db.session.flush()
    return family


def reissue_pair(user: User, family: TokenFamily, refresh: str) -> TokenPair:
    """The answer to a retried refresh: the refresh token already issued, a fresh access token."""
    lifetime = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    return TokenPair(_access_token(user, family), refresh, int(lifetime.total_seconds()))


def find_refresh_token(token: str, *, lock: bool = True) -> RefreshToken | None:
    """The stored token, locked so two concurrent refreshes cannot both rotate it."""
    query = select(RefreshToken).where(RefreshToken.token_hash == hash_token(token))
    return db.session.scalar(query.with_for_update() if lock else query)


def revoke_family(family: TokenFamily, reason: str) -> None:
    if family.revoked_at is None:
        family.revoked_at = clock.now()
        family.revoked_reason = reason


def revoke_all_families(user_id, reason: str) -> None:
    """End every session of a user (password reset, deactivation)."""
    db.session.execute(
        update(TokenFamily)
        .where(TokenFamily.user_id == user_id, TokenFamily.revoked_at.is_(None))
        .values(revoked_at=clock.now(), revoked_reason=reason)
    )

