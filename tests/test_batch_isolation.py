"""One bad item never sinks a batch (DESIGN.md §5): each item is checked, parsed and stored
on its own — an item that is null, holds a NUL or a lone surrogate, or fails in a way
nobody foresaw is refused alone, with its own status."""
import json
import uuid
from datetime import datetime, timezone

import pytest

from backend.common import json_input
from backend.extensions import db
from backend.inspections import checks
from backend.inspections.models import Check
from tests.factories import check_body

CHECKS = "/api/v1/checks:batch"
EVENTS = "/api/v1/trace-events:batch"


def post_raw(client, url, body, headers):
    """As a phone sends it: JSON with escapes (a lone surrogate cannot be sent as UTF-8)."""
    return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)


def test_bad_values_are_named_by_path():
    found = json_input.problems({"a": ["ok", {"b": "x\x00y"}], "c": "\ud800", "d": {"\ud800": "v"}})
    assert set(found) == {"a.1.b", "c", "d"}  # a bad key is named by its object
    assert json_input.problems({"a": 1, "b": [None, True, "fine 中文 😀"]}) == {}
    assert set(json_input.problems("\udfff")) == {"body"}


@pytest.mark.committing
def test_null_nul_and_surrogate_items_are_refused_alone(app, committed_field):
    field = committed_field(114.47, 37.14)
    bodies = [check_body(field["template"], field["facility"]) for _ in range(5)]
    bodies[2]["note"] = "bad \ud800 note"
    bodies[3] = None
    bodies[4]["results"][0]["note"] = "nul \x00 here"
    response = post_raw(app.test_client(), CHECKS, {"checks": bodies}, field["headers"])
    assert response.status_code == 200, response.get_data(as_text=True)
    summary = response.get_json()
    results = summary["results"]
    assert [item["http_status"] for item in results] == [201, 201, 422, 422, 422]
    assert [item["status"] for item in results] == ["created", "created", "invalid", "invalid", "invalid"]
    assert (summary["created"], summary["refused"]) == (2, 3)
    assert results[2]["id"] == bodies[2]["id"] and results[3]["id"] is None
    assert results[2]["problem"]["errors"] == {
        "note": ["Lone UTF-16 surrogates are not allowed."]}
    assert "body" in results[3]["problem"]["errors"]
    assert results[4]["problem"]["errors"] == {"results.0.note": ["NUL characters are not allowed."]}
    with app.app_context():  # committed: seen from a fresh session
        stored = {str(i) for i in db.session.scalars(db.select(Check.id)
                                                     .where(Check.facility_id == field["facility"].id))}
    assert stored == {bodies[0]["id"], bodies[1]["id"]}


def test_an_item_whose_id_cannot_be_answered_is_echoed_as_null(client, field):
    body = check_body(field["template"], field["facility"], id="\ud800")
    results = post_raw(client, CHECKS, {"checks": [body]}, field["headers"]).get_json()["results"]
    assert (results[0]["id"], results[0]["http_status"]) == (None, 422)


def test_an_unexpected_failure_rolls_back_only_its_item(client, field, monkeypatch, caplog):
    bodies = [check_body(field["template"], field["facility"]) for _ in range(3)]
    original = checks.record_check

    def flaky(actor, data):
        if str(data["id"]) == bodies[1]["id"]:
            original(actor, data)  # writes, then fails before its commit
            raise RuntimeError("disk on fire")
        return original(actor, data)

    monkeypatch.setattr("backend.inspections.batch.record_check", flaky)
    response = client.post(CHECKS, json={"checks": bodies}, headers=field["headers"])
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [item["http_status"] for item in results] == [201, 500, 201]
    assert results[1]["status"] == "internal" and results[1]["problem"]["code"] == "internal_error"
    assert "disk on fire" not in response.get_data(as_text=True)
    assert "disk on fire" in caplog.text
    stored = {str(i) for i in db.session.scalars(db.select(Check.id).where(Check.facility_id == field["facility"].id))}
    assert stored == {bodies[0]["id"], bodies[2]["id"]}


def test_a_nul_outside_the_items_still_refuses_the_batch(client, field):
    body = {"checks": [check_body(field["template"], field["facility"])], "x\x00": 1}
    response = post_raw(client, CHECKS, body, field["headers"])
    assert response.status_code == 422


@pytest.fixture
def farm(make_facility, supervisor, auth_headers):
    from backend.auth.actor import Actor
    from backend.traceability import catalogue

    facility = make_facility(kind="farm", name="农场")
    system = Actor.system()
    product = catalogue.create_product(system, name="白菜", category="vegetables")
    lot = catalogue.create_lot(system, lot_code="ISO-1", product_id=product.id, facility_id=facility.id, unit="kg")
    return {"facility": facility, "lot": lot, "headers": auth_headers(supervisor)}


def harvest(farm, **overrides):
    return {"event_id": f"iso-{uuid.uuid4()}", "type": "harvest",
            "occurred_at": datetime(2026, 11, 1, tzinfo=timezone.utc).isoformat(),
            "facility_id": str(farm["facility"].id), "lot_id": str(farm["lot"].id), "quantity": 1, "unit": "kg",
            **overrides}


def test_trace_event_batches_refuse_bad_items_alone(client, farm):
    events = [harvest(farm), harvest(farm), harvest(farm, reference="\ud800"), None,
              harvest(farm, reference="a\x00b")]
    response = post_raw(client, EVENTS, {"events": events}, farm["headers"])
    assert response.status_code == 200, response.get_data(as_text=True)
    results = response.get_json()["results"]
    assert [item["http_status"] for item in results] == [201, 201, 422, 422, 422]
    assert results[2]["problem"]["errors"] == {
        "reference": ["Lone UTF-16 surrogates are not allowed."]}
    assert results[4]["problem"]["errors"] == {"reference": ["NUL characters are not allowed."]}


def test_an_unexpected_failure_in_a_trace_batch_stays_in_its_savepoint(client, farm, monkeypatch):
    from backend.traceability import events as trace_events

    events = [harvest(farm), harvest(farm), harvest(farm)]
    original = trace_events.record_event

    def flaky(actor, **data):
        recorded = original(actor, **data)
        if data["event_id"] == events[1]["event_id"]:
            raise RuntimeError("boom")
        return recorded

    monkeypatch.setattr("backend.traceability.batch.record_event", flaky)
    results = client.post(EVENTS, json={"events": events}, headers=farm["headers"]).get_json()["results"]
    assert [item["http_status"] for item in results] == [201, 500, 201]
    lots = client.get(f"/api/v1/trace-events?lot_id={farm['lot'].id}", headers=farm["headers"]).get_json()
    assert sorted(item["event_id"] for item in lots) == sorted([events[0]["event_id"], events[2]["event_id"]])
