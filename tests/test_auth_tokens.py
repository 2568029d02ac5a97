from datetime import timedelta

import pytest
from flask_jwt_extended import create_access_token

from backend.auth.models import RefreshToken, TokenFamily
from backend.common import clock
from backend.extensions import db
from tests.factories import PASSWORD
from tests.helpers import assert_problem


def login(client, username):
    response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200
    return response.get_json()


def refresh(client, token):
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def bearer(tokens):
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_refresh_rotates_the_token(client, make_user):
    make_user(username="ma")
    first = login(client, "ma")
    second = refresh(client, first["refresh_token"]).get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 200


def test_refresh_tokens_are_stored_hashed(client, make_user):
    make_user(username="hu")
    tokens = login(client, "hu")
    stored = db.session.scalars(db.select(RefreshToken.token_hash)).all()
    assert tokens["refresh_token"] not in stored
    assert all(len(value) == 64 for value in stored)


@pytest.fixture
def later(app, monkeypatch):
    """Move the service's clock past the refresh reuse window."""
    def move():
        moved = clock.now() + timedelta(seconds=app.config["REFRESH_REUSE_WINDOW_S"] + 1)
        monkeypatch.setattr(clock, "now", lambda: moved)

    return move


def test_reusing_a_refresh_token_revokes_the_family(client, make_user, later):
    make_user(username="lin")
    first = login(client, "lin")
    second = refresh(client, first["refresh_token"]).get_json()
    later()
    assert_problem(refresh(client, first["refresh_token"]), 401, "refresh_token_reused")
    # the thief's and the owner's newer tokens are dead too
    assert_problem(refresh(client, second["refresh_token"]), 401, "token_revoked")
    assert_problem(client.get("/api/v1/me", headers=bearer(second)), 401, "token_revoked")
    family = db.session.scalars(db.select(TokenFamily)).one()
    assert family.revoked_reason == "reuse"


def test_reuse_revokes_only_that_login(client, make_user, later):
    make_user(username="gao")
    phone, desk = login(client, "gao"), login(client, "gao")
    refresh(client, phone["refresh_token"])
    later()
    refresh(client, phone["refresh_token"])
    assert client.get("/api/v1/me", headers=bearer(desk)).status_code == 200


def test_unknown_refresh_token(client):
    assert_problem(refresh(client, "not-a-token"), 401, "token_invalid")


def test_expired_refresh_token(client, make_user):
    make_user(username="luo")
    tokens = login(client, "luo")
    token = db.session.scalars(db.select(RefreshToken)).one()
    token.expires_at = token.issued_at - timedelta(seconds=1)
    db.session.flush()
    assert_problem(refresh(client, tokens["refresh_token"]), 401, "token_expired")


def test_logout_ends_the_session(client, make_user):
    make_user(username="he")
    tokens = login(client, "he")
    assert client.post("/api/v1/auth/logout", headers=bearer(tokens)).status_code == 204
    assert_problem(client.get("/api/v1/me", headers=bearer(tokens)), 401, "token_revoked")
    assert_problem(refresh(client, tokens["refresh_token"]), 401, "token_revoked")


def test_missing_token(client):
    response = client.get("/api/v1/me")
    assert_problem(response, 401, "token_missing")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_garbage_token(client):
    assert_problem(client.get("/api/v1/me", headers={"Authorization": "Bearer abc.def.ghi"}), 401, "token_invalid")


def test_expired_access_token(client, app, make_user):
    user = make_user()
    family = TokenFamily(user_id=user.id)
    db.session.add(family)
    db.session.flush()
    token = create_access_token(str(user.id), additional_claims={"fam": str(family.id)},
                                expires_delta=timedelta(seconds=-10))
    assert_problem(client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}), 401, "token_expired")


def test_token_signed_with_another_key_is_refused(client, make_user):
    import jwt as pyjwt

    user = make_user()
    claims = {"sub": str(user.id), "type": "access", "fam": "x"}
    forged = pyjwt.encode(claims, "another-key-of-at-least-thirty-two-bytes", algorithm="HS256")
    assert_problem(client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"}), 401, "token_invalid")


def test_deactivated_user_token_stops_working(client, make_user, auth_headers):
    user = make_user()
    headers = auth_headers(user)
    user.is_active = False
    db.session.flush()
    assert_problem(client.get("/api/v1/me", headers=headers), 401, "token_revoked")


def test_change_own_password_ends_sessions(client, make_user):
    make_user(username="yang")
    tokens = login(client, "yang")
    response = client.post("/api/v1/me/password", headers=bearer(tokens),
                           json={"current_password": PASSWORD, "new_password": "a-new-long-password"})
    assert response.status_code == 204
    assert_problem(client.get("/api/v1/me", headers=bearer(tokens)), 401, "token_revoked")
    ok = client.post("/api/v1/auth/login", json={"username": "yang", "password": "a-new-long-password"})
    assert ok.status_code == 200


def test_change_own_password_needs_current_one(client, make_user, auth_headers):
    headers = auth_headers(make_user())
    response = client.post("/api/v1/me/password", headers=headers,
                           json={"current_password": "wrong", "new_password": "a-new-long-password"})
    assert_problem(response, 403, "wrong_password")


WRONG_TYPES = [["a", "b"], {"id": 1}, 42, None]
MALFORMED = ([("sub", value) for value in [*WRONG_TYPES, "not-a-uuid"]]
             + [("fam", value) for value in [*WRONG_TYPES, "not-a-uuid"]]
             + [(claim, value) for claim in ("role", "region") for value in WRONG_TYPES])


@pytest.mark.parametrize(("claim", "value"), MALFORMED)
def test_malformed_claims_are_401(client, app, make_user, claim, value):
    import jwt as pyjwt

    user = make_user()
    family = TokenFamily(user_id=user.id)
    db.session.add(family)
    db.session.flush()
    claims = {"sub": str(user.id), "fam": str(family.id), "role": user.role, "region": user.region_code,
              "type": "access", "jti": "j", "exp": 4102444800, claim: value}
    token = pyjwt.encode(claims, app.config["JWT_SECRET_KEY"], algorithm="HS256")
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401, "token_invalid")
