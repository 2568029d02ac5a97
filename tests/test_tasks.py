from datetime import datetime, timedelta, timezone

from backend.common import clock
from backend.extensions import db
from backend.inspections.models import InspectionTask
from backend.inspections.tasks import due_dates
from tests.helpers import assert_problem


def next_year() -> int:
    """A year whose tasks all lie ahead, whatever day the suite runs."""
    return clock.now().year + 1


def plan(client, headers, year=None, **overrides):
    return client.post("/api/v1/inspection-plans",
                       json={"region_code": "130502", "year": year or next_year(), **overrides}, headers=headers)


def test_plan_makes_tasks_by_risk_level_for_the_cell_lead(client, supervisor, inspector, auth_headers,
                                                           make_cell, make_facility, assign):
    cell = make_cell()
    assign(cell, inspector)
    for level in "ABCD":
        make_facility(risk_level=level)
    created = plan(client, auth_headers(supervisor)).get_json()
    assert created["tasks_created"] == 1 + 1 + 2 + 3
    tasks = db.session.scalars(db.select(InspectionTask)).all()
    assert {task.assignee_id for task in tasks} == {inspector.id}
    assert all(task.kind == "routine" and task.due_at.year == next_year() for task in tasks)


def test_one_plan_per_region_and_year(client, supervisor, auth_headers):
    headers = auth_headers(supervisor)
    assert plan(client, headers).status_code == 201
    assert_problem(plan(client, headers), 409, "plan_exists")


def test_custom_visits_need_every_level(client, supervisor, auth_headers):
    body = assert_problem(plan(client, auth_headers(supervisor), visits_per_level={"A": 1}), 422)
    assert "visits_per_level" in body["errors"]


def test_inspectors_do_not_plan(client, inspector, auth_headers):
    assert_problem(plan(client, auth_headers(inspector)), 403)


def test_visits_are_spread_over_the_year():
    import uuid

    dates = due_dates(2027, 3, uuid.uuid4())
    assert len(dates) == 3 and all(d.year == 2027 for d in dates)
    assert dates[1] - dates[0] > timedelta(days=100) and dates[2] - dates[1] > timedelta(days=100)


def test_tasks_follow_the_new_lead_unless_started(client, supervisor, make_user, auth_headers, make_cell,
                                                  make_facility, assign):
    first, second = make_user("inspector"), make_user("inspector")
    cell = make_cell()
    assign(cell, first)
    make_facility(risk_level="C")
    plan(client, auth_headers(supervisor))
    started, waiting = db.session.scalars(db.select(InspectionTask).order_by(InspectionTask.sequence)).all()
    started.status, started.started_at = "in_progress", datetime.now(timezone.utc)
    db.session.flush()
    assign(cell, second)
    db.session.refresh(started)
    db.session.refresh(waiting)
    assert (started.assignee_id, waiting.assignee_id) == (first.id, second.id)


def test_phone_lists_its_tasks_nearest_first(client, supervisor, inspector, auth_headers, make_cell,
                                             make_facility, assign):
    assign(make_cell(114.49, 37.06), inspector)
    far = make_facility(114.499, 37.069)
    near = make_facility(114.491, 37.061)
    plan(client, auth_headers(supervisor))
    listing = client.get("/api/v1/tasks?assignee=me&near=114.49,37.06", headers=auth_headers(inspector)).get_json()
    assert [task["facility_id"] for task in listing] == [str(near.id), str(far.id)]
    assert listing[0]["overdue"] is False


def test_overdue_is_computed(client, supervisor, inspector, auth_headers, make_cell, make_facility, assign):
    assign(make_cell(), inspector)
    make_facility(risk_level="A")
    plan(client, auth_headers(supervisor), year=2020)  # long past
    headers = auth_headers(inspector)
    late = client.get("/api/v1/tasks?assignee=me&overdue=true", headers=headers).get_json()
    assert len(late) == 1 and late[0]["overdue"] is True
    assert client.get("/api/v1/tasks?assignee=me&overdue=false", headers=headers).get_json() == []


def test_inspector_cannot_see_someone_elses_task(client, supervisor, inspector, make_user, auth_headers,
                                                 make_cell, make_facility, assign):
    other = make_user("inspector")
    assign(make_cell(), other)
    make_facility()
    plan(client, auth_headers(supervisor))
    task = db.session.scalars(db.select(InspectionTask)).first()
    assert_problem(client.get(f"/api/v1/tasks/{task.id}", headers=auth_headers(inspector)), 404)
    assert client.get(f"/api/v1/tasks/{task.id}", headers=auth_headers(other)).status_code == 200


def _one_task(client, supervisor, auth_headers):
    plan(client, auth_headers(supervisor))
    return db.session.scalars(db.select(InspectionTask)).one()


def test_assignee_starts_a_task_once(client, supervisor, inspector, auth_headers, make_cell, make_facility, assign):
    assign(make_cell(), inspector)
    make_facility(risk_level="A")
    task = _one_task(client, supervisor, auth_headers)
    url = f"/api/v1/tasks/{task.id}/start"
    first = client.post(url, headers=auth_headers(inspector))
    assert first.status_code == 200 and first.get_json()["status"] == "in_progress"
    again = client.post(url, headers=auth_headers(inspector))  # a phone retrying
    assert again.get_json()["started_at"] == first.get_json()["started_at"]


def test_only_the_assignee_starts_a_task(client, supervisor, inspector, auth_headers, make_cell, make_facility,
                                         assign):
    assign(make_cell(), inspector)
    make_facility(risk_level="A")
    task = _one_task(client, supervisor, auth_headers)
    assert_problem(client.post(f"/api/v1/tasks/{task.id}/start", headers=auth_headers(supervisor)), 403, "not_assignee")


def test_supervisor_cancels_with_a_reason_and_not_twice(client, supervisor, inspector, auth_headers, make_cell,
                                                        make_facility, assign):
    assign(make_cell(), inspector)
    make_facility(risk_level="A")
    task = _one_task(client, supervisor, auth_headers)
    url = f"/api/v1/tasks/{task.id}/cancel"
    headers = auth_headers(supervisor)
    assert_problem(client.post(url, json={}, headers=headers), 422)
    assert client.post(url, json={"reason": "business closed"}, headers=headers).get_json()["status"] == "cancelled"
    body = assert_problem(client.post(url, json={"reason": "again"}, headers=headers), 409, "illegal_transition")
    assert body["allowed"] == []
    assert_problem(client.post(f"/api/v1/tasks/{task.id}/start", headers=auth_headers(inspector)), 409)


def test_open_tasks_move_with_their_facility(client, supervisor, make_user, auth_headers, make_cell, make_facility,
                                             assign):
    here, there = make_user("inspector"), make_user("inspector")
    assign(make_cell(114.49, 37.06), here)
    other_cell = make_cell(114.52, 37.06)
    assign(other_cell, there)
    facility = make_facility(114.495, 37.065, risk_level="C")
    plan(client, auth_headers(supervisor))
    started, waiting = db.session.scalars(db.select(InspectionTask).order_by(InspectionTask.sequence)).all()
    started.status, started.started_at = "in_progress", datetime.now(timezone.utc)
    db.session.flush()
    from shapely import Point

    from backend.auth.actor import Actor
    from backend.facilities.service import update_facility
    update_facility(Actor.system(), facility, {"location": Point(114.525, 37.065)})
    db.session.refresh(started)
    db.session.refresh(waiting)
    assert (waiting.cell_id, waiting.assignee_id) == (other_cell.id, there.id)
    assert started.assignee_id == here.id  # started work stays with its inspector


def test_assignee_must_be_me_or_a_real_id(client, inspector, auth_headers):
    response = client.get("/api/v1/tasks?assignee=" + "-" * 36, headers=auth_headers(inspector))
    assert "query.assignee" in assert_problem(response, 422)["errors"]
