"""Authentication: login with lockout, refresh rotation with reuse detection, logout."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from backend.auth import lockout
from backend.auth.models import RefreshToken, TokenFamily, User
from backend.auth.passwords import hash_password, needs_rehash, verify_password
from backend.auth.tokens import (
    TokenPair,
    find_refresh_token,
    issue_pair,
    open_family,
    reissue_pair,
    revoke_family,
    seal,
    unseal,
)
from backend.common import audit_trail as audit
from backend.common import clock
from backend.common.actor import Actor
from backend.common.domain_errors import TooManyRequests, Unauthorized
from backend.extensions import db


def actor_for(user: User) -> Actor:
    return Actor(id=user.id, username=user.username, role=user.role, region_code=user.region_code,
                 facility_id=user.facility_id)


def claim_login_attempt(username: str) -> lockout.Claim:
    """Step 1 of a login: claim one of LOGIN_MAX_FAILURES attempt slots for this name,
    known or not, in one atomic statement; refused (429) while the name is locked.

    The caller commits the claim before step 2 (`login`), so that concurrent guesses see
    each other and at most LOGIN_MAX_FAILURES of them are ever checked."""
    config = current_app.config
    claim = lockout.claim_attempt(lockout.normalise_username(username), now=clock.now(),
                                  max_attempts=config["LOGIN_MAX_FAILURES"],
                                  lockout=timedelta(seconds=config["LOGIN_LOCKOUT_S"]))
    if not claim.allowed:
        until = claim.locked_until or clock.now() + timedelta(seconds=config["LOGIN_LOCKOUT_S"])
        raise TooManyRequests("Too many failed logins; the account is locked for a while.",
                              retry_after=int((until - clock.now()).total_seconds()) + 1, code="account_locked")
    return claim


def login(claim: lockout.Claim, password: str, *, ip: str | None) -> TokenPair:
    """Step 2: check the password and open a session.

    Argon2 runs whether or not the user exists (against a dummy hash), and a failure is
    counted and audited the same way for both, so neither the answer, its timing nor the
    lockout tells which usernames exist. The caller commits even on error."""
    user = db.session.scalar(select(User).where(User.username == claim.username))
    right = verify_password(user.password_hash if user is not None else None, password)
    if user is None or not right or not user.is_active:
        _record_failure(claim, user, ip)
        raise Unauthorized("Username or password is wrong, or the account is inactive.",
                           code="invalid_credentials")
    lockout.clear_attempts(claim.username)
    if needs_rehash(user.password_hash):
        # A plain UPDATE: the optimistic lock (ETag) of the user is not a login's business.
        db.session.execute(update(User).where(User.id == user.id)
                           .values(password_hash=hash_password(password)).execution_options(synchronize_session=False))
    family = open_family(user)
    audit.record(actor_for(user), "auth.login", "user", user.id, after={"ip": ip}, region_code=user.region_code)
    return issue_pair(user, family)


def _record_failure(claim: lockout.Claim, user: User | None, ip: str | None) -> None:
    if user is not None:
        actor, entity, entity_id, region = actor_for(user), "user", user.id, user.region_code
    else:  # an unknown name is audited too: guessing at names is worth seeing
        actor, entity, entity_id, region = Actor.system(), "username", claim.username, None
    audit.record(actor, "auth.login_failed", entity, entity_id,
                 after={"ip": ip, "failures": claim.attempt}, region_code=region)
    if claim.is_last:
        audit.record(actor, "auth.locked", entity, entity_id,
                     after={"ip": ip, "locked_until": claim.locked_until}, region_code=region)


def refresh(token: str) -> TokenPair:
    """Rotate a refresh token.

    Presented again within REFRESH_REUSE_WINDOW_S of its use, it gets the same new refresh
    token (phones on bad networks retry and must converge); later, reuse means theft and
    revokes the whole family (DESIGN.md §2)."""
    stored = find_refresh_token(token)
    if stored is None:
        raise Unauthorized("Unknown refresh token.", code="token_invalid")
    family = stored.family
    user = family.user
    if family.revoked_at is not None or not user.is_active:
        raise Unauthorized("This session has been revoked; log in again.", code="token_revoked")
    if stored.used_at is not None:
        return _answer_again(token, stored, family, user)
    if stored.expires_at <= clock.now():
        raise Unauthorized("Refresh token expired; log in again.", code="token_expired")
    pair = issue_pair(user, family)
    stored.used_at = clock.now()
    stored.successor_sealed = seal(token, pair.refresh_token)
    return pair


def _answer_again(token: str, stored: RefreshToken, family: TokenFamily, user: User) -> TokenPair:
    window = timedelta(seconds=current_app.config["REFRESH_REUSE_WINDOW_S"])
    successor = unseal(token, stored.successor_sealed) if stored.successor_sealed else None
    if successor is not None and clock.now() - stored.used_at <= window:
        issued = find_refresh_token(successor, lock=False)
        if issued is not None and issued.family_id == family.id:
            return reissue_pair(user, family, successor)
    revoke_family(family, "reuse")
    audit.record(actor_for(user), "auth.refresh_reuse", "token_family", family.id, region_code=user.region_code)
    raise Unauthorized("Refresh token was already used; all sessions from that login are revoked.",
                       code="refresh_token_reused")


def logout(actor: Actor, family_id) -> None:
    """End the session (token family) the caller's access token belongs to."""
    family = db.session.get(TokenFamily, family_id)
    if family is not None and family.user_id == actor.id:
        revoke_family(family, "logout")
        audit.record(actor, "auth.logout", "token_family", family.id, region_code=actor.region_code)


def load_actor(user_id, family_id) -> Actor | None:
    """Who is behind an access token, if the user is active and the session not revoked.

    One light query (five columns, no ORM entity): this runs on every authenticated request."""
    row = db.session.execute(
        select(User.id, User.username, User.role, User.region_code, User.facility_id)
        .join(TokenFamily, TokenFamily.user_id == User.id)
        .where(User.id == user_id, User.is_active, TokenFamily.id == family_id, TokenFamily.revoked_at.is_(None))
    ).first()
    return Actor(*row) if row else None
