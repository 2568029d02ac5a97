"""Every error is RFC 9457 problem+json, localised, and leaks nothing."""
from flask import Blueprint

from backend.auth.guard import public
from backend.errors import flatten_errors
from tests.helpers import assert_problem


def test_unknown_route_is_404_problem(client):
    assert_problem(client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_wrong_method_is_405_with_allow(client, make_user, auth_headers):
    response = client.delete("/api/v1/me", headers=auth_headers(make_user()))
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_400(client, admin, auth_headers):
    response = client.post("/api/v1/users", data="{not json", content_type="application/json",
                           headers=auth_headers(admin))
    assert_problem(response, 400)


def test_wrong_content_type_is_415(client, admin, auth_headers):
    response = client.post("/api/v1/users", data="username=x", content_type="application/x-www-form-urlencoded",
                           headers=auth_headers(admin))
    assert_problem(response, 415, "unsupported_media_type")


def test_wrong_types_name_the_field(client, admin, auth_headers):
    body = assert_problem(client.post("/api/v1/users", json={"username": 5, "display_name": [], "role": "x",
                                                           "region_code": "1", "password": "p" * 12},
                                      headers=auth_headers(admin)), 422, "validation_error")
    assert set(body["errors"]) == {"username", "display_name", "role", "region_code"}


def test_unknown_fields_are_rejected(client, admin, auth_headers):
    body = assert_problem(client.post("/api/v1/auth/login", json={"username": "a", "password": "b", "admin": True}),
                          422)
    assert body["errors"] == {"admin": ["Unknown field."]}


def test_oversize_body_is_413(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/api/v1/auth/login", data=b"x" * (limit + 1), content_type="application/json")
    assert_problem(response, 413, "payload_too_large")


def test_body_at_the_limit_is_read(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    padding = " " * (limit - len('{"username": "a", "password": "b"}'))
    response = client.post("/api/v1/auth/login", data='{"username": "a", "password": "b"}' + padding,
                           content_type="application/json")
    assert response.status_code == 401


def test_page_size_above_limit_is_422(client, admin, auth_headers):
    body = assert_problem(client.get("/api/v1/regions?page_size=101", headers=auth_headers(admin)), 422)
    assert "query.page_size" in body["errors"]
    assert client.get("/api/v1/regions?page_size=100", headers=auth_headers(admin)).status_code == 200


def test_titles_follow_accept_language(client):
    zh = client.get("/api/v1/nope").get_json()
    en = client.get("/api/v1/nope", headers={"Accept-Language": "en-US,en;q=0.9"}).get_json()
    assert zh["title"] == "未找到"
    assert en["title"] == "Not found"


def test_unexpected_error_is_generic_500(make_app, caplog):
    app = make_app()
    broken = Blueprint("broken", __name__)

    @broken.get("/api/v1/test-broken")
    @public
    def explode():
        raise RuntimeError("secret detail /etc/passwd SELECT * FROM users")

    app.register_blueprint(broken)
    response = app.test_client().get("/api/v1/test-broken")
    body = assert_problem(response, 500, "internal_error")
    assert "secret" not in response.get_data(as_text=True)
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert "secret detail" in caplog.text  # logged for operators, not shown to clients


def test_flatten_nested_errors():
    nested = {"items": {0: {"code": ["Missing."]}, 2: {"_schema": ["Bad item."]}}, "name": ["Too long."]}
    assert flatten_errors(nested) == {"items.0.code": ["Missing."], "items.2": ["Bad item."], "name": ["Too long."]}


def test_unknown_query_parameter_is_rejected(client, admin, auth_headers):
    body = assert_problem(client.get("/api/v1/users?rol=lab", headers=auth_headers(admin)), 422)
    assert body["errors"] == {"query.rol": ["Unknown field."]}


def test_pagination_parameters_pass_the_strict_query_check(client, admin, auth_headers):
    response = client.get("/api/v1/users?role=admin&page=1&page_size=5", headers=auth_headers(admin))
    assert response.status_code == 200


def test_nul_characters_are_refused_with_their_path(client, admin, auth_headers):
    body = {"username": "nul-user", "display_name": "a\x00b", "role": "inspector", "region_code": "130502",
            "password": "long-enough-password"}
    problem = assert_problem(client.post("/api/v1/users", json=body, headers=auth_headers(admin)), 422)
    assert problem["errors"] == {"display_name": ["NUL characters are not allowed."]}
