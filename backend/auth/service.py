"""Authentication: login with lockout, refresh rotation with reuse detection, logout."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from backend.audit import service as audit
from backend.auth.actor import Actor
from backend.auth.models import TokenFamily, User
from backend.auth.passwords import hash_password, needs_rehash, verify_password
from backend.auth.tokens import (
    TokenPair,
    find_refresh_token,
    issue_pair,
    open_family,
    revoke_family,
)
from backend.common import clock
from backend.common.domain_errors import TooManyRequests, Unauthorized
from backend.extensions import db


def actor_for(user: User) -> Actor:
    return Actor(id=user.id, username=user.username, role=user.role, region_code=user.region_code)


def find_user_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == func.lower(username)))


def login(username: str, password: str, *, ip: str | None) -> TokenPair:
    """Check a password and open a session.

    After LOGIN_MAX_FAILURES consecutive failures the account is locked for
    LOGIN_LOCKOUT_S seconds (temporary, audited); the caller commits even on error,
    so failures are counted.
    """
    user = find_user_by_username(username.strip())
    if user is not None and user.locked_until and user.locked_until > clock.now():
        retry = (user.locked_until - clock.now()).total_seconds()
        raise TooManyRequests("Too many failed logins; the account is locked for a while.",
                              retry_after=int(retry) + 1, code="account_locked")
    if user is None or not verify_password(user.password_hash, password) or not user.is_active:
        if user is not None:
            _count_failure(user, ip)
        raise Unauthorized("Username or password is wrong, or the account is inactive.",
                           code="invalid_credentials")
    user.failed_logins = 0
    user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    family = open_family(user)
    audit.record(actor_for(user), "auth.login", "user", user.id, after={"ip": ip}, region_code=user.region_code)
    return issue_pair(user, family)


def _count_failure(user: User, ip: str | None) -> None:
    config = current_app.config
    user.failed_logins += 1
    audit.record(actor_for(user), "auth.login_failed", "user", user.id,
                 after={"ip": ip, "failures": user.failed_logins}, region_code=user.region_code)
    if user.failed_logins >= config["LOGIN_MAX_FAILURES"]:
        user.locked_until = clock.now() + timedelta(seconds=config["LOGIN_LOCKOUT_S"])
        user.failed_logins = 0
        audit.record(actor_for(user), "auth.locked", "user", user.id,
                     after={"ip": ip, "locked_until": user.locked_until}, region_code=user.region_code)


def refresh(token: str) -> TokenPair:
    """Rotate a refresh token. A token used twice revokes its whole family (theft)."""
    stored = find_refresh_token(token)
    if stored is None:
        raise Unauthorized("Unknown refresh token.", code="token_invalid")
    family = stored.family
    user = family.user
    if family.revoked_at is not None or not user.is_active:
        raise Unauthorized("This session has been revoked; log in again.", code="token_revoked")
    if stored.used_at is not None:
        revoke_family(family, "reuse")
        audit.record(actor_for(user), "auth.refresh_reuse", "token_family", family.id,
                     region_code=user.region_code)
        raise Unauthorized("Refresh token was already used; all sessions from that login are revoked.",
                           code="refresh_token_reused")
    if stored.expires_at <= clock.now():
        raise Unauthorized("Refresh token expired; log in again.", code="token_expired")
    stored.used_at = clock.now()
    return issue_pair(user, family)


def logout(actor: Actor, family_id) -> None:
    """End the session (token family) the caller's access token belongs to."""
    family = db.session.get(TokenFamily, family_id)
    if family is not None and family.user_id == actor.id:
        revoke_family(family, "logout")
        audit.record(actor, "auth.logout", "token_family", family.id, region_code=actor.region_code)


def load_actor(user_id, family_id) -> Actor | None:
    """Who is behind an access token, if the user is active and the session not revoked.

    One light query (four columns, no ORM entity): this runs on every authenticated request."""
    row = db.session.execute(
        select(User.id, User.username, User.role, User.region_code)
        .join(TokenFamily, TokenFamily.user_id == User.id)
        .where(User.id == user_id, User.is_active, TokenFamily.id == family_id, TokenFamily.revoked_at.is_(None))
    ).first()
    return Actor(*row) if row else None
