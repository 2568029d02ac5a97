"""The phones' delta feed (DESIGN.md §9). Sync compares database transactions, so these
tests commit for real (a rolled-back test transaction would look forever unfinished)."""
import uuid

import pytest
from shapely import Point
from sqlalchemy import event, text

from backend.auth.models import User
from backend.common.actor import Actor
from backend.extensions import db
from backend.facilities.service import create_facility
from backend.inspections.models import InspectionTask
from backend.regions.assignments import Move, change_assignment
from backend.regions.cells import create_cell
from tests.factories import PASSWORD, password_hash, square
from tests.helpers import assert_problem

pytestmark = pytest.mark.committing
URL = "/api/v1/sync"
SYSTEM = Actor.system()


def sync(client, phone, cursor=None, **params):
    if cursor:
        params["cursor"] = cursor
    response = client.get(URL, query_string=params, headers=phone["headers"])
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def ids(page, stage):
    return {item["id"] for item in page[stage]}


def commit(app, work):
    """Run `work()` in its own transaction, as another request would."""
    with app.app_context():
        result = work()
        db.session.commit()
        return result


def add_facility(app, committed, lon, lat, **extra):
    facility_id = commit(app, lambda: create_facility(SYSTEM, name=f"店{uuid.uuid4().hex[:6]}", kind="retailer",
                                                      location=Point(lon, lat), **extra).id)
    committed["facilities"].append(facility_id)
    return facility_id


def add_task(app, facility_id, assignee_id):
    def work():
        task = InspectionTask(kind="routine", facility_id=facility_id, region_code="130502", assignee_id=assignee_id,
                              due_at=db.func.now())
        db.session.add(task)
        db.session.flush()
        return task.id
    return str(commit(app, work))


def rename(app, facility_id, name):
    commit(app, lambda: db.session.execute(text("UPDATE facilities SET name = :name WHERE id = :id"),
                                           {"name": name, "id": facility_id}))


@pytest.fixture
def phone(app, committed_field):
    return committed_field(114.47, 37.14)


def test_first_sync_delivers_cells_facilities_tasks_and_templates(app, client, phone):
    task_id = add_task(app, phone["facility"].id, phone["inspector_id"])
    page = sync(client, phone)
    assert page["full"] is True and page["has_more"] is False
    assert ids(page, "cells") == {str(phone["cell_id"])}
    assert page["cells"][0]["geometry"]["type"] == "MultiPolygon"
    assert ids(page, "facilities") == {str(phone["facility"].id)}
    assert ids(page, "tasks") == {task_id}
    assert str(phone["template"].id) in ids(page, "templates")


def test_nothing_new_gives_an_empty_page(client, phone):
    first = sync(client, phone)
    again = sync(client, phone, first["cursor"])
    assert again["full"] is False
    assert all(again[stage] == [] for stage in ("templates", "cells", "facilities", "tasks", "tombstones"))


def test_a_changed_facility_is_delivered_once(app, client, phone):
    first = sync(client, phone)
    rename(app, phone["facility"].id, "新名字")
    second = sync(client, phone, first["cursor"])
    assert [f["properties"]["name"] for f in second["facilities"]] == ["新名字"]
    assert sync(client, phone, second["cursor"])["facilities"] == []


def test_paging_delivers_the_same_as_one_page(app, client, phone, committed):
    for n in range(5):
        add_facility(app, committed, 114.471 + n * 0.001, 37.141)
    whole = sync(client, phone)
    seen, cursor, pages = set(), None, 0
    while True:
        page = sync(client, phone, cursor, limit=2)
        seen |= {(stage, item["id"]) for stage in ("templates", "cells", "facilities", "tasks") for item in page[stage]}
        cursor, pages = page["cursor"], pages + 1
        if not page["has_more"]:
            break
    assert pages > 3
    assert seen == {(stage, item["id"]) for stage in ("templates", "cells", "facilities", "tasks")
                    for item in whole[stage]}


def test_a_facility_moving_out_of_my_cell_leaves_a_tombstone(app, client, phone, committed):
    first = sync(client, phone)
    commit(app, lambda: db.session.execute(
        text("UPDATE facilities SET location = ST_SetSRID(ST_MakePoint(114.60, 37.30), 4326), cell_id = NULL "
             "WHERE id = :id"), {"id": phone["facility"].id}))
    page = sync(client, phone, first["cursor"])
    assert page["tombstones"] == [{"type": "facility", "id": str(phone["facility"].id)}]
    assert page["facilities"] == []


def _new_inspector(app, committed):
    def work():
        user = User(username=f"sync-{uuid.uuid4().hex[:8]}", display_name="sync", role="inspector",
                    region_code="130502", password_hash=password_hash(PASSWORD))
        db.session.add(user)
        db.session.flush()
        return user.id
    user_id = commit(app, work)
    committed["users"].append(user_id)
    return user_id


def test_a_cell_handed_to_someone_else_is_a_tombstone_and_theirs_in_full(app, client, phone, committed):
    first = sync(client, phone)
    successor = _new_inspector(app, committed)
    commit(app, lambda: change_assignment(SYSTEM, Move(phone["cell_id"], "set_lead", successor, "rota")))
    page = sync(client, phone, first["cursor"])
    assert {"type": "cell", "id": str(phone["cell_id"])} in page["tombstones"]


def test_a_cell_given_to_me_arrives_with_all_its_facilities(app, client, phone, committed):
    first = sync(client, phone)
    cell_id = commit(app, lambda: create_cell(SYSTEM, region_code="130502", boundary=square(114.49, 37.14)).id)
    committed["cells"].append(cell_id)
    old_facility = add_facility(app, committed, 114.495, 37.145)
    second = sync(client, phone, first["cursor"])
    assert second["facilities"] == []  # not mine yet
    commit(app, lambda: change_assignment(SYSTEM, Move(cell_id, "add_member", phone["inspector_id"], "help")))
    third = sync(client, phone, second["cursor"])
    assert ids(third, "cells") == {str(cell_id)}
    assert ids(third, "facilities") == {str(old_facility)}


def test_a_task_given_to_another_inspector_is_a_tombstone(app, client, phone, committed):
    task_id = add_task(app, phone["facility"].id, phone["inspector_id"])
    first = sync(client, phone)
    other = _new_inspector(app, committed)
    commit(app, lambda: db.session.execute(text("UPDATE inspection_tasks SET assignee_id = :u WHERE id = :t"),
                                           {"u": other, "t": task_id}))
    assert sync(client, phone, first["cursor"])["tombstones"] == [{"type": "task", "id": task_id}]


def test_a_slow_transaction_with_an_earlier_change_is_not_skipped(app, client, phone, committed):
    """The slow writer gets its transaction id first but commits after a faster one that a
    sync has already seen: a sequence-number cursor would skip it; ours must not."""
    second_facility = add_facility(app, committed, 114.475, 37.145)
    first = sync(client, phone)
    with app.app_context():
        slow = db.engine.connect()
        slow_tx = slow.begin()
        slow.execute(text("UPDATE facilities SET name = 'slow' WHERE id = :id"), {"id": phone["facility"].id})
        slow_xid = slow.scalar(text("SELECT pg_current_xact_id()::text"))
        with db.engine.begin() as fast:
            fast.execute(text("UPDATE facilities SET name = 'fast' WHERE id = :id"), {"id": second_facility})
            fast_xid = fast.scalar(text("SELECT pg_current_xact_id()::text"))
        assert int(slow_xid) < int(fast_xid)
        during = sync(client, phone, first["cursor"])
        assert [f["properties"]["name"] for f in during["facilities"]] == ["fast"]
        slow_tx.commit()
        slow.close()
    after = sync(client, phone, during["cursor"])
    assert [f["properties"]["name"] for f in after["facilities"]] == ["slow"]


def _statements_of_a_sync(app, client, phone, cursor) -> int:
    with app.app_context():
        count = [0]

        def counter(*_args):
            count[0] += 1

        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            page = sync(client, phone, cursor)
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
    assert page["facilities"] == [] and page["tasks"] == []
    return count[0]


def test_an_empty_sync_costs_the_same_queries_however_much_data(app, client, phone, committed):
    cursor = sync(client, phone)["cursor"]
    small = _statements_of_a_sync(app, client, phone, cursor)
    for n in range(30):
        facility_id = add_facility(app, committed, 114.471 + (n % 8) * 0.001, 37.141 + (n // 8) * 0.001)
        add_task(app, facility_id, phone["inspector_id"])
    cursor = sync(client, phone, cursor)["cursor"]
    large = _statements_of_a_sync(app, client, phone, cursor)
    assert small == large <= 8


def test_a_forged_cursor_is_refused(client, phone):
    response = client.get(URL, query_string={"cursor": "eyJzaW5jZSI6bnVsbH0.forged"}, headers=phone["headers"])
    assert_problem(response, 422, "invalid_cursor")


def test_sync_is_for_inspectors(app, client, committed):
    from backend.auth.tokens import issue_pair, open_family

    def work():
        user = User(username=f"sup-{uuid.uuid4().hex[:8]}", display_name="s", role="supervisor",
                    region_code="130502", password_hash=password_hash(PASSWORD))
        db.session.add(user)
        db.session.flush()
        committed["users"].append(user.id)
        return issue_pair(user, open_family(user)).access_token
    token = commit(app, work)
    assert_problem(client.get(URL, headers={"Authorization": f"Bearer {token}"}), 403)
