import threading
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from backend.extensions import db
from backend.regions.models import Assignment
from tests.helpers import assert_problem


def move(client, headers, cell, inspector, action="set_lead", reason="网格调整"):
    return client.post(f"/api/v1/cells/{cell.id}/assignments",
                       json={"action": action, "inspector_id": str(inspector.id), "reason": reason}, headers=headers)


def test_reassign_closes_previous_lead(client, supervisor, make_user, auth_headers, make_cell):
    first, second = make_user("inspector"), make_user("inspector")
    cell = make_cell()
    headers = auth_headers(supervisor)
    move(client, headers, cell, first)
    staff = move(client, headers, cell, second).get_json()
    assert [(row["inspector_id"], row["role"]) for row in staff] == [(str(second.id), "lead")]
    history = client.get(f"/api/v1/cells/{cell.id}/assignments", headers=headers).get_json()
    assert [(row["inspector_id"], row["valid_to"] is None) for row in history] == \
        [(str(first.id), False), (str(second.id), True)]
    assert history[0]["end_reason"] == "网格调整"


def test_member_promoted_to_lead_leaves_one_row(client, supervisor, make_user, auth_headers, make_cell):
    lead, member = make_user("inspector"), make_user("inspector")
    cell = make_cell()
    headers = auth_headers(supervisor)
    move(client, headers, cell, lead)
    move(client, headers, cell, member, "add_member")
    staff = move(client, headers, cell, member).get_json()
    assert [(row["inspector_id"], row["role"]) for row in staff] == [(str(member.id), "lead")]


def test_add_and_remove_member(client, supervisor, inspector, auth_headers, make_cell):
    cell = make_cell()
    headers = auth_headers(supervisor)
    assert move(client, headers, cell, inspector, "add_member").get_json()[0]["role"] == "member"
    assert_problem(move(client, headers, cell, inspector, "add_member"), 409, "already_assigned")
    assert move(client, headers, cell, inspector, "remove").get_json() == []
    assert_problem(move(client, headers, cell, inspector, "remove"), 409, "not_assigned")


def test_setting_the_same_lead_twice_changes_nothing(client, supervisor, inspector, auth_headers, make_cell):
    cell = make_cell()
    headers = auth_headers(supervisor)
    move(client, headers, cell, inspector)
    move(client, headers, cell, inspector)
    assert len(client.get(f"/api/v1/cells/{cell.id}/assignments", headers=headers).get_json()) == 1


def test_retired_cell_cannot_be_staffed(client, supervisor, inspector, auth_headers, make_cell):
    cell = make_cell()
    headers = auth_headers(supervisor)
    client.post(f"/api/v1/cells/{cell.id}/retire", json={"reason": "gone"}, headers=headers)
    assert_problem(move(client, headers, cell, inspector), 409, "cell_retired")


def test_unknown_inspector(client, supervisor, auth_headers, make_cell, make_user):
    cell = make_cell()
    lab = make_user("lab", "130500")
    assert_problem(move(client, auth_headers(supervisor), cell, lab), 422, "unknown_inspector")


def test_inspector_outside_the_region(client, supervisor, auth_headers, make_cell, make_user):
    far = make_user("inspector", "130503")
    assert_problem(move(client, auth_headers(supervisor), make_cell(), far), 422, "inspector_outside_region")


def test_reason_is_required(client, supervisor, inspector, auth_headers, make_cell):
    body = assert_problem(move(client, auth_headers(supervisor), make_cell(), inspector, reason=""), 422)
    assert "reason" in body["errors"]


def test_inspector_cannot_reassign(client, inspector, make_user, auth_headers, make_cell, assign):
    own, other = make_cell(114.49, 37.06), make_cell(114.50, 37.06)
    assign(own, inspector)
    headers = auth_headers(inspector)
    assert_problem(move(client, headers, own, make_user("inspector")), 403)  # visible, not theirs to change
    assert_problem(move(client, headers, other, inspector), 404)  # not even visible


def test_unknown_cell_is_404(client, supervisor, inspector, auth_headers):
    fake = type("Cell", (), {"id": uuid.uuid4()})
    assert_problem(move(client, auth_headers(supervisor), fake, inspector), 404)


def test_database_refuses_two_leads_at_once(make_cell, inspector, make_user, assign):
    cell = make_cell()
    assign(cell, inspector)
    other = make_user("inspector")
    with pytest.raises(IntegrityError, match="one_lead_at_a_time"):
        with db.session.begin_nested():
            db.session.add(Assignment(cell_id=cell.id, inspector_id=other.id, role="lead",
                                      valid_from=db.session.scalar(text("SELECT now()")), reason="sneaky"))
            db.session.flush()


def test_bulk_moves_are_all_or_nothing(client, supervisor, make_user, auth_headers, make_cell):
    first, far = make_user("inspector"), make_user("inspector", "130503")
    west, east = make_cell(114.49, 37.06), make_cell(114.50, 37.06)
    moves = [{"cell_id": str(west.id), "action": "set_lead", "inspector_id": str(first.id), "reason": "批量"},
             {"cell_id": str(east.id), "action": "set_lead", "inspector_id": str(far.id), "reason": "批量"}]
    headers = auth_headers(supervisor)
    body = assert_problem(client.post("/api/v1/assignments/bulk", json={"moves": moves}, headers=headers), 422)
    assert body["move"] == 1 and body["detail"].startswith("Move 1")
    assert client.get(f"/api/v1/cells/{west.id}/assignments", headers=headers).get_json() == []
    moves[1]["inspector_id"] = str(first.id)
    assert client.post("/api/v1/assignments/bulk", json={"moves": moves}, headers=headers).get_json() == \
        {"applied": 2}


def test_balance_proposes_then_applies(client, supervisor, make_user, auth_headers, make_cell, make_facility):
    one, two = make_user("inspector"), make_user("inspector")
    cells = [make_cell(114.47 + 0.01 * i, 37.06) for i in range(4)]
    for cell in cells:
        make_facility(114.475 + 0.01 * (cells.index(cell)), 37.065, risk_level="D")
    headers = auth_headers(supervisor)
    request = {"region_code": "130502", "inspector_ids": [str(one.id), str(two.id)]}
    proposal = client.post("/api/v1/assignments/balance", json=request, headers=headers).get_json()
    assert proposal["applied"] is False and proposal["contiguous"] is True
    assert proposal["loads"] == {one.username: 6.0, two.username: 6.0}
    assert proposal["spread_max_min"] == 1.0
    assert client.get(f"/api/v1/cells/{cells[0].id}/assignments", headers=headers).get_json() == []
    applied = client.post("/api/v1/assignments/balance", json={**request, "apply": True}, headers=headers).get_json()
    assert applied["changes"] == 4
    again = client.post("/api/v1/assignments/balance", json={**request, "apply": True}, headers=headers).get_json()
    assert again["changes"] == 0


def test_balance_needs_cells(client, supervisor, inspector, auth_headers):
    response = client.post("/api/v1/assignments/balance", json={"region_code": "130502",
                                                               "inspector_ids": [str(inspector.id)]},
                           headers=auth_headers(supervisor))
    assert_problem(response, 422, "no_cells")


def test_workload(client, supervisor, inspector, auth_headers, make_cell, make_facility, assign):
    cell = make_cell()
    assign(cell, inspector)
    make_facility(kind="restaurant", risk_level="C")
    make_facility(kind="workshop", risk_level="D", sales_area=["130502"])
    body = client.get(f"/api/v1/inspectors/{inspector.id}/workload", headers=auth_headers(supervisor)).get_json()
    assert body["cells"][0]["code"] == cell.code and body["facilities"] == 2
    assert body["facilities_by_kind"] == {"restaurant": 1, "workshop": 1}
    assert body["required_visits_per_year"] == 2 + 3
    own = client.get(f"/api/v1/inspectors/{inspector.id}/workload", headers=auth_headers(inspector))
    assert own.status_code == 200


def test_workload_of_someone_else_is_hidden_from_inspectors(client, inspector, make_user, auth_headers):
    other = make_user("inspector")
    assert_problem(client.get(f"/api/v1/inspectors/{other.id}/workload", headers=auth_headers(inspector)), 404)


@pytest.mark.committing
def test_concurrent_reassignments_leave_one_lead(app):
    """Two supervisors reassign one cell at the same moment: one lead remains, periods never overlap."""
    from backend.auth.models import User
    from backend.common.actor import Actor
    from backend.regions.assignments import Move, change_assignment
    from backend.regions.cells import create_cell
    from tests.factories import password_hash, square

    with app.app_context():
        people = [User(username=f"race{i}-{uuid.uuid4().hex[:6]}", display_name="race", role="inspector",
                       region_code="130502", password_hash=password_hash("correct-horse-battery")) for i in range(2)]
        db.session.add_all(people)
        cell = create_cell(Actor.system(), region_code="130502", boundary=square(114.44, 37.10))
        db.session.commit()
        cell_id, inspector_ids = cell.id, [person.id for person in people]
        db.session.remove()
    barrier = threading.Barrier(2)
    outcomes = []

    def reassign(inspector_id):
        with app.app_context():
            barrier.wait()
            try:
                change_assignment(Actor.system(), Move(cell_id, "set_lead", inspector_id, "race"))
                db.session.commit()
                outcomes.append("ok")
            except Exception as error:  # noqa: BLE001 - the loser may be refused; recorded below
                db.session.rollback()
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=reassign, args=(inspector_id,)) for inspector_id in inspector_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        rows = db.session.scalars(db.select(Assignment).where(Assignment.cell_id == cell_id)
                                  .order_by(Assignment.valid_from)).all()
        current = [row for row in rows if row.valid_to is None]
        assert len(current) == 1, outcomes
        for earlier, later in zip(rows, rows[1:]):
            assert earlier.valid_to is not None and earlier.valid_to <= later.valid_from
        # clean up what this test committed (the audit log keeps its rows, as it must)
        db.session.execute(db.delete(Assignment).where(Assignment.cell_id == cell_id))
        db.session.execute(text("DELETE FROM cells WHERE id = :id"), {"id": cell_id})
        db.session.execute(db.delete(User).where(User.id.in_(inspector_ids)))
        db.session.commit()
        db.session.remove()


def test_balance_with_more_inspectors_than_work(client, supervisor, make_user, auth_headers, make_cell,
                                                make_facility):
    inspectors = [make_user("inspector") for _ in range(3)]
    make_cell(114.49, 37.06)
    make_facility(risk_level="D")
    request = {"region_code": "130502", "inspector_ids": [str(i.id) for i in inspectors]}
    result = client.post("/api/v1/assignments/balance", json=request, headers=auth_headers(supervisor)).get_json()
    assert result["spread_max_min"] is None  # someone has nothing: max/min is undefined, not "Infinity"
    assert sorted(result["loads"].values()) == [0.0, 0.0, 3.0]
