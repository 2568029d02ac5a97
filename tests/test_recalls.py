"""Recalls (DESIGN.md §8): the whole story through the API, deadlines, scope, refusals."""
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from backend.common.actor import Actor
from backend.extensions import db
from backend.inspections.models import InspectionTask
from backend.recalls.models import Recall
from backend.sampling.limits import create_limit
from backend.traceability import catalogue
from backend.traceability.events import record_event
from tests.helpers import assert_problem

T0 = datetime(2026, 11, 2, 1, tzinfo=timezone.utc)


@pytest.fixture
def world(make_user, make_cell, make_facility, assign, auth_headers, supervisor):
    """A producer and its customers in three cells, each cell with its own lead inspector."""
    inspectors, places = [], {}
    for index, (lon, kinds) in enumerate([(114.49, ["producer"]), (114.52, ["retailer"]),
                                          (114.55, ["retailer", "restaurant"])]):
        inspector = make_user("inspector")
        assign(make_cell(lon, 37.06), inspector)
        inspectors.append(inspector)
        for offset, kind in enumerate(kinds):
            places[f"{kind}{index}"] = make_facility(lon=lon + 0.002 + offset * 0.002, lat=37.065, kind=kind)
    system = Actor.system()
    product = catalogue.create_product(system, name="速冻水饺", category="frozen foods")
    lot = catalogue.create_lot(system, lot_code="SJ-1", product_id=product.id, facility_id=places["producer0"].id,
                               unit="box")
    lines = lambda quantity: [{"role": "subject", "lot_id": lot.id, "quantity": Decimal(quantity), "unit": "box"}]  # noqa: E731
    record_event(system, event_id="p", type="produce", occurred_at=T0, facility_id=places["producer0"].id,
                 lines=lines(1000))
    for name, quantity in (("retailer1", 300), ("retailer2", 200), ("restaurant2", 50)):
        record_event(system, event_id=f"ship-{name}", type="ship", occurred_at=T0 + timedelta(hours=1),
                     facility_id=places["producer0"].id, other_facility_id=places[name].id, lines=lines(quantity))
    producer_user = make_user("enterprise", facility_id=places["producer0"].id)
    return {"places": places, "inspectors": inspectors, "lot": lot, "office": auth_headers(supervisor),
            "producer": auth_headers(producer_user), "auth": auth_headers}


def act(client, world, recall_id, action, headers=None, **body):
    return client.post(f"/api/v1/recalls/{recall_id}/transitions", json={"action": action, **body},
                       headers=headers or world["office"])


def propose(client, world):
    response = client.post("/api/v1/recalls", headers=world["office"], json={
        "producer_facility_id": str(world["places"]["producer0"].id), "lot_ids": [str(world["lot"].id)],
        "reason": "抽检不合格"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def initiate(client, world, level=1):
    recall_id = propose(client, world)
    answer = act(client, world, recall_id, "initiate", level=level, kind="ordered", hazard="单增李斯特菌",
                 notice="请消费者停止食用批号 SJ-1 的速冻水饺")
    assert answer.status_code == 200, answer.get_json()
    return recall_id, answer.get_json()


def test_the_whole_story_from_a_failed_sample_to_a_closed_recall(client, world, make_user, auth_headers):
    # A lab result fails → the recall is proposed by itself.
    create_limit(Actor.system(), analyte="Listeria monocytogenes", food_category="frozen foods", unit="/25g",
                 standard="GB 29921-2021", valid_from=date(2021, 1, 1), must_not_detect=True, lod=Decimal(1))
    shop = world["places"]["retailer1"]
    sampler, lab = auth_headers(world["inspectors"][1]), auth_headers(make_user("lab", "130500"))
    sample_id = str(uuid.uuid4())
    assert client.post("/api/v1/samples", headers=sampler, json={
        "id": sample_id, "sample_no": "SEAL-LM-1", "facility_id": str(shop.id), "lot_id": str(world["lot"].id),
        "product_name": "速冻水饺", "food_category": "frozen foods", "quantity": "5 boxes", "method": "lab",
        "sampled_at": (T0 + timedelta(days=2)).isoformat()}).status_code == 201
    url = f"/api/v1/samples/{sample_id}"
    client.post(f"{url}/receive", json={"lab_name": "检验中心"}, headers=lab)
    client.post(f"{url}/results", headers=lab, json={"results": [
        {"analyte": "Listeria monocytogenes", "value": 3, "unit": "/25g", "method": "GB 4789.30"}]})
    assert client.post(f"{url}/verdict", json={}, headers=lab).get_json()["status"] == "unqualified"
    recall = db.session.scalar(db.select(Recall).where(Recall.sample_id == uuid.UUID(sample_id)))
    assert recall.status == "proposed"

    # The supervisor initiates it at level 1: deadlines, and a task in each holder's own cell.
    detail = act(client, world, recall.id, "initiate", level=1, kind="ordered", hazard="单增李斯特菌",
                 notice="请停止销售和食用").get_json()
    assert detail["status"] == "initiated" and detail["number"].startswith("ZH-130502-")
    initiated = datetime.fromisoformat(detail["initiated_at"])
    assert datetime.fromisoformat(detail["start_deadline"]) - initiated == timedelta(hours=24)
    scope = {row["facility_id"]: row for row in detail["scope"]}
    assert set(scope) == {str(place.id) for place in world["places"].values()}
    assignees = {db.session.get(InspectionTask, row["task_id"]).assignee_id for row in scope.values()}
    assert assignees == {inspector.id for inspector in world["inspectors"]}  # three cells, three inspectors

    # The producer starts and reports; each inspector verifies the facilities of their task.
    assert act(client, world, recall.id, "start", headers=world["producer"]).status_code == 200
    for facility_id, row in scope.items():
        report = {"facility_id": facility_id, "recovered": row["distributed"]}
        assert client.post(f"/api/v1/recalls/{recall.id}/progress", json=report,
                           headers=world["producer"]).status_code == 200
        assignee = db.session.get(InspectionTask, row["task_id"]).assignee_id
        verified = client.post(f"/api/v1/recalls/{recall.id}/verifications", json={"facility_id": facility_id},
                               headers=auth_headers(db.session.get(type(world["inspectors"][0]), assignee)))
        assert verified.get_json()["status"] == "verified"

    completed = act(client, world, recall.id, "complete", headers=world["producer"]).get_json()
    assert completed["status"] == "completed" and completed["progress"]["effectiveness"] == 1.0
    assert completed["overdue"] is False
    assert act(client, world, recall.id, "close").get_json()["status"] == "closed"
    notices = client.get("/api/v1/public/recalls").get_json()
    assert notices[0]["notice"] == "请停止销售和食用" and notices[0]["products"][0]["lot_code"] == "SJ-1"
    assert "created_by" not in notices[0] and "producer_facility_id" not in notices[0]


def test_illegal_transitions_list_what_is_allowed(client, world):
    recall_id = propose(client, world)
    body = assert_problem(act(client, world, recall_id, "close"), 409, "illegal_transition")
    assert body["allowed"] == ["initiate", "reject"]
    assert_problem(act(client, world, recall_id, "start", headers=world["producer"]), 409)


def test_initiating_twice_does_not_win_twice(client, world):
    recall_id, _ = initiate(client, world)
    assert_problem(act(client, world, recall_id, "initiate", level=1, kind="ordered", notice="x"), 409)
    tasks = db.session.scalar(db.select(db.func.count()).select_from(InspectionTask)
                              .where(InspectionTask.kind == "recall_verification"))
    assert tasks == 4


def test_completion_needs_every_facility_verified_or_waived(client, world):
    recall_id, detail = initiate(client, world)
    act(client, world, recall_id, "start", headers=world["producer"])
    assert_problem(act(client, world, recall_id, "complete", headers=world["producer"]), 409, "verification_pending")
    for row in detail["scope"]:
        client.post(f"/api/v1/recalls/{recall_id}/waivers", headers=world["office"],
                    json={"facility_id": row["facility_id"], "reason": "已停业"})
    assert act(client, world, recall_id, "complete", headers=world["producer"]).status_code == 200


def test_recovered_above_distributed_is_refused(client, world):
    recall_id, _ = initiate(client, world)
    shop = world["places"]["retailer1"]
    response = client.post(f"/api/v1/recalls/{recall_id}/progress", headers=world["producer"],
                           json={"facility_id": str(shop.id), "recovered": 301})
    assert_problem(response, 422, "above_distributed")


def test_progress_for_a_facility_out_of_scope_is_refused(client, world, make_facility):
    recall_id, _ = initiate(client, world)
    stranger = make_facility(lon=114.56, lat=37.065)
    response = client.post(f"/api/v1/recalls/{recall_id}/progress", headers=world["producer"],
                           json={"facility_id": str(stranger.id), "recovered": 1})
    assert_problem(response, 422, "not_in_scope")


def test_lots_of_another_producer_are_refused(client, world):
    response = client.post("/api/v1/recalls", headers=world["office"], json={
        "producer_facility_id": str(world["places"]["retailer1"].id), "lot_ids": [str(world["lot"].id)],
        "reason": "x"})
    assert_problem(response, 422, "wrong_lots")


def test_an_unstarted_recall_is_overdue_after_24_hours(client, world, monkeypatch):
    recall_id, detail = initiate(client, world, level=1)
    from backend.common import clock
    later = datetime.fromisoformat(detail["start_deadline"]) + timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    overdue = client.get("/api/v1/recalls?overdue=true", headers=world["office"]).get_json()
    assert [recall["id"] for recall in overdue] == [recall_id]


def test_changing_the_level_recomputes_the_deadlines(client, world):
    recall_id, detail = initiate(client, world, level=1)
    changed = act(client, world, recall_id, "change_level", level=3, note="复核后降级").get_json()
    start = datetime.fromisoformat(changed["start_deadline"]) - datetime.fromisoformat(detail["initiated_at"])
    assert changed["level"] == 3 and start == timedelta(hours=72)
    assert changed["complete_deadline"] > detail["complete_deadline"]


def test_refreshing_the_scope_adds_new_receivers_once(client, world, make_facility):
    recall_id, _ = initiate(client, world)
    newcomer = make_facility(lon=114.553, lat=37.066, kind="retailer")
    record_event(Actor.system(), event_id="late-ship", type="ship", occurred_at=T0 + timedelta(days=1),
                 facility_id=world["places"]["producer0"].id, other_facility_id=newcomer.id,
                 lines=[{"role": "subject", "lot_id": world["lot"].id, "quantity": Decimal(10), "unit": "box"}])
    for _ in range(2):
        detail = act(client, world, recall_id, "refresh_scope").get_json()
    assert len(detail["scope"]) == 5


def test_the_public_list_needs_no_login_and_hides_proposals(client, world):
    propose(client, world)
    assert client.get("/api/v1/public/recalls").get_json() == []


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_evidence_is_attached_to_a_facility_of_the_scope(client, world, make_user, make_facility):
    recall_id, detail = initiate(client, world)
    row = detail["scope"][0]
    url = f"/api/v1/attachments/{uuid.uuid4()}?owner_type=recall_facility&owner_id={row['id']}"
    stored = client.put(url, data=PDF, content_type="application/pdf", headers=world["producer"])
    assert stored.status_code == 201, stored.get_json()
    listed = client.get(f"/api/v1/attachments?owner_type=recall_facility&owner_id={row['id']}",
                        headers=world["office"]).get_json()
    assert [item["sha256"] for item in listed] == [stored.get_json()["sha256"]]
    stranger = world["auth"](make_user("enterprise", facility_id=make_facility().id))
    assert_problem(client.get(f"/api/v1/attachments/{stored.get_json()['id']}", headers=stranger), 404)


# ---------------------------------------------------------------- deadlines at their boundary (issue 12)

INITIATED = datetime(2026, 11, 2, 2, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai; no holiday till January
LOCAL_END = "T23:59:59.999999+08:00"
COMPLETE_BY = {1: "2026-11-16", 2: "2026-11-30", 3: "2026-12-14"}  # 10 / 20 / 30 working days later


def _at(monkeypatch, moment):
    from backend.common import clock
    monkeypatch.setattr(clock, "now", lambda: moment)


@pytest.mark.parametrize("level, hours", [(1, 24), (2, 48), (3, 72)])
def test_each_level_gets_its_start_and_completion_deadline(client, world, monkeypatch, level, hours):
    _at(monkeypatch, INITIATED)
    _, detail = initiate(client, world, level=level)
    assert datetime.fromisoformat(detail["start_deadline"]) == INITIATED + timedelta(hours=hours)
    assert datetime.fromisoformat(detail["complete_deadline"]) == datetime.fromisoformat(
        COMPLETE_BY[level] + LOCAL_END)


@pytest.mark.parametrize("level", [1, 2, 3])
@pytest.mark.parametrize("offset, late", [(-1, False), (0, False), (1, True)])
def test_an_unstarted_recall_is_overdue_just_after_its_start_deadline(client, world, monkeypatch, level, offset,
                                                                      late):
    _at(monkeypatch, INITIATED)
    recall_id, detail = initiate(client, world, level=level)
    _at(monkeypatch, datetime.fromisoformat(detail["start_deadline"]) + timedelta(microseconds=offset))
    overdue = client.get("/api/v1/recalls?overdue=true", headers=world["office"]).get_json()
    assert ([recall["id"] for recall in overdue] == [recall_id]) is late
    assert client.get(f"/api/v1/recalls/{recall_id}", headers=world["office"]).get_json()["overdue"] is late


@pytest.mark.parametrize("level", [1, 2, 3])
@pytest.mark.parametrize("offset, late", [(-1, False), (0, False), (1, True)])
def test_a_started_recall_is_overdue_just_after_its_completion_deadline(client, world, monkeypatch, level, offset,
                                                                        late):
    _at(monkeypatch, INITIATED)
    recall_id, detail = initiate(client, world, level=level)
    assert act(client, world, recall_id, "start", headers=world["producer"]).status_code == 200
    _at(monkeypatch, datetime.fromisoformat(detail["complete_deadline"]) + timedelta(microseconds=offset))
    overdue = client.get("/api/v1/recalls?overdue=true", headers=world["office"]).get_json()
    assert ([recall["id"] for recall in overdue] == [recall_id]) is late


def test_recall_deadlines_come_from_the_settings(client, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "RECALL_START_HOURS", {1: 12, 2: 36, 3: 60})
    monkeypatch.setitem(app.config, "RECALL_COMPLETE_WORKING_DAYS", {1: 5, 2: 15, 3: 25})
    _at(monkeypatch, INITIATED)
    _, detail = initiate(client, world, level=2)
    assert datetime.fromisoformat(detail["start_deadline"]) == INITIATED + timedelta(hours=36)
    assert detail["complete_deadline"].startswith("2026-11-23")  # 15 working days after Monday 2 November
