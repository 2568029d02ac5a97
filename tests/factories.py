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
