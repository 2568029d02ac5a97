"""Assertions shared by tests."""
from __future__ import annotations

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """The response is an RFC 9457 problem with this status (and reason code)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert body["type"].startswith("urn:foodgrid:problem:")
    assert body["title"]
    if code is not None:
        assert body["code"] == code, body
    text = response.get_data(as_text=True)
    for leak in ("Traceback", "SELECT ", "psycopg", "/work/", ".py\""):
        assert leak not in text
    return body
