"""Rectification orders (责令整改) and their follow-up checks (DESIGN.md §5)."""
from datetime import datetime, timedelta

import pytest

from backend.extensions import db
from backend.inspections.models import InspectionTask, RectificationOrder
from tests.factories import check_body
from tests.helpers import assert_problem

URL = "/api/v1/checks"




def submit(client, field, **overrides):
    response = client.post(URL, json=check_body(field["template"], field["facility"], **overrides),
                           headers=field["headers"])
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_compliant_check_issues_no_order(client, field):
    submit(client, field)
    assert db.session.scalar(db.select(db.func.count()).select_from(RectificationOrder)
                             .where(RectificationOrder.facility_id == field["facility"].id)) == 0


@pytest.mark.parametrize("failed", [("G3",), ("K2",)])
def test_failed_items_order_rectification_within_15_days(client, field, failed):
    check = submit(client, field, failed=failed)
    order = check["rectification_order"]
    assert order["status"] == "open" and order["failed_items"] == list(failed)
    deadline = datetime.fromisoformat(order["deadline"])
    assert deadline - datetime.fromisoformat(check["finished_at"]) == timedelta(days=15)
    follow_up = db.session.get(InspectionTask, order["follow_up_task_id"])
    assert follow_up.kind == "follow_up" and follow_up.due_at == deadline
    assert follow_up.assignee_id == field["inspector"].id  # the cell's lead


def test_follow_up_goes_to_the_cell_lead(client, field, make_user, assign, auth_headers):
    member = make_user("inspector")
    assign(field["cell"], member, action="add_member")
    body = check_body(field["template"], field["facility"], failed=("K1",))
    order = client.post(URL, json=body, headers=auth_headers(member)).get_json()["rectification_order"]
    assert db.session.get(InspectionTask, order["follow_up_task_id"]).assignee_id == field["inspector"].id


def test_compliant_follow_up_closes_the_order_as_rectified(client, field):
    order = submit(client, field, failed=("K1",))["rectification_order"]
    follow_up = submit(client, field, task_id=order["follow_up_task_id"])
    assert follow_up["rectification_order"] is None
    closed = db.session.get(RectificationOrder, order["id"])
    assert closed.status == "rectified" and str(closed.closing_check_id) == follow_up["id"]
    assert db.session.get(InspectionTask, order["follow_up_task_id"]).status == "done"


def test_failing_follow_up_is_not_rectified_and_orders_again(client, field):
    order = submit(client, field, failed=("K1",))["rectification_order"]
    follow_up = submit(client, field, task_id=order["follow_up_task_id"], failed=("K1",))
    assert db.session.get(RectificationOrder, order["id"]).status == "not_rectified"
    assert follow_up["rectification_order"]["status"] == "open"


def test_supervisor_sees_open_and_overdue_orders(client, field, supervisor, auth_headers, monkeypatch):
    order = submit(client, field, failed=("G1",))["rectification_order"]
    headers = auth_headers(supervisor)
    assert [o["id"] for o in client.get("/api/v1/rectification-orders?status=open", headers=headers).get_json()] \
        == [order["id"]]
    assert client.get("/api/v1/rectification-orders?overdue=true", headers=headers).get_json() == []
    from backend.common import clock
    later = datetime.fromisoformat(order["deadline"]) + timedelta(days=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    overdue = client.get("/api/v1/rectification-orders?overdue=true", headers=headers).get_json()
    assert [o["id"] for o in overdue] == [order["id"]] and overdue[0]["overdue"] is True


def test_business_sees_its_own_order_only(client, field, make_user, make_facility, auth_headers):
    order = submit(client, field, failed=("G1",))["rectification_order"]
    owner = make_user("enterprise", facility_id=field["facility"].id)
    neighbour = make_user("enterprise", facility_id=make_facility().id)
    url = f"/api/v1/rectification-orders/{order['id']}"
    assert client.get(url, headers=auth_headers(owner)).status_code == 200
    assert_problem(client.get(url, headers=auth_headers(neighbour)), 404)
