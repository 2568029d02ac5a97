from backend.audit.models import AuditEntry
from backend.auth.models import LoginAttempt
from backend.extensions import db
from tests.factories import PASSWORD
from tests.helpers import assert_problem


def login(client, username, password=PASSWORD, **kwargs):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password}, **kwargs)


def test_login_returns_token_pair(client, make_user):
    make_user("inspector", username="li")
    body = login(client, "li").get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["access_token"] and body["refresh_token"]


def test_login_is_case_insensitive_on_username(client, make_user):
    make_user(username="wang")
    assert login(client, "WANG").status_code == 200


def test_wrong_password_is_401_problem(client, make_user):
    make_user(username="zhao")
    assert_problem(login(client, "zhao", "wrong-password"), 401, "invalid_credentials")


def test_unknown_user_gets_the_same_answer(client):
    assert_problem(login(client, "nobody"), 401, "invalid_credentials")


def test_inactive_user_cannot_log_in(client, make_user):
    make_user(username="gone", is_active=False)
    assert_problem(login(client, "gone"), 401, "invalid_credentials")


def test_account_locks_after_repeated_failures(client, make_user, app):
    user = make_user(username="sun")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(client, "sun", "wrong-password")
    locked = login(client, "sun")  # even the right password is refused while locked
    body = assert_problem(locked, 429, "account_locked")
    assert 0 < int(locked.headers["Retry-After"]) <= app.config["LOGIN_LOCKOUT_S"] + 1
    assert body["detail"]
    actions = db.session.scalars(
        db.select(AuditEntry.action).where(AuditEntry.entity_id == str(user.id))
    ).all()
    assert "auth.locked" in actions
    assert actions.count("auth.login_failed") == app.config["LOGIN_MAX_FAILURES"]


def test_success_resets_failure_count(client, make_user, app):
    user = make_user(username="qian")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        login(client, "qian", "wrong-password")
    assert login(client, "qian").status_code == 200
    db.session.refresh(user)
    assert db.session.get(LoginAttempt, "qian") is None


def test_login_rate_limited_per_ip(client, app, make_user):
    make_user(username="zhou")
    limit = int(app.config["LOGIN_RATE_PER_IP"].split()[0])
    for _ in range(limit):
        login(client, "nobody", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    response = login(client, "zhou", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert_problem(response, 429, "too_many_requests")
    assert int(response.headers["Retry-After"]) > 0
    # another address is not affected
    assert login(client, "zhou", environ_base={"REMOTE_ADDR": "203.0.113.8"}).status_code == 200


def test_login_validates_body(client):
    body = assert_problem(client.post("/api/v1/auth/login", json={"username": "x"}), 422, "validation_error")
    assert "password" in body["errors"]
