"""Who may see and manage user accounts (DESIGN.md §2).

Administrators manage everyone; a supervisor manages inspectors, labs and enterprise
users of its region (`SUPERVISED_ROLES`) and sees the users of its region.
"""
from __future__ import annotations

from sqlalchemy import Select

from backend.auth.models import User
from backend.common.actor import SUPERVISED_ROLES, Actor
from backend.common.region_codes import scope_prefix

MANAGERS = ("admin", "supervisor")


def may_manage_users(actor: Actor) -> bool:
    return actor.is_system or actor.has_role(*MANAGERS)


def may_manage(actor: Actor, role: str, region_code: str) -> bool:
    """May the actor give `role` in `region_code` (or change a user who has them)?"""
    if actor.is_admin:
        return True
    return actor.role == "supervisor" and role in SUPERVISED_ROLES and actor.covers_region(region_code)


def visible_users(actor: Actor, query: Select) -> Select:
    """A supervisor sees its region's users; administrators everyone (for managers only)."""
    if actor.role == "supervisor":
        return query.where(User.region_code.startswith(scope_prefix(actor.region_code)))
    return query


def sees_user(actor: Actor, user: User) -> bool:
    return actor.role == "admin" or actor.covers_region(user.region_code)
