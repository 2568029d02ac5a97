"""User management rules (DESIGN.md §2).

An admin manages everyone. A supervisor manages inspector, lab and enterprise
accounts inside its own region, and nobody else. Users are never deleted (the audit
log refers to them): they are deactivated, which also ends their sessions.
"""
from __future__ import annotations

import uuid

from sqlalchemy import Select, or_, select

from backend.auth import policy
from backend.auth.lockout import clear_attempts
from backend.auth.models import ROLES, User
from backend.auth.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from backend.auth.tokens import revoke_all_families
from backend.common import audit_trail as audit
from backend.common import clock
from backend.common.actor import Actor
from backend.common.domain_errors import Conflict, Forbidden, NotFound, RuleViolation
from backend.common.region_codes import scope_prefix
from backend.extensions import db
from backend.regions import service as regions


def snapshot(user: User) -> dict:
    """What the audit log keeps of a user: never the password hash, but when it last changed."""
    return {
        "username": user.username, "display_name": user.display_name, "role": user.role,
        "region_code": user.region_code, "is_active": user.is_active,
        "password_changed_at": user.password_changed_at,
    }


def _require_manager(actor: Actor) -> None:
    if not policy.may_manage_users(actor):
        raise Forbidden("Only administrators and supervisors manage users.")


def _check_assignable(actor: Actor, role: str, region_code: str) -> None:
    if role not in ROLES:
        raise RuleViolation(f"Unknown role {role!r}.", code="unknown_role", field="role")
    regions.require_region(region_code)
    if not policy.may_manage(actor, role, region_code):
        raise Forbidden(f"A {actor.role} may not give role {role!r} in region {region_code}.")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise RuleViolation(f"Password must have at least {MIN_PASSWORD_LENGTH} characters.",
                            code="weak_password", field="password")


def users_query(actor: Actor, *, role: str | None = None, region_code: str | None = None,
                is_active: bool | None = None, q: str | None = None) -> Select:
    """Users the actor may see, filtered, ordered by username."""
    _require_manager(actor)
    query = policy.visible_users(actor, select(User)).order_by(User.username)
    if role:
        query = query.where(User.role == role)
    if region_code:
        query = query.where(User.region_code.startswith(scope_prefix(region_code)))
    if is_active is not None:
        query = query.where(User.is_active == is_active)
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(or_(User.username.like(pattern), User.display_name.ilike(pattern)))
    return query


def get_user(actor: Actor, user_id: uuid.UUID) -> User:
    """A user the actor manages, or 404 (other users' existence is not revealed)."""
    if actor.id == user_id:
        return db.session.get(User, user_id)
    _require_manager(actor)
    user = db.session.get(User, user_id)
    if user is None or not policy.sees_user(actor, user):
        raise NotFound("No such user.")
    return user


def create_user(actor: Actor, *, username: str, display_name: str, role: str, region_code: str,
                password: str) -> User:
    _require_manager(actor)
    username = username.strip().lower()
    _check_assignable(actor, role, region_code)
    _check_password(password)
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"Username {username!r} is taken.", code="username_taken", field="username")
    user = User(username=username, display_name=display_name, role=role,
                region_code=region_code, password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", "user", user.id, after=snapshot(user), region_code=region_code)
    return user


def update_user(actor: Actor, user: User, changes: dict) -> User:
    """Apply allowed changes; a new password or deactivation ends the user's sessions."""
    if not policy.may_manage(actor, user.role, user.region_code):
        raise Forbidden("You may not change this user.")
    if user.id == actor.id and (changes.get("is_active") is False or changes.get("role", user.role) != user.role):
        raise RuleViolation("You cannot deactivate yourself or change your own role.", code="self_change")
    before = snapshot(user)
    role = changes.get("role", user.role)
    region_code = changes.get("region_code", user.region_code)
    if (role, region_code) != (user.role, user.region_code):
        _check_assignable(actor, role, region_code)
    for field in ("display_name", "role", "region_code", "is_active"):
        if field in changes:
            setattr(user, field, changes[field])
    if "password" in changes:
        _set_password(user, changes["password"])
    if changes.get("is_active") is False:
        revoke_all_families(user.id, "deactivated")
    if changes.get("is_active") is True:  # reactivation also lifts a login lockout
        clear_attempts(user.username)
    db.session.flush()
    after = snapshot(user)
    if "password" in changes:  # so the row shows it even if the clock did not move
        after["password_changed"] = True
    audit.record(actor, "user.update", "user", user.id, before=before, after=after, region_code=user.region_code)
    return user


def change_own_password(actor: Actor, user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise Forbidden("The current password is wrong.", code="wrong_password")
    _set_password(user, new)
    db.session.flush()
    audit.record(actor, "user.password_change", "user", user.id, region_code=user.region_code)


def _set_password(user: User, password: str) -> None:
    _check_password(password)
    user.password_hash = hash_password(password)
    user.password_changed_at = clock.now()
    revoke_all_families(user.id, "password_changed")
