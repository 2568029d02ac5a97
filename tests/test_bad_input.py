"""Bad input is a clear 4xx problem+json, never a 500 (issue 11): one test per class of
input, run over every endpoint it can reach where that is cheap."""
from __future__ import annotations

import codecs
import io
import re
import uuid

import pytest
from flask import Blueprint
from sqlalchemy import create_engine, text

from backend.auth.guard import public
from backend.common.json_input import MAX_DEPTH
from backend.extensions import db
from tests.conftest import database_url_for_tests
from tests.factories import PASSWORD, check_body
from tests.helpers import PROBLEM, assert_problem

BODY_METHODS = ("POST", "PUT", "PATCH")


def _handler(app, rule, method):
    view = app.view_functions[rule.endpoint]
    view_class = getattr(view, "view_class", None)
    return getattr(view_class, method.lower(), None) if view_class else view


def _url(rule) -> str:
    """The rule with made-up path values (nothing is looked up before the checks under test)."""
    def value(match) -> str:
        name = match.group(1)
        return "130502" if name == "code" else "2030-01-07" if name == "day" else str(uuid.uuid4())

    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", value, rule.rule)


def _api_routes(app, *, json_body: bool):
    """(method, url) of every API view; with `json_body`, those that read a JSON body."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or "docs" in rule.rule or "openapi" in rule.rule:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            apidoc = getattr(_handler(app, rule, method), "_apidoc", {})
            locations = {p.get("in") for p in (apidoc.get("arguments") or {}).get("parameters", [])
                         if isinstance(p, dict)}
            if json_body and (method not in BODY_METHODS or "json" not in locations):
                continue
            yield method, _url(rule)


def _raw_json(client, method, url, body: str, headers=None):
    return client.open(url, method=method, data=body.encode(), content_type="application/json",
                       headers={"If-Match": '"x"', **(headers or {})})


# ---------------------------------------------------------------- 1. nesting

def _nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


def test_deep_nesting_is_400_on_every_json_endpoint(app, client, admin, auth_headers):
    headers = auth_headers(admin)
    wrong = {}
    for method, url in _api_routes(app, json_body=True):
        response = _raw_json(client, method, url, '{"x": ' + "[" * 5000 + "]" * 5000 + "}", headers)
        if response.status_code != 400 or response.mimetype != PROBLEM:
            wrong[f"{method} {url}"] = response.status_code
    assert not wrong


def test_deep_nesting_is_refused_before_login(client):
    body = assert_problem(_raw_json(client, "POST", "/api/v1/auth/login", _nested(100_000)), 400, "bad_request")
    assert str(MAX_DEPTH) in body["detail"]


def test_nesting_is_allowed_up_to_the_limit(client):
    assert_problem(_raw_json(client, "POST", "/api/v1/auth/login", _nested(MAX_DEPTH)), 422, "validation_error")
    assert_problem(_raw_json(client, "POST", "/api/v1/auth/login", _nested(MAX_DEPTH + 1)), 400, "bad_request")


def test_deep_epcis_document_is_400(client, admin, auth_headers):
    response = _raw_json(client, "POST", "/api/v1/epcis/capture", _nested(5000), auth_headers(admin))
    assert_problem(response, 400, "bad_request")


# ---------------------------------------------------------------- 2. lone surrogates and NUL

def test_surrogate_in_a_field_name_is_422_on_every_json_endpoint(app, client, admin, auth_headers):
    headers = auth_headers(admin)
    wrong = {}
    for method, url in _api_routes(app, json_body=True):
        response = _raw_json(client, method, url, '{"\\ud800": 1}', headers)
        if response.status_code != 422 or response.mimetype != PROBLEM:
            wrong[f"{method} {url}"] = response.status_code
    assert not wrong


@pytest.mark.parametrize("url", ["/api/v1/auth/login", "/api/v1/auth/refresh"])
def test_surrogate_before_login_names_the_field(client, url):
    body = '{"username": "\\ud800", "password": "x", "refresh_token": "\\udfff"}'
    problem = assert_problem(_raw_json(client, "POST", url, body), 422, "validation_error")
    message = ["Lone UTF-16 surrogates are not allowed."]
    assert problem["errors"] == {"username": message, "refresh_token": message}


def test_surrogate_deep_in_a_batch_names_its_path_in_that_item(client, field):
    """A batch's items are judged alone (one bad item never sinks the batch): the item names the path."""
    body = '{"checks": [{"id": "x", "note": "ok"}, {"results": [{"note": "\\uDC00"}]}]}'
    response = _raw_json(client, "POST", "/api/v1/checks:batch", body, field["headers"])
    assert response.status_code == 200, response.get_data(as_text=True)
    item = response.get_json()["results"][1]
    assert (item["status"], item["http_status"]) == ("invalid", 422)
    assert item["problem"]["errors"] == {"results.0.note": ["Lone UTF-16 surrogates are not allowed."]}


def test_surrogate_pair_is_an_ordinary_character(client, supervisor, auth_headers):
    body = ('{"name": "\\ud83c\\udf5c 面馆", "kind": "restaurant", '
            '"location": {"type": "Point", "coordinates": [114.5, 37.0]}}')
    response = _raw_json(client, "POST", "/api/v1/facilities", body, auth_headers(supervisor))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["properties"]["name"] == "🍜 面馆"


def test_nul_in_a_field_name_is_refused(client):
    problem = assert_problem(_raw_json(client, "POST", "/api/v1/auth/login", '{"a\\u0000": 1}'), 422)
    assert problem["errors"] == {"body": ["Field name: NUL characters are not allowed."]}


# ---------------------------------------------------------------- 3. numbers

@pytest.mark.parametrize("literal, message", [
    ("1" * 4301, "Number has too many digits."),
    ("NaN", "NaN is not a JSON number."),
    ("-Infinity", "-Infinity is not a JSON number."),
    ("1e400", "Number is out of range."),
], ids=["4301-digits", "nan", "infinity", "overflow"])
def test_unusable_numbers_are_422_with_their_path(client, supervisor, auth_headers, literal, message):
    body = '{"region_code": "130502", "year": ' + literal + "}"
    response = _raw_json(client, "POST", "/api/v1/inspection-plans", body, auth_headers(supervisor))
    assert assert_problem(response, 422, "validation_error")["errors"] == {"year": [message]}


# ---------------------------------------------------------------- 4. CSV encodings

CSV = "name,kind,lon,lat\n面馆,restaurant,114.5,37.0\n"


@pytest.mark.parametrize("raw", [CSV.encode("utf-16-le"), b"name,kind\n\xff\xfe\xfa\x81,restaurant\n"],
                         ids=["utf-16-without-bom", "neither-utf-8-nor-gb18030"])
@pytest.mark.parametrize("url", ["/api/v1/facilities/import", "/api/v1/trace-events/import"])
def test_unreadable_csv_is_422_naming_the_encodings(client, admin, auth_headers, url, raw):
    response = client.post(url, data=raw, content_type="text/csv", headers=auth_headers(admin))
    problem = assert_problem(response, 422)
    assert problem["code"] in ("unsupported_encoding", "bad_csv")  # bad_csv: NUL bytes (UTF-16 without BOM)
    assert "GB18030" in problem["detail"] and "UTF-8" in problem["detail"]


@pytest.mark.parametrize("raw", [codecs.BOM_UTF16_LE + CSV.encode("utf-16-le"), CSV.encode("gb18030"),
                                 codecs.BOM_UTF8 + CSV.encode()], ids=["utf-16-bom", "gb18030", "utf-8-bom"])
def test_accepted_csv_encodings_are_read(client, admin, auth_headers, raw):
    response = client.post("/api/v1/facilities/import", data=raw, content_type="text/csv",
                           headers=auth_headers(admin))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["created"] == 1


# ---------------------------------------------------------------- 5. invalid input is not a "retry" conflict

def test_change_level_without_level_is_422(client, supervisor, auth_headers, make_facility):
    from tests.test_authorization import _lot, _proposed_recall

    facility = make_facility()
    recall = _proposed_recall(facility, _lot(facility)[1])
    response = client.post(f"/api/v1/recalls/{recall.id}/transitions", json={"action": "change_level"},
                           headers=auth_headers(supervisor))
    assert assert_problem(response, 422, "validation_error")["errors"] == {"level": ["Required to change the level."]}
    response = client.post(f"/api/v1/recalls/{recall.id}/transitions", json={"action": "change_level", "level": 2},
                           headers=auth_headers(supervisor))
    assert response.status_code == 200 and response.get_json()["level"] == 2


@pytest.mark.parametrize("statement, status", [
    ("INSERT INTO bad_input_t (x) VALUES (0)", 422),  # CHECK
    ("INSERT INTO bad_input_t (x) VALUES (NULL)", 422),  # NOT NULL
    ("INSERT INTO bad_input_t (x) VALUES (1), (1)", 409),  # UNIQUE: a race, retry
])
def test_constraint_violations_are_422_unless_a_race(make_app, statement, status):
    app = make_app()
    routes = Blueprint("constraint", __name__)

    @routes.post("/api/v1/test-constraint")
    @public
    def violate():
        db.session.execute(text("CREATE TEMP TABLE bad_input_t (x int NOT NULL UNIQUE CHECK (x > 0))"))
        db.session.execute(text(statement))
        return {}

    app.register_blueprint(routes)
    assert_problem(app.test_client().post("/api/v1/test-constraint"), status)


# ---------------------------------------------------------------- 6. body size while reading

def _chunked(client, url, body: bytes, content_type="application/json", headers=None):
    return client.post(url, input_stream=io.BytesIO(body), content_type=content_type,
                       headers={"Transfer-Encoding": "chunked", **(headers or {})},
                       environ_overrides={"wsgi.input_terminated": True})


def test_chunked_json_body_over_the_limit_is_413(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = b'{"username": "a", "password": "' + b"x" * limit + b'"}'
    assert_problem(_chunked(client, "/api/v1/auth/login", body), 413, "payload_too_large")


def test_chunked_csv_over_the_limit_is_413(client, app, admin, auth_headers):
    body = CSV.encode() + b"x" * app.config["MAX_CONTENT_LENGTH"]
    response = _chunked(client, "/api/v1/facilities/import", body, "text/csv", auth_headers(admin))
    assert_problem(response, 413, "payload_too_large")


def test_chunked_body_of_exactly_the_limit_is_read(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    login = '{"username": "a", "password": "b"}'
    response = _chunked(client, "/api/v1/auth/login", (login + " " * (limit - len(login))).encode())
    assert_problem(response, 401)


# ---------------------------------------------------------------- 7. connections lost mid-request

def _terminate(pid: int) -> None:
    engine = create_engine(database_url_for_tests())
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    engine.dispose()


@pytest.fixture
def losing_app(make_app):
    """An app whose test routes have their database connection terminated mid-request."""
    app = make_app()
    routes = Blueprint("losing", __name__)

    @routes.get("/api/v1/test-lost-then-query")
    @public
    def lost_then_query():
        _terminate(db.session.scalar(text("SELECT pg_backend_pid()")))
        db.session.scalar(text("SELECT 1"))
        return {"ok": True}

    @routes.get("/api/v1/test-lost-before-teardown")
    @public
    def lost_before_teardown():
        _terminate(db.session.scalar(text("SELECT pg_backend_pid()")))
        return {"ok": True}

    app.register_blueprint(routes)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.committing
def test_connection_lost_during_the_request_is_503_with_retry_after(losing_app):
    response = losing_app.test_client().get("/api/v1/test-lost-then-query")
    assert_problem(response, 503, "database_unavailable")
    assert response.headers["Retry-After"]


@pytest.mark.committing
def test_connection_lost_before_teardown_keeps_the_formed_answer(losing_app, caplog):
    client = losing_app.test_client()
    response = client.get("/api/v1/test-lost-before-teardown")  # the teardown ROLLBACK fails: logged, not raised
    assert response.status_code == 200 and response.get_json() == {"ok": True}
    assert "session cleanup failed" in caplog.text
    assert client.get("/readyz").status_code == 200  # the pool recovered


# ---------------------------------------------------------------- 8. strict JSON types

@pytest.mark.parametrize("year", [2027.5, "2027", True])
def test_integer_fields_take_json_integers_only(client, supervisor, auth_headers, year):
    response = client.post("/api/v1/inspection-plans", json={"region_code": "130502", "year": year},
                           headers=auth_headers(supervisor))
    assert assert_problem(response, 422)["errors"] == {"year": ["Not a valid integer."]}


def test_a_whole_float_is_the_integer_json_schema_says_it_is(client, supervisor, auth_headers):
    response = client.post("/api/v1/inspection-plans", json={"region_code": "130502", "year": 2030.0},
                           headers=auth_headers(supervisor))
    assert response.status_code == 201 and response.get_json()["year"] == 2030


@pytest.mark.parametrize("key_item", ["no", 0, 1, "true", None])
def test_boolean_fields_take_true_or_false_only(client, admin, auth_headers, key_item):
    body = {"code": "routine-strict", "title_zh": "x", "title_en": "x", "facility_kinds": ["farm"],
            "items": [{"code": "A", "text_zh": "a", "text_en": "a", "key_item": key_item}]}
    problem = assert_problem(client.post("/api/v1/checklists", json=body, headers=auth_headers(admin)), 422)
    assert set(problem["errors"]) == {"items.0.key_item"}


def test_wrong_types_are_reported_with_the_other_errors(client, admin, auth_headers):
    body = {"username": 5, "display_name": "x", "role": "nobody", "region_code": "130502", "password": "p" * 12}
    problem = assert_problem(client.post("/api/v1/users", json=body, headers=auth_headers(admin)), 422)
    assert set(problem["errors"]) == {"username", "role"}
    assert problem["errors"]["username"] == ["Not a valid string."]


@pytest.mark.parametrize("coordinates, path", [
    (["114", "37"], "location.coordinates"), ([114.5], "location.coordinates"),
    ([114.5, 37.0, 1.0, 2.0], "location.coordinates"), ([214.5, 37.0], "location.coordinates"),
    ([114.5, 97.0], "location.coordinates"), ([True, 37.0], "location.coordinates"),
])
def test_geojson_positions_are_numbers_in_range(client, supervisor, auth_headers, coordinates, path):
    body = {"name": "面馆", "kind": "restaurant", "location": {"type": "Point", "coordinates": coordinates}}
    problem = assert_problem(client.post("/api/v1/facilities", json=body, headers=auth_headers(supervisor)), 422)
    assert set(problem["errors"]) == {path}


def test_polygon_positions_name_their_ring_and_index(client, supervisor, auth_headers):
    ring = [[114.5, 37.0], [114.51, 37.0], [114.51, "37.01"], [114.5, 37.0]]
    response = client.post("/api/v1/cells", json={"region_code": "130502",
                                                  "boundary": {"type": "Polygon", "coordinates": [ring]}},
                           headers=auth_headers(supervisor))
    assert set(assert_problem(response, 422)["errors"]) == {"boundary.coordinates.0.2"}


def test_numbers_may_be_sent_as_integers(client, supervisor, auth_headers):
    body = {"name": "面馆", "kind": "restaurant", "location": {"type": "Point", "coordinates": [114.5, 37]}}
    assert client.post("/api/v1/facilities", json=body, headers=auth_headers(supervisor)).status_code == 201


def test_batch_items_are_strictly_typed_too(client, field):
    body = check_body(field["template"], field["facility"])
    body["template_version"] = "1"
    response = client.post("/api/v1/checks:batch", json={"checks": [body]}, headers=field["headers"])
    item = response.get_json()["results"][0]
    assert item["http_status"] == 422
    assert item["problem"]["errors"] == {"template_version": ["Not a valid integer."]}


def test_query_strings_are_still_parsed_from_text(client, supervisor, auth_headers):
    response = client.get("/api/v1/recalls?level=2&overdue=true&page=2", headers=auth_headers(supervisor))
    assert response.status_code == 200, response.get_data(as_text=True)


# ---------------------------------------------------------------- 9. query parameters nobody declared

def test_unknown_query_parameters_are_422_on_every_endpoint(app, client, admin, auth_headers):
    headers = {**auth_headers(admin), "If-Match": '"x"'}
    wrong = {}
    for method, url in _api_routes(app, json_body=False):
        response = client.open(url + "?zz_unknown=1", method=method, headers=headers)
        body = response.get_json(silent=True) or {}
        if response.status_code != 422 or "query.zz_unknown" not in (body.get("errors") or {}):
            wrong[f"{method} {url}"] = response.status_code
    assert not wrong


def test_me_refuses_unknown_query_parameters(client, make_user, auth_headers):
    problem = assert_problem(client.get("/api/v1/me?verbose=1", headers=auth_headers(make_user())), 422)
    assert problem["errors"] == {"query.verbose": ["Unknown field."]}


def test_declared_and_paging_parameters_still_work(client, admin, auth_headers, make_facility):
    headers = auth_headers(admin)
    assert client.get("/api/v1/regions?page=1&page_size=5", headers=headers).status_code == 200
    assert client.get("/api/v1/public/recalls?page=1").status_code == 200
    assert client.get("/api/v1/openapi.json?x=1").status_code == 200
    assert client.get("/api/v1/docs?x=1").status_code == 200


# ---------------------------------------------------------------- 10. over-long URLs and headers

def test_over_long_url_is_414_problem(client):
    response = client.get("/api/v1/public/recalls?q=" + "x" * 9000)
    assert_problem(response, 414, "uri_too_long")


def test_url_just_under_the_limit_is_served(client):
    response = client.get("/api/v1/no-such-thing?" + "x" * 7900)
    assert_problem(response, 404)


def test_over_long_header_field_is_431_problem(client):
    response = client.get("/api/v1/public/recalls", headers={"X-Big": "y" * 9000})
    assert_problem(response, 431, "header_fields_too_large")


def test_login_with_wrong_password_still_401(client, make_user):
    user = make_user()
    response = client.post("/api/v1/auth/login", json={"username": user.username, "password": PASSWORD + "x"})
    assert_problem(response, 401)


@pytest.mark.parametrize("location, path", [
    ({"type": "Point", "coordinates": [114.5, 37.0], "crs": "EPSG:4326"}, "location.crs"),
    ({"type": "Point", "coordinates": [114.5, 37.0], "bbox": [1, 2, 3]}, "location.bbox"),
])
def test_a_geometry_holds_type_coordinates_and_bbox_only(client, supervisor, auth_headers, location, path):
    body = {"name": "面馆", "kind": "restaurant", "location": location}
    response = client.post("/api/v1/facilities", json=body, headers=auth_headers(supervisor))
    assert path in assert_problem(response, 422)["errors"]


def test_a_geometry_mixing_2d_and_3d_positions_is_refused(client, supervisor, auth_headers):
    ring = [[114.5, 37.0], [114.51, 37.0, 10.0], [114.51, 37.01], [114.5, 37.0]]
    body = {"region_code": "130502", "boundary": {"type": "Polygon", "coordinates": [ring]}}
    problem = assert_problem(client.post("/api/v1/cells", json=body, headers=auth_headers(supervisor)), 422)
    assert problem["errors"] == {"boundary.coordinates": ["Every position of a geometry has an altitude, or none has."]}


def test_nul_in_a_query_string_is_refused_before_the_database(client, supervisor, auth_headers):
    problem = assert_problem(client.get("/api/v1/lots?lot_code=a%00b", headers=auth_headers(supervisor)), 422,
                             "validation_error")
    assert problem["errors"] == {"query.lot_code": ["NUL characters are not allowed."]}


def test_a_time_outside_utcs_range_is_a_422_not_a_500(client, field):
    body = check_body(field["template"], field["facility"])
    body["started_at"] = "0001-01-01T00:00:00+02:01"  # valid RFC 3339, before year 1 in UTC
    response = client.post("/api/v1/checks", json=body, headers=field["headers"])
    assert "started_at" in assert_problem(response, 422)["errors"]
