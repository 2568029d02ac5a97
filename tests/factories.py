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


# ---------------------------------------------------------------- grid and facilities

def square(lon: float, lat: float, size: float = 0.01):
    """A lon/lat square whose south-west corner is (lon, lat)."""
    from shapely import box

    return box(lon, lat, lon + size, lat + size)


@pytest.fixture
def make_cell(db_session):
    from backend.common.actor import Actor
    from backend.regions import cells

    def make(lon: float = 114.49, lat: float = 37.06, size: float = 0.01, region_code: str = "130502", name=None):
        return cells.create_cell(Actor.system(), region_code=region_code, boundary=square(lon, lat, size), name=name)

    return make


@pytest.fixture
def make_facility(db_session):
    from shapely import Point

    from backend.common.actor import Actor
    from backend.facilities.service import create_facility

    def make(lon: float = 114.495, lat: float = 37.065, kind: str = "restaurant", **overrides):
        overrides.setdefault("name", f"测试{kind}{next(_serial)}")
        overrides.setdefault("risk_level", "B")
        location = None if kind == "stall" and "parent_id" in overrides and "location" not in overrides \
            else overrides.pop("location", Point(lon, lat))
        return create_facility(Actor.system(), kind=kind, location=location, **overrides)

    return make


@pytest.fixture
def assign(db_session):
    from backend.common.actor import Actor
    from backend.regions.assignments import Move, change_assignment

    def do(cell, inspector, action: str = "set_lead", reason: str = "test"):
        return change_assignment(Actor.system(), Move(cell.id, action, inspector.id, reason))

    return do


@pytest.fixture
def make_template(db_session):
    """A published checklist: items K1, K2 (key) and G1…G<general> (general)."""
    from backend.common.actor import Actor
    from backend.inspections.templates import create_draft, publish

    def make(code: str | None = None, *, general: int = 10, threshold: int = 8, kinds=("restaurant",)):
        items = [{"code": f"K{n}", "text_zh": f"重点项{n}", "text_en": f"Key item {n}", "key_item": True}
                 for n in (1, 2)]
        items += [{"code": f"G{n}", "text_zh": f"一般项{n}", "text_en": f"General item {n}"}
                  for n in range(1, general + 1)]
        draft = create_draft(Actor.system(), code=code or f"routine-{next(_serial)}", title_zh="日常检查",
                             title_en="Routine check", facility_kinds=list(kinds), items=items, threshold=threshold)
        return publish(Actor.system(), draft)

    return make


def check_body(template, facility, *, failed=(), **overrides) -> dict:
    """A phone's check of `facility` with `template`: every item passes except `failed`."""
    import uuid
    from datetime import datetime, timedelta, timezone

    from geoalchemy2.shape import to_shape

    finished = datetime.now(timezone.utc) - timedelta(minutes=5)
    point = to_shape(facility.location)
    body = {
        "id": str(uuid.uuid4()),
        "facility_id": str(facility.id),
        "template_code": template.code,
        "template_version": template.version,
        "results": [{"item": item.code, "result": "fail" if item.code in failed else "pass"}
                    for item in template.items],
        "started_at": (finished - timedelta(minutes=20)).isoformat(),
        "finished_at": finished.isoformat(),
        "location": {"type": "Point", "coordinates": [point.x, point.y + 0.0002]},  # ~22 m away
        "location_accuracy_m": 8.0,
    }
    body.update(overrides)
    return body


@pytest.fixture
def committed(app):
    """Ids of rows a `committing` test made (facilities, cells, templates, users, outbox, login
    names), deleted
    again afterwards in foreign-key order with everything hanging off them. Audit rows
    stay: the database refuses to delete them."""
    made = {"facilities": [], "cells": [], "templates": [], "users": [], "limits": [], "outbox": [],
            "usernames": []}
    yield made
    from sqlalchemy import text

    with app.app_context():
        for statement in PURGE:
            db.session.execute(text(statement), made)
        db.session.commit()


PURGE = (
    "DELETE FROM notifications WHERE outbox_id = ANY(:outbox) OR user_id = ANY(:users)",
    "DELETE FROM outbox WHERE id = ANY(:outbox)",
    "DELETE FROM recall_lots WHERE recall_id IN (SELECT id FROM recalls WHERE producer_facility_id = ANY(:facilities))",
    "DELETE FROM recalls WHERE producer_facility_id = ANY(:facilities)",
    "DELETE FROM credit_events WHERE facility_id = ANY(:facilities)",
    "DELETE FROM test_results WHERE sample_id IN (SELECT id FROM samples WHERE facility_id = ANY(:facilities))",
    "DELETE FROM retest_requests WHERE sample_id IN (SELECT id FROM samples WHERE facility_id = ANY(:facilities))",
    "DELETE FROM samples WHERE facility_id = ANY(:facilities)",
    "DELETE FROM limits WHERE id = ANY(:limits)",
    "DELETE FROM holdings WHERE facility_id = ANY(:facilities)",
    "DELETE FROM lots WHERE facility_id = ANY(:facilities)",
    "DELETE FROM attachments WHERE owner_id IN (SELECT id FROM checks WHERE facility_id = ANY(:facilities))",
    "DELETE FROM rectification_orders WHERE facility_id = ANY(:facilities)",
    "DELETE FROM checks WHERE facility_id = ANY(:facilities)",
    "DELETE FROM inspection_tasks WHERE facility_id = ANY(:facilities)",
    "UPDATE users SET facility_id = NULL WHERE facility_id = ANY(:facilities)",
    "DELETE FROM facilities WHERE id = ANY(:facilities)",
    "DELETE FROM assignments WHERE cell_id = ANY(:cells) OR inspector_id = ANY(:users)",
    "DELETE FROM cells WHERE id = ANY(:cells)",
    "DELETE FROM checklist_templates WHERE id = ANY(:templates)",
    "DELETE FROM refresh_tokens WHERE family_id IN (SELECT id FROM token_families WHERE user_id = ANY(:users))",
    "DELETE FROM token_families WHERE user_id = ANY(:users)",
    "DELETE FROM login_attempts WHERE username = ANY(:usernames)"
    " OR username IN (SELECT username FROM users WHERE id = ANY(:users))",
    "DELETE FROM users WHERE id = ANY(:users)",
)


@pytest.fixture
def committed_field(app, committed):
    """For `committing` tests: an inspector leading a new cell at (lon, lat) with one
    restaurant and a published checklist, all committed; returns ids and bearer headers."""
    def make(lon: float, lat: float) -> dict:
        field = _make_committed_field(app, lon, lat)
        committed["facilities"].append(field["facility"].id)
        committed["cells"].append(field["cell_id"])
        committed["templates"].append(field["template"].id)
        committed["users"].append(field["inspector_id"])
        return field

    return make


def _make_committed_field(app, lon: float, lat: float) -> dict:
    import uuid

    from shapely import Point

    from backend.common.actor import Actor
    from backend.facilities.service import create_facility
    from backend.inspections.templates import create_draft, publish
    from backend.regions.assignments import Move, change_assignment
    from backend.regions.cells import create_cell

    system = Actor.system()
    with app.app_context():
        inspector = User(username=f"field-{uuid.uuid4().hex[:8]}", display_name="field", role="inspector",
                         region_code="130502", password_hash=password_hash(PASSWORD))
        db.session.add(inspector)
        cell = create_cell(system, region_code="130502", boundary=square(lon, lat))
        db.session.flush()
        change_assignment(system, Move(cell.id, "set_lead", inspector.id, "test"))
        facility = create_facility(system, name="并发餐馆", kind="restaurant", location=Point(lon + 0.005, lat + 0.005))
        items = [{"code": "K1", "text_zh": "重点项", "text_en": "Key", "key_item": True},
                 {"code": "G1", "text_zh": "一般项", "text_en": "General"}]
        template = publish(system, create_draft(system, code=f"race-{uuid.uuid4().hex[:8]}", title_zh="检查",
                                                title_en="Check", facility_kinds=["restaurant"], items=items))
        pair = issue_pair(inspector, open_family(inspector))
        db.session.commit()
        for row in (facility, template):
            db.session.refresh(row)
        template.items  # noqa: B018 - loaded now, read after the session ends
        field = {"inspector_id": inspector.id, "cell_id": cell.id, "facility": facility, "template": template,
                 "headers": {"Authorization": f"Bearer {pair.access_token}"}}
        db.session.expunge_all()  # plain detached objects the test may read after the session ends
        return field


@pytest.fixture
def field(make_cell, make_facility, make_template, inspector, assign, auth_headers):
    """An inspector leading a cell with one restaurant in it, and a published checklist."""
    cell = make_cell()
    assign(cell, inspector)
    return {"facility": make_facility(), "template": make_template(), "headers": auth_headers(inspector),
            "inspector": inspector, "cell": cell}
