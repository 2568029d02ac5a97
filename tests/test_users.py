from backend.audit.models import AuditEntry
from backend.extensions import db
from tests.helpers import assert_problem


def patch_with_etag(client, headers, user_id, changes):
    """PATCH a user as a careful client does: read its ETag first, send it as If-Match."""
    etag = client.get(f"/api/v1/users/{user_id}", headers=headers).headers["ETag"]
    return client.patch(f"/api/v1/users/{user_id}", json=changes, headers={**headers, "If-Match": etag})


NEW_USER = {"username": "inspector9", "display_name": "网格员九", "role": "inspector",
            "region_code": "130502", "password": "long-enough-password"}


def test_admin_creates_user_and_it_is_audited(client, admin, auth_headers):
    response = client.post("/api/v1/users", json=NEW_USER, headers=auth_headers(admin))
    assert response.status_code == 201
    body = response.get_json()
    assert body["username"] == "inspector9" and "password" not in body and "password_hash" not in body
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "user.create")).one()
    assert entry.actor_id == admin.id and entry.after["role"] == "inspector"
    assert NEW_USER["password"] not in str(entry.after) and "argon2" not in str(entry.after)
    assert "password_hash" not in entry.after


def test_new_user_can_log_in(client, admin, auth_headers):
    client.post("/api/v1/users", json=NEW_USER, headers=auth_headers(admin))
    login = client.post("/api/v1/auth/login", json={"username": "inspector9", "password": NEW_USER["password"]})
    assert login.status_code == 200


def test_supervisor_creates_inspector_in_own_region(client, supervisor, auth_headers):
    assert client.post("/api/v1/users", json=NEW_USER, headers=auth_headers(supervisor)).status_code == 201


def test_supervisor_cannot_create_outside_region(client, supervisor, auth_headers):
    response = client.post("/api/v1/users", json={**NEW_USER, "region_code": "130503"},
                           headers=auth_headers(supervisor))
    assert_problem(response, 403)


def test_supervisor_cannot_create_admin(client, supervisor, auth_headers):
    response = client.post("/api/v1/users", json={**NEW_USER, "role": "admin"}, headers=auth_headers(supervisor))
    assert_problem(response, 403)


def test_inspector_cannot_manage_users(client, inspector, auth_headers):
    assert_problem(client.post("/api/v1/users", json=NEW_USER, headers=auth_headers(inspector)), 403)
    assert_problem(client.get("/api/v1/users", headers=auth_headers(inspector)), 403)


def test_duplicate_username_is_conflict(client, admin, auth_headers, make_user):
    make_user(username="inspector9")
    assert_problem(client.post("/api/v1/users", json=NEW_USER, headers=auth_headers(admin)), 409, "username_taken")


def test_unknown_region_is_refused(client, admin, auth_headers):
    response = client.post("/api/v1/users", json={**NEW_USER, "region_code": "999999"}, headers=auth_headers(admin))
    body = assert_problem(response, 422, "unknown_region")
    assert body["field"] == "region_code"


def test_short_password_is_refused(client, admin, auth_headers):
    body = assert_problem(client.post("/api/v1/users", json={**NEW_USER, "password": "short"},
                                      headers=auth_headers(admin)), 422)
    assert "password" in body["errors"]


def test_supervisor_lists_only_own_region(client, supervisor, auth_headers, make_user):
    make_user(username="near", region_code="130502")
    make_user(username="far", region_code="130503")
    response = client.get("/api/v1/users", headers=auth_headers(supervisor))
    names = {user["username"] for user in response.get_json()}
    assert "near" in names and "far" not in names
    assert "X-Pagination" in response.headers


def test_supervisor_gets_404_for_user_outside_region(client, supervisor, auth_headers, make_user):
    far = make_user(region_code="130503")
    assert_problem(client.get(f"/api/v1/users/{far.id}", headers=auth_headers(supervisor)), 404)


def test_list_filters(client, admin, auth_headers, make_user):
    make_user("lab", "130500", username="lab7")
    response = client.get("/api/v1/users?role=lab&q=lab7", headers=auth_headers(admin))
    assert [user["username"] for user in response.get_json()] == ["lab7"]


def test_update_requires_if_match(client, admin, auth_headers, make_user):
    user = make_user()
    response = client.patch(f"/api/v1/users/{user.id}", json={"display_name": "新名字"}, headers=auth_headers(admin))
    assert_problem(response, 428)


def test_update_with_stale_etag_is_412(client, admin, auth_headers, make_user):
    user = make_user()
    headers = {**auth_headers(admin), "If-Match": '"stale"'}
    assert_problem(client.patch(f"/api/v1/users/{user.id}", json={"display_name": "x"}, headers=headers), 412)


def test_update_with_current_etag(client, admin, auth_headers, make_user):
    user = make_user()
    headers = auth_headers(admin)
    etag = client.get(f"/api/v1/users/{user.id}", headers=headers).headers["ETag"]
    response = client.patch(f"/api/v1/users/{user.id}", json={"display_name": "新名字"},
                            headers={**headers, "If-Match": etag})
    assert response.status_code == 200
    assert response.get_json()["display_name"] == "新名字"
    assert response.headers["ETag"] != etag
    again = client.patch(f"/api/v1/users/{user.id}", json={"display_name": "再改"},
                         headers={**headers, "If-Match": etag})
    assert_problem(again, 412)


def test_deactivation_ends_sessions(client, admin, auth_headers, make_user):
    user = make_user()
    user_headers = auth_headers(user)
    assert patch_with_etag(client, auth_headers(admin), user.id, {"is_active": False}).status_code == 200
    assert_problem(client.get("/api/v1/me", headers=user_headers), 401)


def test_supervisor_cannot_promote_to_supervisor(client, supervisor, auth_headers, make_user):
    user = make_user()
    assert_problem(patch_with_etag(client, auth_headers(supervisor), user.id, {"role": "supervisor"}), 403)


def test_admin_cannot_deactivate_self(client, admin, auth_headers):
    response = patch_with_etag(client, auth_headers(admin), admin.id, {"is_active": False})
    assert_problem(response, 422, "self_change")


def test_unknown_field_in_update_is_rejected(client, admin, auth_headers, make_user):
    user = make_user()
    body = assert_problem(patch_with_etag(client, auth_headers(admin), user.id, {"password_hash": "x"}), 422)
    assert body["errors"] == {"password_hash": ["Unknown field."]}


def test_admin_sets_a_new_password(client, admin, auth_headers, make_user):
    user = make_user(username="forgetful")
    response = patch_with_etag(client, auth_headers(admin), user.id, {"password": "brand-new-password"})
    assert response.status_code == 200
    login = client.post("/api/v1/auth/login", json={"username": "forgetful", "password": "brand-new-password"})
    assert login.status_code == 200


def test_a_password_set_by_an_admin_shows_in_the_audit_row(client, admin, auth_headers, make_user):
    user = make_user(username="reset-me")
    patch_with_etag(client, auth_headers(admin), user.id, {"password": "brand-new-password"})
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "user.update",
                                                           AuditEntry.entity_id == str(user.id))).one()
    assert entry.before != entry.after
    assert entry.after["password_changed"] is True
    assert entry.after["password_changed_at"] > entry.before["password_changed_at"]
    assert "brand-new-password" not in str(entry.after) and "argon2" not in str(entry.after)
