from datetime import datetime, timedelta, timezone

import pytest

from backend.common import clock
from backend.extensions import db
from backend.inspections.models import InspectionTask
from backend.inspections.tasks import due_dates, visits_in_year
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
    made = {level: make_facility(risk_level=level) for level in "ABCD"}
    created = plan(client, auth_headers(supervisor)).get_json()
    assert created["tasks_created"] == visits_in_year(0.5, next_year(), made["A"].id) + 1 + 2 + 3
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


def test_a_visit_rate_too_small_to_invert_is_refused_not_a_500(client, supervisor, auth_headers):
    visits = {"A": 5e-324, "B": 1, "C": 2, "D": 3}  # 1 / 5e-324 is infinite
    body = assert_problem(plan(client, auth_headers(supervisor), visits_per_level=visits), 422)
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
    make_facility(risk_level="B")
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
    make_facility(risk_level="B")
    task = _one_task(client, supervisor, auth_headers)
    url = f"/api/v1/tasks/{task.id}/start"
    first = client.post(url, headers=auth_headers(inspector))
    assert first.status_code == 200 and first.get_json()["status"] == "in_progress"
    again = client.post(url, headers=auth_headers(inspector))  # a phone retrying
    assert again.get_json()["started_at"] == first.get_json()["started_at"]


def test_only_the_assignee_starts_a_task(client, supervisor, inspector, auth_headers, make_cell, make_facility,
                                         assign):
    assign(make_cell(), inspector)
    make_facility(risk_level="B")
    task = _one_task(client, supervisor, auth_headers)
    assert_problem(client.post(f"/api/v1/tasks/{task.id}/start", headers=auth_headers(supervisor)), 403, "not_assignee")


def test_supervisor_cancels_with_a_reason_and_not_twice(client, supervisor, inspector, auth_headers, make_cell,
                                                        make_facility, assign):
    assign(make_cell(), inspector)
    make_facility(risk_level="B")
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

    from backend.common.actor import Actor
    from backend.facilities.service import update_facility
    update_facility(Actor.system(), facility, {"location": Point(114.525, 37.065)})
    db.session.refresh(started)
    db.session.refresh(waiting)
    assert (waiting.cell_id, waiting.assignee_id) == (other_cell.id, there.id)
    assert started.assignee_id == here.id  # started work stays with its inspector


def test_assignee_must_be_me_or_a_real_id(client, inspector, auth_headers):
    response = client.get("/api/v1/tasks?assignee=" + "-" * 36, headers=auth_headers(inspector))
    assert "query.assignee" in assert_problem(response, 422)["errors"]


# ---------------------------------------------------------------- "A: once every two years" (issue 12)

def test_once_every_two_years_is_one_visit_in_any_two_consecutive_years():
    import uuid

    ids = [uuid.UUID(int=n * 7919) for n in range(200)]
    for year in (2026, 2027, 2028):
        assert all(visits_in_year(0.5, year, i) + visits_in_year(0.5, year + 1, i) == 1 for i in ids)
    due = sum(visits_in_year(0.5, 2027, i) for i in ids)
    assert 70 < due < 130  # about half of them each year


@pytest.mark.parametrize("rate, visits", [(0, [0, 0, 0, 0]), (1, [1, 1, 1, 1]), (2, [2, 2, 2, 2])])
def test_whole_rates_are_that_many_visits_every_year(rate, visits):
    import uuid

    facility = uuid.uuid4()
    assert [visits_in_year(rate, year, facility) for year in range(2026, 2030)] == visits


def test_once_every_four_years():
    import uuid

    facility = uuid.uuid4()
    assert sum(visits_in_year(0.25, year, facility) for year in range(2026, 2034)) == 2


def test_a_plan_stores_its_own_fractional_frequencies(client, supervisor, auth_headers, make_cell, make_facility):
    make_cell()
    facilities = [make_facility(risk_level="A", lon=114.491 + n * 0.0004) for n in range(20)]
    visits = {"A": 0.5, "B": 1, "C": 2, "D": 4}
    created = plan(client, auth_headers(supervisor), visits_per_level=visits).get_json()
    assert created["visits_per_level"] == visits
    assert created["tasks_created"] == sum(visits_in_year(0.5, next_year(), f.id) for f in facilities)
    following = plan(client, auth_headers(supervisor), year=next_year() + 1, visits_per_level=visits).get_json()
    assert created["tasks_created"] + following["tasks_created"] == 20  # each A facility once in the two years


@pytest.mark.parametrize("rate, ok", [(0.5, True), (0.25, True), (0.4, False), (1, True), (1.5, False),
                                      (52, True), (53, False)])
def test_plan_frequencies_are_whole_or_one_in_n_years(client, supervisor, auth_headers, rate, ok):
    response = plan(client, auth_headers(supervisor), visits_per_level={"A": rate, "B": 1, "C": 2, "D": 3})
    if ok:
        assert response.status_code == 201
    else:
        assert "visits_per_level" in assert_problem(response, 422)["errors"]


def test_balancing_uses_the_plan_of_the_region_and_year(client, supervisor, inspector, auth_headers, make_cell,
                                                        make_facility):
    make_cell()
    make_facility(risk_level="A")
    make_facility(risk_level="D")
    headers = auth_headers(supervisor)
    request = {"region_code": "130502", "inspector_ids": [str(inspector.id)], "year": next_year()}
    without_plan = client.post("/api/v1/assignments/balance", json=request, headers=headers).get_json()
    assert without_plan["loads"] == {inspector.username: 0.5 + 3}  # VISITS_PER_YEAR: A=0.5, D=3
    plan(client, headers, visits_per_level={"A": 1, "B": 1, "C": 2, "D": 4})
    with_plan = client.post("/api/v1/assignments/balance", json=request, headers=headers).get_json()
    assert with_plan["loads"] == {inspector.username: 1 + 4}
    other_year = client.post("/api/v1/assignments/balance", json={**request, "year": next_year() + 1},
                             headers=headers)
    assert other_year.get_json()["loads"] == {inspector.username: 0.5 + 3}
