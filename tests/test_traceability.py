"""Traceability (DESIGN.md §7): events, holdings, violations, trace back and forward."""
import csv
import io
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from backend.common.actor import Actor
from backend.extensions import db
from backend.traceability import catalogue
from backend.traceability.models import Holding, TraceEvent
from backend.traceability.trace import walk
from tests.helpers import assert_problem

T0 = datetime(2026, 11, 1, 8, tzinfo=timezone.utc)


@pytest.fixture
def chain(make_facility, supervisor, auth_headers):
    """A farm harvests lot L; a wholesale market, two shops and a restaurant are downstream."""
    places = {name: make_facility(lon=114.49 + i * 0.003, lat=37.06, kind=kind, name=name)
              for i, (name, kind) in enumerate([("农场", "farm"), ("批发市场", "wholesale_market"),
                                                 ("超市甲", "retailer"), ("超市乙", "retailer"), ("饭店", "restaurant"),
                                                 ("加工厂", "producer")])}
    system = Actor.system()
    product = catalogue.create_product(system, name="白菜", category="vegetables", gtin="06901234567892")
    lot = catalogue.create_lot(system, lot_code="L-001", product_id=product.id, facility_id=places["农场"].id,
                               unit="kg")
    return {"places": places, "product": product, "lot": lot, "headers": auth_headers(supervisor)}


def event(client, chain, type, at, lot=None, quantity=100, other=None, hours=0, **extra):
    body = {"event_id": extra.pop("event_id", str(uuid.uuid4())), "type": type,
            "occurred_at": (T0 + timedelta(hours=hours)).isoformat(), "facility_id": str(chain["places"][at].id),
            **extra}
    if type != "transform":
        body.update(lot_id=str((lot or chain["lot"]).id), quantity=quantity, unit="kg")
    if other:
        body["other_facility_id"] = str(chain["places"][other].id)
    return client.post("/api/v1/trace-events", json=body, headers=chain["headers"])


def ship_and_receive(client, chain, sender, receiver, quantity, hours, lot=None):
    assert event(client, chain, "ship", sender, lot, quantity, other=receiver, hours=hours).status_code == 201
    assert event(client, chain, "receive", receiver, lot, quantity, other=sender, hours=hours + 2).status_code == 201


def holding(chain, place, lot=None):
    row = db.session.get(Holding, ((lot or chain["lot"]).id, chain["places"][place].id))
    return row and float(row.quantity)


def test_holdings_follow_the_lot(client, chain):
    event(client, chain, "harvest", "农场", quantity=1000)
    ship_and_receive(client, chain, "农场", "批发市场", 600, 1)
    event(client, chain, "sell", "批发市场", quantity=100, hours=5)
    assert (holding(chain, "农场"), holding(chain, "批发市场")) == (400, 500)


def test_same_event_twice_is_recorded_once(client, chain):
    first = event(client, chain, "harvest", "农场", quantity=10, event_id="harvest-1")
    again = event(client, chain, "harvest", "农场", quantity=10, event_id="harvest-1")
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    assert holding(chain, "农场") == 10
    assert_problem(event(client, chain, "harvest", "农场", quantity=11, event_id="harvest-1"), 409, "event_id_reused")


def test_shipping_a_lot_never_held_is_a_violation_not_a_refusal(client, chain):
    assert event(client, chain, "ship", "超市甲", quantity=5, other="饭店").status_code == 201
    found = client.get("/api/v1/traceability/violations", headers=chain["headers"])
    assert [v["type"] for v in found.get_json()] == ["never_held"]


def test_negative_holding_is_a_mass_balance_violation(client, chain):
    event(client, chain, "harvest", "农场", quantity=10)
    event(client, chain, "ship", "农场", quantity=15, other="批发市场", hours=1)
    found = client.get("/api/v1/traceability/violations?type=negative_holding", headers=chain["headers"])
    assert len(found.get_json()) == 1 and holding(chain, "农场") == -5


def test_workshop_lot_sold_outside_its_area(client, chain, make_facility):
    workshop = make_facility(kind="workshop", name="豆腐坊", sales_area=["130503"])
    chain["places"]["豆腐坊"] = workshop
    tofu = catalogue.create_lot(Actor.system(), lot_code="T-1", product_id=chain["product"].id,
                                facility_id=workshop.id, unit="kg")
    event(client, chain, "produce", "豆腐坊", lot=tofu, quantity=50)
    ship_and_receive(client, chain, "豆腐坊", "超市甲", 20, 1, lot=tofu)  # 超市甲 is in 130502
    found = client.get("/api/v1/traceability/violations?type=restricted_sales", headers=chain["headers"]).get_json()
    # one per event: the workshop shipped out of its area, the shop received out of it
    assert len(found) == 2 and all("130503" in violation["detail"] for violation in found)


def _tofu(client, chain, make_facility, sales_area):
    workshop = make_facility(kind="workshop", name="豆腐坊", sales_area=sales_area)
    chain["places"]["豆腐坊"] = workshop
    tofu = catalogue.create_lot(Actor.system(), lot_code="T-1", product_id=chain["product"].id,
                                facility_id=workshop.id, unit="kg")
    event(client, chain, "produce", "豆腐坊", lot=tofu, quantity=50)
    return tofu


def _restricted(client, chain):
    found = client.get("/api/v1/traceability/violations?type=restricted_sales", headers=chain["headers"])
    return found.get_json()


@pytest.mark.parametrize("sales_area, violations", [(["130502"], 0), (["130500"], 0), (["130503"], 1)])
def test_a_workshop_shipping_outside_its_area_is_a_violation(client, chain, make_facility, sales_area, violations):
    tofu = _tofu(client, chain, make_facility, sales_area)
    assert event(client, chain, "ship", "豆腐坊", tofu, 20, other="超市甲").status_code == 201  # 超市甲: 130502
    found = _restricted(client, chain)
    assert len(found) == violations
    if violations:
        assert "shipped by 豆腐坊 to 超市甲" in found[0]["detail"]
        assert found[0]["facility_id"] == str(chain["places"]["豆腐坊"].id)


def test_a_workshop_selling_outside_its_area_is_a_violation(client, chain, make_facility):
    tofu = _tofu(client, chain, make_facility, ["130503"])
    assert event(client, chain, "sell", "豆腐坊", tofu, 5).status_code == 201  # the workshop is in 130502
    found = _restricted(client, chain)
    assert len(found) == 1 and "sold in 130502" in found[0]["detail"]


def test_a_workshop_selling_at_home_is_no_violation(client, chain, make_facility):
    tofu = _tofu(client, chain, make_facility, ["130502"])
    event(client, chain, "sell", "豆腐坊", tofu, 5)
    ship_and_receive(client, chain, "豆腐坊", "超市甲", 20, 1, lot=tofu)
    event(client, chain, "sell", "超市甲", tofu, 5, hours=5)
    assert _restricted(client, chain) == []


def test_receipt_without_shipment_shows_after_the_grace_period(client, chain):
    event(client, chain, "receive", "饭店", quantity=5, other="批发市场", hours=-100)
    found = client.get("/api/v1/traceability/violations?type=unmatched_receipt", headers=chain["headers"])
    assert len(found.get_json()) == 1


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"quantity": 0}, "quantity", None),
    ({"quantity": -3}, "quantity", None),
    ({"unit": "box"}, None, "unit_mismatch"),
    ({"lot_id": str(uuid.uuid4())}, None, "unknown_lot"),
    ({"facility_id": str(uuid.uuid4())}, None, "unknown_facility"),
])
def test_bad_events_are_refused_and_nothing_is_written(client, chain, change, field, code):
    body = {"event_id": "bad", "type": "harvest", "occurred_at": T0.isoformat(),
            "facility_id": str(chain["places"]["农场"].id), "lot_id": str(chain["lot"].id), "quantity": 5,
            "unit": "kg", **change}
    problem = assert_problem(client.post("/api/v1/trace-events", json=body, headers=chain["headers"]), 422, code)
    if field:
        assert field in problem["errors"]
    assert db.session.scalar(db.select(TraceEvent).where(TraceEvent.event_id == "bad")) is None


def test_transform_needs_inputs_and_outputs(client, chain):
    body = {"event_id": "t", "type": "transform", "occurred_at": T0.isoformat(),
            "facility_id": str(chain["places"]["加工厂"].id),
            "inputs": [{"lot_id": str(chain["lot"].id), "quantity": 5, "unit": "kg"}]}
    problem = assert_problem(client.post("/api/v1/trace-events", json=body, headers=chain["headers"]), 422)
    assert "outputs" in problem["errors"]


def test_future_times_are_stored_and_flagged(client, chain):
    a_day_ahead = (datetime.now(timezone.utc) - T0) / timedelta(hours=1) + 24  # of now, whatever the day
    body = event(client, chain, "harvest", "农场", hours=a_day_ahead).get_json()
    assert body["flags"] == ["future_time"]


def test_business_records_only_for_its_own_facility(client, chain, make_user, auth_headers):
    owner = make_user("enterprise", facility_id=chain["places"]["农场"].id)
    chain["headers"] = auth_headers(owner)
    assert event(client, chain, "harvest", "农场").status_code == 201
    # another business's facility is answered as if it did not exist (scope rule)
    assert_problem(event(client, chain, "harvest", "饭店"), 422, "unknown_facility")


def _full_chain(client, chain):
    """Farm → market → two shops and a restaurant; the plant turns cabbage into pickles for shop 乙."""
    system = Actor.system()
    pickles = catalogue.create_lot(system, lot_code="P-9", product_id=chain["product"].id,
                                   facility_id=chain["places"]["加工厂"].id, unit="kg")
    # a second input the forward trace of L-001 never reaches: its line must still be exported
    chili = catalogue.create_lot(system, lot_code="C-2", product_id=chain["product"].id,
                                 facility_id=chain["places"]["加工厂"].id, unit="kg")
    event(client, chain, "harvest", "农场", quantity=1000)
    ship_and_receive(client, chain, "农场", "批发市场", 900, 1)
    ship_and_receive(client, chain, "批发市场", "超市甲", 300, 5)
    ship_and_receive(client, chain, "批发市场", "饭店", 100, 6)
    ship_and_receive(client, chain, "批发市场", "加工厂", 400, 7)
    transform = {"event_id": "pickling", "type": "transform", "occurred_at": (T0 + timedelta(hours=20)).isoformat(),
                 "facility_id": str(chain["places"]["加工厂"].id),
                 "inputs": [{"lot_id": str(chain["lot"].id), "quantity": 400, "unit": "kg"},
                            {"lot_id": str(chili.id), "quantity": 20, "unit": "kg"}],
                 "outputs": [{"lot_id": str(pickles.id), "quantity": 350, "unit": "kg"}]}
    assert client.post("/api/v1/trace-events", json=transform, headers=chain["headers"]).status_code == 201
    ship_and_receive(client, chain, "加工厂", "超市乙", 350, 24, lot=pickles)
    return pickles


def test_forward_trace_reaches_every_place_and_product(client, chain):
    pickles = _full_chain(client, chain)
    found = client.get(f"/api/v1/lots/{chain['lot'].id}/trace?direction=forward", headers=chain["headers"]).get_json()
    assert {f["name"] for f in found["facilities"]} == {"农场", "批发市场", "超市甲", "饭店", "加工厂", "超市乙"}
    assert {lot["lot_code"] for lot in found["lots"]} == {"L-001", "P-9"}
    distributed = {d["facility_id"]: d["quantity"] for d in found["distributed"]}
    assert distributed[str(chain["places"]["超市甲"].id)] == 300
    assert found["truncated"] is False and str(pickles.id) in {lot["id"] for lot in found["lots"]}


def test_back_trace_of_the_pickles_finds_the_farm(client, chain):
    pickles = _full_chain(client, chain)
    found = client.get(f"/api/v1/lots/{pickles.id}/trace?direction=back", headers=chain["headers"]).get_json()
    assert {"农场", "批发市场", "加工厂"} <= {f["name"] for f in found["facilities"]}
    assert "饭店" not in {f["name"] for f in found["facilities"]}


def test_depth_limit_truncates(client, chain):
    _full_chain(client, chain)
    found = client.get(f"/api/v1/lots/{chain['lot'].id}/trace?direction=forward&max_depth=1",
                       headers=chain["headers"]).get_json()
    assert found["truncated"] is True


def test_a_cycle_ends(client, chain):
    event(client, chain, "harvest", "农场", quantity=10)
    ship_and_receive(client, chain, "农场", "批发市场", 5, 1)
    ship_and_receive(client, chain, "批发市场", "农场", 5, 3)  # returned goods
    found = client.get(f"/api/v1/lots/{chain['lot'].id}/trace", headers=chain["headers"]).get_json()
    assert {f["name"] for f in found["facilities"]} == {"农场", "批发市场"}


def _spreadsheet(client, chain, lot_id):
    response = client.get(f"/api/v1/lots/{lot_id}/trace?direction=forward",
                          headers={**chain["headers"], "Accept": "text/csv"})
    assert response.mimetype == "text/csv" and response.data.startswith("\ufeff".encode())
    return response.data


def test_the_spreadsheet_has_a_row_per_recorded_event_line(client, chain):
    _full_chain(client, chain)
    data = _spreadsheet(client, chain, chain["lot"].id)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    found = client.get(f"/api/v1/lots/{chain['lot'].id}/trace?direction=forward", headers=chain["headers"])
    assert len(rows) == len(found.get_json()["records"])
    assert {"harvest", "ship", "receive", "transform"} <= {row["event_type"] for row in rows}
    assert {"超市甲", "饭店"} <= {row["location"] for row in rows if row["event_type"] == "receive"}
    assert any(row["role"] == "input" and row["lot_code"] == "L-001" for row in rows)


def test_the_spreadsheet_imports_again_without_duplicates(client, chain):
    _full_chain(client, chain)
    data = _spreadsheet(client, chain, chain["lot"].id)
    before = db.session.scalar(db.select(db.func.count()).select_from(TraceEvent))
    report = client.post("/api/v1/trace-events/import", data=data, content_type="text/csv",
                         headers=chain["headers"]).get_json()
    assert report["refused"] == 0 and report["created"] == 0 and report["replayed"] > 10
    assert db.session.scalar(db.select(db.func.count()).select_from(TraceEvent)) == before


def test_a_spreadsheet_without_ids_is_refused(client, chain):
    response = client.post("/api/v1/trace-events/import", data="event_id,event_type\nx,ship\n".encode(),
                           content_type="text/csv", headers=chain["headers"])
    assert "header" in assert_problem(response, 422, "invalid_spreadsheet")["errors"]


def test_the_map_has_points_and_shipment_lines(client, chain):
    _full_chain(client, chain)
    found = client.get(f"/api/v1/lots/{chain['lot'].id}/trace?format=geojson", headers=chain["headers"]).get_json()
    kinds = {feature["geometry"]["type"] for feature in found["features"]}
    assert kinds == {"Point", "LineString"}


def test_businesses_do_not_trace(client, chain, make_user, auth_headers):
    owner = make_user("enterprise", facility_id=chain["places"]["农场"].id)
    assert_problem(client.get(f"/api/v1/lots/{chain['lot'].id}/trace", headers=auth_headers(owner)), 403)


def test_a_batch_stores_the_valid_events(client, chain):
    good = [{"event_id": f"b{i}", "type": "harvest", "occurred_at": T0.isoformat(),
             "facility_id": str(chain["places"]["农场"].id), "lot_id": str(chain["lot"].id), "quantity": 1,
             "unit": "kg"} for i in range(5)]
    good[2]["quantity"] = -1
    response = client.post("/api/v1/trace-events:batch", json={"events": good}, headers=chain["headers"]).get_json()
    assert [item["status"] for item in response["results"]] == ["created", "created", "invalid", "created", "created"]
    assert holding(chain, "农场") == 4


def test_holdings_of_a_facility(client, chain):
    event(client, chain, "harvest", "农场", quantity=7)
    held = client.get(f"/api/v1/facilities/{chain['places']['农场'].id}/holdings", headers=chain["headers"])
    assert [(h["lot_id"], h["quantity"]) for h in held.get_json()] == [(str(chain["lot"].id), 7.0)]


# ---------------------------------------------------------------- limits at their boundaries (issue 12)
# The grace period of unmatched receipts, and the depth and node caps of a trace: truncated just
# above each cap, never at it.

VIOLATIONS = "/api/v1/traceability/violations?type=unmatched_receipt"


def _frozen_at(monkeypatch, moment):
    from backend.common import clock
    monkeypatch.setattr(clock, "now", lambda: moment)


@pytest.mark.parametrize("hours, listed", [(47, False), (48, False), (49, True)])
def test_an_unmatched_receipt_is_listed_only_after_the_grace_period(client, chain, monkeypatch, hours, listed):
    event(client, chain, "receive", "饭店", quantity=5, other="批发市场")  # at T0, no shipment recorded
    _frozen_at(monkeypatch, T0 + timedelta(hours=hours))
    found = client.get(VIOLATIONS, headers=chain["headers"]).get_json()
    assert len(found) == (1 if listed else 0)


@pytest.mark.parametrize("hours, listed", [(11, False), (12, False), (13, True)])
def test_the_grace_period_is_a_setting(client, chain, app, monkeypatch, hours, listed):
    monkeypatch.setitem(app.config, "TRACE_GRACE_HOURS", 12)
    event(client, chain, "receive", "饭店", quantity=5, other="批发市场")
    _frozen_at(monkeypatch, T0 + timedelta(hours=hours))
    assert len(client.get(VIOLATIONS, headers=chain["headers"]).get_json()) == (1 if listed else 0)


def _line(client, chain):
    """Lot L0 made into L1, L1 into L2 … L4 at the plant: 4 hops, 5 (lot, facility) nodes.
    (Every place that ever held the traced lot is at depth 0: depth counts transformations.)"""
    plant = chain["places"]["加工厂"]
    lots = [catalogue.create_lot(Actor.system(), lot_code=f"L{index}", product_id=chain["product"].id,
                                 facility_id=plant.id, unit="kg") for index in range(5)]
    event(client, chain, "harvest", "加工厂", lot=lots[0], quantity=100)
    for hop, (source, made) in enumerate(zip(lots, lots[1:]), start=1):
        body = {"event_id": f"make-{made.lot_code}", "type": "transform", "facility_id": str(plant.id),
                "occurred_at": (T0 + timedelta(hours=hop)).isoformat(),
                "inputs": [{"lot_id": str(source.id), "quantity": 10, "unit": "kg"}],
                "outputs": [{"lot_id": str(made.id), "quantity": 10, "unit": "kg"}]}
        assert client.post("/api/v1/trace-events", json=body, headers=chain["headers"]).status_code == 201
    return lots[0].id


@pytest.mark.parametrize("depth, truncated", [(3, True), (4, False), (5, False)])
def test_the_depth_cap_truncates_only_what_lies_beyond_it(client, chain, depth, truncated):
    found = walk(_line(client, chain), "forward", depth, 100)
    assert found["truncated"] is truncated
    assert len(found["lots"]) == min(depth, 4) + 1


@pytest.mark.parametrize("nodes, truncated", [(4, True), (5, False), (6, False)])
def test_the_node_cap_truncates_only_above_it(client, chain, nodes, truncated):
    found = walk(_line(client, chain), "forward", 10, nodes)
    assert found["truncated"] is truncated
    assert len(found["lots"]) == min(nodes, 5)


@pytest.mark.parametrize("cap, truncated", [(4, True), (5, False)])
def test_the_api_applies_the_node_cap_setting(client, chain, app, monkeypatch, cap, truncated):
    monkeypatch.setitem(app.config, "TRACE_MAX_NODES", cap)
    lot_id = _line(client, chain)
    found = client.get(f"/api/v1/lots/{lot_id}/trace?direction=forward", headers=chain["headers"]).get_json()
    assert found["truncated"] is truncated


@pytest.mark.parametrize("depth, status", [(3, 200), (4, 200), (5, 422)])
def test_a_trace_deeper_than_the_depth_setting_is_refused(client, chain, app, monkeypatch, depth, status):
    monkeypatch.setitem(app.config, "TRACE_MAX_DEPTH", 4)
    response = client.get(f"/api/v1/lots/{chain['lot'].id}/trace?max_depth={depth}", headers=chain["headers"])
    if status == 422:
        assert_problem(response, 422, "max_depth_too_large")
    else:
        assert response.status_code == 200


def test_the_default_depth_cap_is_fifty(client, chain):
    for depth, status in ((49, 200), (50, 200), (51, 422)):
        url = f"/api/v1/lots/{chain['lot'].id}/trace?max_depth={depth}"
        assert client.get(url, headers=chain["headers"]).status_code == status


def test_transformed_lots_count_as_nodes(client, chain):
    lot = catalogue.create_lot(Actor.system(), lot_code="X-1", product_id=chain["product"].id,
                               facility_id=chain["places"]["加工厂"].id, unit="kg")
    assert walk(lot.id, "forward", 5, 1)["truncated"] is False  # one node, cap one: whole
