"""GS1 EPCIS 2.0 (DESIGN.md §7): capture of EPCISDocuments, export of a trace as one."""
import copy
import json
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from backend.common.actor import Actor
from backend.extensions import db
from backend.traceability import catalogue
from backend.traceability.epcis import schema_errors
from backend.traceability.epcis_ids import parse_item, parse_place
from backend.traceability.events import record_event
from backend.traceability.models import Holding, Lot, Product, TraceEvent
from tests.helpers import assert_problem

DATA = Path(__file__).parent / "data" / "epcis"
URL = "/api/v1/epcis/capture"
LD_JSON = "application/ld+json"
# The GLNs of the examples' SGLNs (company prefix + location reference + check digit).
GLNS = {"shipper": "0614141073467", "receiver": "0012345111112", "dock": "0614141008889",
        "plant": "4012345000016", "supplier": "4012345002256"}
T0 = datetime(2026, 11, 1, 8, tzinfo=timezone.utc)
CHAIN_EVENTS = ("h1", "s1", "r1", "t1", "x1", "d1")  # build_chain's, in time order


def example(name: str) -> dict:
    return json.loads(next(DATA.glob(f"Example_{name}-*.jsonld")).read_text())


def post(client, headers, document, content_type=LD_JSON):
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return client.post(URL, data=body, content_type=content_type, headers=headers)


@pytest.fixture
def headers(supervisor, auth_headers):
    return auth_headers(supervisor)


@pytest.fixture
def world(make_facility):
    """Facilities with the examples' GLNs, and the lots their shipments and inputs name."""
    places = {name: make_facility(kind="producer", gln=gln) for name, gln in GLNS.items()}
    system = Actor.system()

    def lot(gtin, code, place, unit):
        product = db.session.scalar(select(Product).where(Product.gtin == gtin)) or \
            catalogue.create_product(system, name=f"product {gtin}", category="vegetables", gtin=gtin)
        return catalogue.create_lot(system, lot_code=code, product_id=product.id, facility_id=places[place].id,
                                    unit=unit)

    lots = {"serialised": lot("10614141073464", "SGTIN-10614141073464", "shipper", "EA"),
            "998877": lot("04012345123456", "998877", "supplier", "kg"),  # sent as KGM
            "in-a": lot("04012345111224", "SGTIN-04012345111224", "plant", "EA"),
            "in-b": lot("04000001654321", "SGTIN-04000001654321", "plant", "EA"),
            "4444": lot("04012345111118", "4444", "plant", "KGM"),
            "987": lot("00614141777778", "987", "plant", "EA")}
    return {"places": places, "lots": lots}


def commissioning(facility_uri: str, epc_class: str, quantity=50, uom="KGM", **extra) -> dict:
    event = {"type": "ObjectEvent", "eventID": f"urn:uuid:{uuid.uuid4()}", "action": "ADD",
             "bizStep": "commissioning", "eventTime": "2026-11-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
             "bizLocation": {"id": facility_uri}, "quantityList": [{"epcClass": epc_class, "quantity": quantity,
                                                                    "uom": uom}], **extra}
    return document(event)


def document(*events) -> dict:
    return {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument",
            "schemaVersion": "2.0", "creationDate": "2026-11-01T08:00:00Z", "epcisBody": {"eventList": list(events)}}


# ---------------------------------------------------------------- identifiers

def test_sgtin_puts_the_indicator_digit_first():
    assert parse_item("urn:epc:id:sgtin:0614141.107346.2017").gtin == "10614141073464"


def test_lgtin_and_digital_link_name_the_same_lot():
    epc, link = parse_item("urn:epc:class:lgtin:4012345.012345.998877"), \
        parse_item("https://id.gs1.org/01/04012345123456/10/998877")
    assert (epc.gtin, epc.lot_code) == (link.gtin, link.lot_code) == ("04012345123456", "998877")


def test_sgln_is_company_prefix_location_reference_and_check_digit():
    place = parse_place("urn:epc:id:sgln:0614141.07346.1234")
    assert (place.gln, place.extension) == ("0614141073467", "1234")


# ---------------------------------------------------------------- the examples

@pytest.mark.parametrize(("name", "stored", "warnings"), [("9.6.1", 2, 0), ("9.6.2", 1, 0), ("9.6.3", 1, 1),
                                                          ("9.6.4", 1, 1)])
def test_the_gs1_examples_import(client, headers, world, name, stored, warnings):
    report = post(client, headers, example(name)).get_json()
    assert (report["stored"], report["rejected"], len(report["warnings"])) == (stored, [], warnings), report


@pytest.mark.parametrize("name", ["9.6.1", "9.6.2", "9.6.3", "9.6.4"])
def test_reposting_an_example_gives_duplicates_only(client, headers, world, name):
    post(client, headers, example(name))
    report = post(client, headers, example(name)).get_json()
    assert report["stored"] == 0 and report["rejected"] == []
    assert report["duplicates"] == [event["eventID"] for event in example(name)["epcisBody"]["eventList"]]


def test_receipt_names_its_source_location_and_counts_kgm_as_kg(client, headers, world):
    post(client, headers, example("9.6.2"))
    event = db.session.scalar(select(TraceEvent).where(TraceEvent.source == "epcis"))
    assert (event.type, event.facility_id, event.other_facility_id) == (
        "receive", world["places"]["dock"].id, world["places"]["supplier"].id)
    assert [(line.quantity, line.unit) for line in event.lines] == [(Decimal(200), "kg")]


def test_unknown_extensions_are_kept(client, headers, world):
    post(client, headers, example("9.6.1"))
    event = db.session.scalar(select(TraceEvent).where(TraceEvent.type == "receive"))
    assert event.extensions["example:myField"] == "Example of a vendor/user extension"
    assert event.extensions["disposition"] == "in_progress" and "@context" in event.extensions
    assert event.reference == "po http://transaction.acme.com/po/12345678"


def test_transformation_output_lot_and_product_are_created_at_the_plant(client, headers, world):
    post(client, headers, example("9.6.4"))
    lot = db.session.scalar(select(Lot).where(Lot.lot_code == "SGTIN-04012345778892"))
    assert (lot.facility_id, lot.unit, lot.product.gtin) == (world["places"]["plant"].id, "EA", "04012345778892")
    assert db.session.get(Holding, (lot.id, lot.facility_id)).quantity == 4


# ---------------------------------------------------------------- what is refused or skipped

def test_unknown_gln_rejects_the_event_and_is_reported(client, headers, world):
    world["places"]["receiver"].gln = None
    report = post(client, headers, example("9.6.1")).get_json()
    assert report["stored"] == 1 and report["unknown_glns"] == ["0012345111112"]
    assert [(r["index"], r["code"]) for r in report["rejected"]] == [(1, "unknown_gln")]


def test_shipping_an_unknown_lot_is_rejected(client, headers, make_facility):
    for name in ("dock", "supplier"):
        make_facility(kind="producer", gln=GLNS[name])
    report = post(client, headers, example("9.6.2")).get_json()
    assert report["rejected"][0]["code"] == "unknown_lot" and report["stored"] == 0


def test_a_lot_counted_in_another_unit_is_rejected(client, headers, world):
    world["lots"]["998877"].unit = "box"
    assert post(client, headers, example("9.6.2")).get_json()["rejected"][0]["code"] == "unit_mismatch"


def test_commissioning_creates_the_lot_where_it_is_made(client, headers, make_facility):
    farm = make_facility(kind="farm", gln="6901234000009")
    report = post(client, headers, commissioning("https://id.gs1.org/414/6901234000009",
                                                 "https://id.gs1.org/01/06901234567892/10/L-7")).get_json()
    lot = db.session.scalar(select(Lot).where(Lot.lot_code == "L-7"))
    assert report["stored"] == 1 and (lot.facility_id, lot.unit) == (farm.id, "KGM")


def test_other_business_steps_are_skipped(client, headers, make_facility):
    make_facility(kind="farm", gln="6901234000009")
    body = commissioning("urn:epc:id:sgln:6901234.00000.0", "urn:epc:class:lgtin:6901234.056789.L1")
    body["epcisBody"]["eventList"][0]["bizStep"] = "inspecting"
    report = post(client, headers, body).get_json()
    assert report["stored"] == 0 and "inspecting" in report["skipped"][0]["reasons"][0]


def test_an_event_without_event_id_is_identified_by_its_hash(client, headers, make_facility):
    make_facility(kind="farm", gln="6901234000009")
    body = commissioning("urn:epc:id:sgln:6901234.00000.0", "urn:epc:class:lgtin:6901234.056789.L1")
    del body["epcisBody"]["eventList"][0]["eventID"]
    post(client, headers, body)
    again = post(client, headers, body).get_json()
    assert again["stored"] == 0 and again["duplicates"][0].startswith("urn:foodgrid:epcis:sha-256:")


def test_enterprise_cannot_record_at_another_facility(client, make_user, auth_headers, make_facility):
    mine = make_facility(kind="farm")
    make_facility(kind="farm", gln="6901234000009")
    user = make_user("enterprise", facility_id=mine.id)
    body = commissioning("https://id.gs1.org/414/6901234000009", "urn:epc:class:lgtin:6901234.056789.L1")
    report = post(client, auth_headers(user), body).get_json()
    # another business's place reads as an unknown GLN (its existence is not revealed)
    assert report["rejected"][0]["code"] == "unknown_gln"
    assert db.session.scalar(select(Lot).where(Lot.lot_code == "L1")) is None


def test_laboratories_may_not_capture(client, make_user, auth_headers):
    assert_problem(post(client, auth_headers(make_user("lab", "130500")), document()), 403)


def test_invalid_epcis_lists_errors_by_json_pointer(client, headers):
    body = example("9.6.1")
    body["epcisBody"]["eventList"][0]["action"] = "LOOK"
    del body["creationDate"]
    problem = assert_problem(post(client, headers, body), 422, "epcis_invalid")
    assert "/epcisBody/eventList/0/action" in problem["errors"] and "" in problem["errors"]


def test_event_time_needs_an_offset(client, headers):
    body = example("9.6.2")
    body["epcisBody"]["eventList"][0]["eventTime"] = "2013-06-08T14:58:56"
    assert "/epcisBody/eventList/0/eventTime" in assert_problem(post(client, headers, body), 422)["errors"]


def test_a_body_that_is_not_json_is_a_bad_request(client, headers):
    assert_problem(post(client, headers, b"{not json", content_type="application/json"), 400)


def test_too_many_events_are_refused(client, headers, app, monkeypatch):
    monkeypatch.setitem(app.config, "TRACE_BATCH_MAX", 1)
    assert_problem(post(client, headers, example("9.6.1")), 422, "batch_too_large")


def test_documents_over_the_size_limit_are_413(client, headers, app, monkeypatch):
    body = json.dumps(document()).encode()
    padded = body[:-1] + b" " * (app.config["EPCIS_MAX_BYTES"] - len(body) + 1) + b"}"
    problem = assert_problem(post(client, headers, padded), 413, "payload_too_large")
    assert problem["max_bytes"] == app.config["EPCIS_MAX_BYTES"]
    monkeypatch.setitem(app.config, "EPCIS_MAX_BYTES", len(padded))
    assert post(client, headers, padded).status_code == 200  # at the limit exactly


# ---------------------------------------------------------------- export

def build_chain(gtin: str | None, gln: bool, unit: str, make_facility):
    """Farm harvests, ships to the plant, which receives, turns the lot into another, sells and destroys some."""
    farm = make_facility(kind="farm", gln="6901234000009" if gln else None)
    plant = make_facility(kind="producer", gln="6901234000016" if gln else None)
    system = Actor.system()
    product = catalogue.create_product(system, name="白菜", category="vegetables", gtin=gtin)
    lot = catalogue.create_lot(system, lot_code="L-1", product_id=product.id, facility_id=farm.id, unit=unit)
    made = catalogue.create_lot(system, lot_code="K-1", product_id=product.id, facility_id=plant.id, unit=unit)

    def record(event_id, type, facility, lines, hours, other=None):
        record_event(system, event_id=event_id, type=type, occurred_at=T0.replace(hour=hours), facility_id=facility.id,
                     other_facility_id=other and other.id, reference="DN-1" if type == "ship" else None,
                     lines=[{"lot_id": lot_id, "role": role, "quantity": Decimal(q), "unit": unit}
                            for role, lot_id, q in lines])

    record("h1", "harvest", farm, [("subject", lot.id, 100)], 8)
    record("s1", "ship", farm, [("subject", lot.id, 60)], 9, other=plant)
    record("r1", "receive", plant, [("subject", lot.id, 60)], 11, other=farm)
    record("t1", "transform", plant, [("input", lot.id, 60), ("output", made.id, 50)], 12)
    record("x1", "sell", plant, [("subject", made.id, 10)], 13)
    record("d1", "destroy", plant, [("subject", made.id, 5)], 14)
    return lot


def export(client, headers, lot) -> dict:
    response = client.get(f"/api/v1/lots/{lot.id}/trace?format=epcis&direction=forward", headers=headers)
    assert response.status_code == 200 and response.mimetype == LD_JSON
    return response.get_json()


@pytest.mark.parametrize(("gtin", "gln", "unit"), [("06901234567892", True, "kg"), (None, False, "筐")])
def test_an_exported_trace_is_valid_epcis(client, headers, make_facility, gtin, gln, unit):
    exported = export(client, headers, build_chain(gtin, gln, unit, make_facility))
    assert schema_errors(exported) == {}
    assert [e["bizStep"] for e in exported["epcisBody"]["eventList"]] == [
        "urn:foodgrid:bizstep:harvesting", "shipping", "receiving", "commissioning", "retail_selling", "destroying"]


def test_an_exported_trace_reposted_is_all_duplicates(client, headers, make_facility):
    exported = export(client, headers, build_chain("06901234567892", True, "kg", make_facility))
    report = post(client, headers, exported).get_json()
    assert report["duplicates"] == [f"urn:foodgrid:event:{event_id}" for event_id in CHAIN_EVENTS]
    assert report["stored"] == 0


@pytest.mark.parametrize(("gtin", "gln", "unit"), [("06901234567892", True, "kg"), (None, False, "筐")])
def test_an_exported_trace_imports_as_new_events(client, headers, make_facility, gtin, gln, unit):
    exported = copy.deepcopy(export(client, headers, build_chain(gtin, gln, unit, make_facility)))
    for event in exported["epcisBody"]["eventList"]:
        event["eventID"] = event["eventID"].replace("urn:foodgrid:event:", "urn:foodgrid:event:copy-")
    report = post(client, headers, exported).get_json()
    assert (report["stored"], report["rejected"], report["warnings"]) == (6, [], []), report
    for event_id in CHAIN_EVENTS:
        assert recorded(f"copy-{event_id}") == recorded(event_id)


def recorded(event_id: str) -> tuple:
    event = db.session.scalar(select(TraceEvent).where(TraceEvent.event_id == event_id))
    return (event.type, event.facility_id, event.other_facility_id, event.reference, event.occurred_at,
            [(line.role, line.lot_id, line.quantity, line.unit) for line in event.lines])
