"""Factory fixtures: users (with a real Argon2id hash, computed once) and their tokens."""
from __future__ import annotations

import itertools
from functools import lru_cache

import pytest

from backend.auth.models import User
from backend.auth.passwords import hash_password
from backend.auth.tokens import issue_pair, open_family
from backend.extensions import db

PASSWORD = "correct-horse-battery"
_serial = itertools.count(1)


@lru_cache(maxsize=None)
def password_hash(password: str) -> str:
    return hash_password(password)


@pytest.fixture
def make_user(db_session):
    def make(role: str = "inspector", region_code: str = "130502", *, username: str | None = None,
             password: str = PASSWORD, **overrides) -> User:
        user = User(
            username=username or f"{role}{next(_serial)}",
            display_name=overrides.pop("display_name", f"Test {role}"),
            role=role,
            region_code=region_code,
            password_hash=password_hash(password),
            **overrides,
        )
        db.session.add(user)
        db.session.flush()
        return user

    return make


@pytest.fixture
def auth_headers(db_session):
    """Bearer headers for a user, minted as a login would (without the password check)."""
    def headers(user: User) -> dict[str, str]:
        pair = issue_pair(user, open_family(user))
        db.session.flush()
        return {"Authorization": f"Bearer {pair.access_token}"}

    return headers


@pytest.fixture
def admin(make_user):
    return make_user("admin", "130500")


@pytest.fixture
def supervisor(make_user):
    return make_user("supervisor", "130502")


@pytest.fixture
def inspector(make_user):
    return make_user("inspector", "130502")


# ---------------------------------------------------------------- grid and facilities

def square(lon: float, lat: float, size: float = 0.01):
    """A lon/lat square whose south-west corner is (lon, lat)."""
    from shapely import box

    return box(lon, lat, lon + size, lat + size)


@pytest.fixture
def make_cell(db_session):
    from backend.auth.actor import Actor
    from backend.regions import cells

    def make(lon: float = 114.49, lat: float = 37.06, size: float = 0.01, region_code: str = "130502", name=None):
        return cells.create_cell(Actor.system(), region_code=region_code, boundary=square(lon, lat, size), name=name)

    return make


@pytest.fixture
def make_facility(db_session):
    from shapely import Point

    from backend.auth.actor import Actor
    from backend.facilities.service import create_facility

    def make(lon: float = 114.495, lat: float = 37.065, kind: str = "restaurant", **overrides):
        overrides.setdefault("name", f"测试{kind}{next(_serial)}")
        overrides.setdefault("risk_level", "B")
        location = None if kind == "stall" and "parent_id" in overrides and "location" not in overrides \
            else overrides.pop("location", Point(lon, lat))
        return create_facility(Actor.system(), kind=kind, location=location, **overrides)

    return make


@pytest.fixture
def assign(db_session):
    from backend.auth.actor import Actor
    from backend.regions.assignments import Move, change_assignment

    def do(cell, inspector, action: str = "set_lead", reason: str = "test"):
        return change_assignment(Actor.system(), Move(cell.id, action, inspector.id, reason))

    return do
