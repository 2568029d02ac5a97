"""Every endpoint × every role: who may call what (DESIGN.md §2)."""
import pytest

ROLES = ("admin", "supervisor", "inspector", "lab", "enterprise", "anonymous")
REGION = {"admin": "130500", "supervisor": "130502", "inspector": "130502", "lab": "130500", "enterprise": "130502"}

# method, path, {role: expected status}; roles not listed expect `default`
MATRIX = [
    ("GET", "/healthz", {}, 200),
    ("GET", "/readyz", {}, 200),
    ("GET", "/api/v1/openapi.json", {}, 200),
    ("GET", "/api/v1/docs", {}, 200),
    ("GET", "/api/v1/me", {"anonymous": 401}, 200),
    ("POST", "/api/v1/auth/logout", {"anonymous": 401}, 204),
    ("GET", "/api/v1/regions", {"anonymous": 401}, 200),
    ("GET", "/api/v1/regions/130502", {"anonymous": 401}, 200),
    ("GET", "/api/v1/users", {"admin": 200, "supervisor": 200, "anonymous": 401}, 403),
    ("GET", "/api/v1/users/{self}", {"anonymous": 401}, 200),
    ("GET", "/api/v1/audit", {"admin": 200, "anonymous": 401}, 403),
    ("GET", "/api/v1/audit/verify", {"admin": 200, "anonymous": 401}, 403),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method,path,expected,default", MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_access(client, make_user, auth_headers, role, method, path, expected, default):
    headers = {}
    user_id = "00000000-0000-0000-0000-000000000000"
    if role != "anonymous":
        user = make_user(role, REGION[role])
        headers = auth_headers(user)
        user_id = user.id
    response = client.open(path.format(self=user_id), method=method, headers=headers)
    assert response.status_code == expected.get(role, default), response.get_data(as_text=True)


@pytest.mark.parametrize("role,status", [("admin", 201), ("supervisor", 201), ("inspector", 403),
                                         ("lab", 403), ("enterprise", 403)])
def test_create_user_by_role(client, make_user, auth_headers, role, status):
    headers = auth_headers(make_user(role, REGION[role]))
    body = {"username": f"new-{role}", "display_name": "n", "role": "inspector",
            "region_code": "130502", "password": "long-enough-password"}
    assert client.post("/api/v1/users", json=body, headers=headers).status_code == status


def test_every_api_route_is_in_the_matrix(app):
    """A new endpoint must be added to the matrix above (or get its own tests)."""
    covered = {path.split("{")[0].rstrip("/") for _, path, _, _ in MATRIX}
    covered |= {"/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/me/password", "/api/v1/users"}
    for rule in app.url_map.iter_rules():
        path = str(rule.rule)
        if not path.startswith("/api/v1") or "docs" in path:
            continue
        assert path.split("<")[0].rstrip("/") in covered, f"{path} has no authorisation test"
