"""Phones on bad networks retry a refresh: within the reuse window they converge on one
new pair; after it, reuse still revokes the family (DESIGN.md §2, issue 11)."""
import threading
import uuid
from datetime import timedelta

import pytest

from backend.auth.models import RefreshToken, TokenFamily, User
from backend.auth.tokens import hash_token, issue_pair, open_family, unseal
from backend.common import clock
from backend.extensions import db
from tests.factories import PASSWORD, password_hash
from tests.helpers import assert_problem


def refresh(client, token):
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def login(client, username):
    response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200
    return response.get_json()


@pytest.mark.committing
def test_twenty_concurrent_refreshes_get_one_new_refresh_token(app, committed):
    with app.app_context():
        user = User(username=f"phone-{uuid.uuid4().hex[:8]}", display_name="phone", role="inspector",
                    region_code="130502", password_hash=password_hash(PASSWORD))
        db.session.add(user)
        db.session.flush()
        committed["users"].append(user.id)
        token = issue_pair(user, open_family(user)).refresh_token
        db.session.commit()
    barrier, answers = threading.Barrier(20), []

    def retry():
        client = app.test_client()
        barrier.wait()
        answers.append(refresh(client, token))

    threads = [threading.Thread(target=retry) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [answer.status_code for answer in answers] == [200] * 20, answers[0].get_json()
    assert len({answer.get_json()["refresh_token"] for answer in answers}) == 1
    client = app.test_client()
    for answer in answers:  # every access token handed out works: the session is alive
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {answer.get_json()['access_token']}"})
        assert me.status_code == 200
    assert refresh(client, answers[0].get_json()["refresh_token"]).status_code == 200


def test_a_retry_within_the_window_gets_the_same_refresh_token(client, make_user):
    make_user(username="retry")
    first = login(client, "retry")
    one, two = refresh(client, first["refresh_token"]), refresh(client, first["refresh_token"])
    assert one.status_code == two.status_code == 200
    assert one.get_json()["refresh_token"] == two.get_json()["refresh_token"]
    assert db.session.scalars(db.select(TokenFamily.revoked_at)).one() is None


def test_reuse_after_the_window_revokes_the_family(client, make_user, app, monkeypatch):
    make_user(username="stolen")
    first = login(client, "stolen")
    second = refresh(client, first["refresh_token"]).get_json()
    moved = clock.now() + timedelta(seconds=app.config["REFRESH_REUSE_WINDOW_S"] + 1)
    monkeypatch.setattr(clock, "now", lambda: moved)
    assert_problem(refresh(client, first["refresh_token"]), 401, "refresh_token_reused")
    assert_problem(refresh(client, second["refresh_token"]), 401, "token_revoked")
    assert db.session.scalars(db.select(TokenFamily.revoked_reason)).one() == "reuse"


def test_the_successor_is_stored_sealed_with_the_old_token(client, make_user):
    make_user(username="sealed")
    first = login(client, "sealed")
    second = refresh(client, first["refresh_token"]).get_json()["refresh_token"]
    used = db.session.scalars(db.select(RefreshToken).where(
        RefreshToken.token_hash == hash_token(first["refresh_token"]))).one()
    assert second.encode() not in used.successor_sealed
    assert unseal(first["refresh_token"], used.successor_sealed) == second
    assert unseal("some-other-token", used.successor_sealed) != second
