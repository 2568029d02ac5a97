"""Lockout is atomic and tells nothing about which usernames exist (DESIGN.md §2, issue 11)."""
import json
import threading
import uuid

import pytest
from argon2 import PasswordHasher

from backend.audit.models import AuditEntry
from backend.auth.models import User
from backend.auth.passwords import hash_password, verify_password
from backend.extensions import db
from tests.factories import PASSWORD, password_hash
from tests.helpers import assert_problem

GUESSES = 16


def login(client, username, password=PASSWORD):
    # ASCII-escaped JSON, so lone surrogates travel as the outside testers sent them ("\\ud800").
    body = json.dumps({"username": username, "password": password})
    return client.post("/api/v1/auth/login", data=body, content_type="application/json")


def guess_all_at_once(app, username: str) -> list[int]:
    barrier, statuses = threading.Barrier(GUESSES), []

    def guess():
        client = app.test_client()
        barrier.wait()
        statuses.append(login(client, username, "wrong-password").status_code)

    threads = [threading.Thread(target=guess) for _ in range(GUESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


@pytest.fixture
def no_rate_limit(app, monkeypatch):
    """These tests are about the lockout, not the per-account rate limit in front of it."""
    monkeypatch.setitem(app.config, "LOGIN_RATE_PER_ACCOUNT", "1000 per minute")


@pytest.mark.committing
@pytest.mark.parametrize("exists", [True, False], ids=["known", "unknown"])
def test_concurrent_wrong_passwords_check_at_most_the_limit(app, committed, no_rate_limit, exists):
    username = f"race-{uuid.uuid4().hex[:8]}"
    committed["usernames"].append(username)
    if exists:
        with app.app_context():
            user = User(username=username, display_name="race", role="inspector", region_code="130502",
                        password_hash=password_hash(PASSWORD))
            db.session.add(user)
            db.session.commit()
            committed["users"].append(user.id)
    limit = app.config["LOGIN_MAX_FAILURES"]
    statuses = guess_all_at_once(app, username)
    # Never a 412 (lost update) or a 500; exactly `limit` guesses were checked, the rest refused.
    assert statuses == [401] * limit + [429] * (GUESSES - limit)
    assert_problem(login(app.test_client(), username), 429, "account_locked")  # even the right password
    with app.app_context():
        failures = db.session.scalar(db.select(db.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "auth.login_failed", AuditEntry.entity_id.in_([username, str(user.id)]
                                                                                  if exists else [username])))
    assert failures == limit


def test_unknown_username_runs_argon2_like_a_known_one(client, make_user, monkeypatch):
    """Same work, so the same time (the outside test measured 18 ms against 626 ms)."""
    make_user(username="known")
    calls = []
    original = PasswordHasher.verify
    monkeypatch.setattr(PasswordHasher, "verify", lambda self, hash, password: calls.append(1) or original(
        self, hash, password))
    assert_problem(login(client, "known", "wrong-password"), 401, "invalid_credentials")
    assert_problem(login(client, "no-such-name", "wrong-password"), 401, "invalid_credentials")
    assert len(calls) == 2


@pytest.mark.parametrize("username", ["known", "no-such-name"])
def test_unknown_usernames_lock_like_known_ones(client, make_user, app, username):
    make_user(username="known")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert_problem(login(client, username, "wrong-password"), 401, "invalid_credentials")
    locked = login(client, username)
    assert_problem(locked, 429, "account_locked")
    assert 0 < int(locked.headers["Retry-After"]) <= app.config["LOGIN_LOCKOUT_S"] + 1


def test_lone_surrogate_password_is_a_wrong_password_known_or_not(client, make_user):
    make_user(username="known")
    known, unknown = login(client, "known", "\ud800"), login(client, "no-such-name", "\ud800")
    assert known.status_code == unknown.status_code != 500
    assert known.get_json()["code"] == unknown.get_json()["code"]
    assert verify_password(hash_password(PASSWORD), "\ud800") is False
    assert verify_password(None, "\udfff") is False


@pytest.mark.parametrize("username", ["ab\ud800", "ab\x00"])
def test_unstorable_username_is_not_an_error(client, username):
    assert login(client, username, "wrong-password").status_code in (401, 422)


def test_failed_login_for_unknown_name_is_audited(client):
    name = f"Ghost-{uuid.uuid4().hex[:8]}"
    login(client, name, "wrong-password")
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "auth.login_failed",
                                                           AuditEntry.entity_id == name.lower())).one()
    assert entry.entity_type == "username"
    assert entry.actor_username == "system" and entry.after["failures"] == 1


def test_reactivation_lifts_the_lockout(client, make_user, app, auth_headers):
    admin = make_user("admin", "130500")
    user = make_user(username="locked-out")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(client, "locked-out", "wrong-password")
    assert_problem(login(client, "locked-out"), 429, "account_locked")
    headers = {**auth_headers(admin), "If-Match": client.get(f"/api/v1/users/{user.id}",
                                                             headers=auth_headers(admin)).headers["ETag"]}
    assert client.patch(f"/api/v1/users/{user.id}", json={"is_active": True}, headers=headers).status_code == 200
    assert login(client, "locked-out").status_code == 200
