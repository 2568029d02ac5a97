"""Issue 11, leaks and exports: one test per class of defect (each fails on the old code).

Scope rule (DESIGN.md §2): an answer never reveals an object outside the caller's scope;
a referenced id out of scope is answered exactly as one that does not exist.
"""
import csv
import io
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from backend.common.actor import Actor
from backend.common.csv_export import escape_cell, unescape_cell
from backend.common.downloads import content_disposition
from backend.extensions import db
from backend.inspections.models import InspectionTask
from backend.traceability import catalogue
from tests.factories import check_body
from tests.helpers import assert_problem

VALID_USCC = "91350100M000100Y43"
POINT = {"type": "Point", "coordinates": [114.495, 37.065]}


# ---------------------------------------------------------------- 1. cells and inspectors

def test_an_enterprise_may_not_locate_cells(client, make_user, make_facility, auth_headers, make_cell, assign,
                                            inspector):
    assign(make_cell(), inspector)
    owner = make_user("enterprise", facility_id=make_facility().id)
    response = client.get("/api/v1/cells/locate?lon=114.495&lat=37.065", headers=auth_headers(owner))
    assert_problem(response, 403)
    assert inspector.username not in response.get_data(as_text=True)


# ---------------------------------------------------------------- 2. conflicts naming other records

def test_a_duplicate_uscc_outside_the_callers_region_names_no_facility(client, make_user, make_facility,
                                                                     auth_headers):
    theirs = make_facility(uscc=VALID_USCC)  # in 130502
    far = auth_headers(make_user("supervisor", "130503"))
    body = {"name": "面馆", "kind": "restaurant", "uscc": VALID_USCC, "location": POINT}
    problem = assert_problem(client.post("/api/v1/facilities", json=body, headers=far), 409, "duplicate_uscc")
    assert "facility_id" not in problem and str(theirs.id) not in json.dumps(problem)


def test_an_import_row_clashing_outside_the_region_reveals_nothing(client, make_user, make_facility,
                                                                   auth_headers):
    theirs = make_facility(uscc=VALID_USCC)
    far = auth_headers(make_user("supervisor", "130503"))
    text = f"name,kind,uscc,lon,lat\n面馆,restaurant,{VALID_USCC},114.495,37.065\n"
    response = client.post("/api/v1/facilities/import", data=text.encode(), content_type="text/csv", headers=far)
    report = response.get_json()
    assert report["errors"] == [{"line": 2, "errors": {"uscc": [f"Another facility already has uscc {VALID_USCC}."]}}]
    assert str(theirs.id) not in response.get_data(as_text=True)


# ---------------------------------------------------------------- 3. catalogues without scope

def test_an_enterprise_lists_only_its_own_products(client, make_user, make_facility, auth_headers):
    mine, theirs = make_facility(kind="producer"), make_facility(kind="producer")
    system = Actor.system()
    own = catalogue.create_product(system, name="我的酱油", category="condiments", owner_facility_id=mine.id)
    other = catalogue.create_product(system, name="别家酱油", category="condiments", owner_facility_id=theirs.id)
    made = catalogue.create_product(system, name="我做的醋", category="condiments")
    catalogue.create_lot(system, lot_code="V-1", product_id=made.id, facility_id=mine.id, unit="kg")
    headers = auth_headers(make_user("enterprise", facility_id=mine.id))
    listed = {p["id"] for p in client.get("/api/v1/products?page_size=100", headers=headers).get_json()}
    assert {str(own.id), str(made.id)} <= listed and str(other.id) not in listed
    # and another business's product cannot be named in a lot either
    response = client.post("/api/v1/lots", headers=headers, json={
        "lot_code": "X-1", "product_id": str(other.id), "facility_id": str(mine.id), "unit": "kg"})
    assert_problem(response, 422, "unknown_product")


# ---------------------------------------------------------------- 4. referenced ids out of scope

def test_a_sample_may_not_reference_a_check_out_of_scope(client, field, make_facility, supervisor, auth_headers):
    elsewhere = make_facility(lon=114.55, lat=37.065)  # in the supervisor's region, not the inspector's cell
    other_check = check_body(field["template"], elsewhere)
    assert client.post("/api/v1/checks", json=other_check, headers=auth_headers(supervisor)).status_code == 201
    body = {"id": str(uuid.uuid4()), "sample_no": f"SEAL-{uuid.uuid4().hex[:8]}",
            "facility_id": str(field["facility"].id), "check_id": other_check["id"], "product_name": "菠菜",
            "food_category": "vegetables", "quantity": "1 kg", "method": "lab",
            "sampled_at": "2026-11-20T10:00:00+08:00"}
    assert_problem(client.post("/api/v1/samples", json=body, headers=field["headers"]), 422, "unknown_check")


def test_an_invisible_facility_reads_as_an_unknown_one(client, field, make_facility):
    elsewhere = make_facility(lon=114.60, lat=37.20)
    answers = []
    for facility_id in (elsewhere.id, uuid.uuid4()):
        body = {**check_body(field["template"], field["facility"]), "facility_id": str(facility_id)}
        problem = assert_problem(client.post("/api/v1/checks", json=body, headers=field["headers"]), 422)
        answers.append((problem["code"], problem["detail"], problem.get("field")))
    assert answers[0] == answers[1]


def test_a_recall_of_a_producer_outside_the_region_reads_as_unknown(client, make_user, make_facility,
                                                                    auth_headers):
    producer = make_facility(kind="producer")  # in 130502
    far = auth_headers(make_user("supervisor", "130503"))
    response = client.post("/api/v1/recalls", headers=far, json={
        "producer_facility_id": str(producer.id), "lot_ids": [str(uuid.uuid4())], "reason": "x"})
    assert_problem(response, 422, "unknown_facility")


# ---------------------------------------------------------------- 5. event ids per sender

def _harvest(facility, lot, event_id, quantity):
    return {"event_id": event_id, "type": "harvest", "occurred_at": "2026-11-01T08:00:00+08:00",
            "facility_id": str(facility.id), "lot_id": str(lot.id), "quantity": quantity, "unit": "kg"}


def test_one_business_cannot_block_anothers_event_ids(client, make_user, make_facility, auth_headers):
    farm_a, farm_b = make_facility(kind="farm"), make_facility(kind="farm")
    system = Actor.system()
    product = catalogue.create_product(system, name="白菜", category="vegetables")
    lot_a = catalogue.create_lot(system, lot_code="A", product_id=product.id, facility_id=farm_a.id, unit="kg")
    lot_b = catalogue.create_lot(system, lot_code="B", product_id=product.id, facility_id=farm_b.id, unit="kg")
    a = auth_headers(make_user("enterprise", facility_id=farm_a.id))
    b = auth_headers(make_user("enterprise", facility_id=farm_b.id))
    assert client.post("/api/v1/trace-events", json=_harvest(farm_a, lot_a, "E-1", 5), headers=a).status_code == 201
    # B's own E-1 is its own event, not a reuse of A's
    assert client.post("/api/v1/trace-events", json=_harvest(farm_b, lot_b, "E-1", 7), headers=b).status_code == 201
    # and A replays its own as before
    assert client.post("/api/v1/trace-events", json=_harvest(farm_a, lot_a, "E-1", 5), headers=a).status_code == 200


def test_an_epcis_event_id_of_another_business_is_not_a_duplicate(client, make_user, make_facility, auth_headers):
    farm_a = make_facility(kind="farm", gln="6901234000009")
    farm_b = make_facility(kind="farm", gln="6901234000016")
    event = {"type": "ObjectEvent", "eventID": "urn:uuid:11111111-2222-4333-8444-555555555555", "action": "ADD",
             "bizStep": "commissioning", "eventTime": "2026-11-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
             "quantityList": [{"epcClass": "urn:epc:class:lgtin:6901234.056789.L1", "quantity": 5, "uom": "KGM"}]}

    def capture(facility, gln):
        document = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                    "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-01T08:00:00Z",
                    "epcisBody": {"eventList": [{**event, "bizLocation": {"id": f"https://id.gs1.org/414/{gln}"}}]}}
        headers = auth_headers(make_user("enterprise", facility_id=facility.id))
        return client.post("/api/v1/epcis/capture", data=json.dumps(document).encode(),
                           content_type="application/ld+json", headers=headers).get_json()

    assert capture(farm_a, "6901234000009")["stored"] == 1
    second = capture(farm_b, "6901234000016")
    assert second["duplicates"] == [] and second["stored"] == 1, second


# ---------------------------------------------------------------- 6. task existence oracle

def test_a_foreign_task_and_a_missing_task_get_one_answer(client, field, make_facility):
    other = make_facility(lon=114.60, lat=37.20)
    task = InspectionTask(kind="routine", facility_id=other.id, region_code=other.region_code,
                          assignee_id=None, due_at=datetime.now(timezone.utc) + timedelta(days=3))
    db.session.add(task)
    db.session.flush()
    answers = []
    for task_id in (task.id, uuid.uuid4()):
        body = check_body(field["template"], field["facility"], task_id=str(task_id))
        problem = assert_problem(client.post("/api/v1/checks", json=body, headers=field["headers"]), 422)
        answers.append((problem["code"], problem["detail"], problem.get("field")))
    assert answers[0] == answers[1] == ("unknown_task", answers[0][1], "task_id")


# ---------------------------------------------------------------- 7. CSV formula injection

@pytest.mark.parametrize("text", ["=2+3", "+SUM(1+1)*cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_cells_that_a_spreadsheet_would_run_are_escaped_and_read_back(text):
    assert escape_cell(text) == "'" + text
    assert unescape_cell(escape_cell(text)) == text


@pytest.mark.parametrize("text", ["-1.5", "+3", "12", "L-001", "'plain", "白菜"])
def test_plain_values_are_left_alone(text):
    assert escape_cell(text) == text and unescape_cell(text) == text


def _formula_chain(make_facility):
    farm = make_facility(kind="farm", name="农场")
    shop = make_facility(kind="retailer", name="+SUM(1+1)*cmd|' /C calc'!A0")
    system = Actor.system()
    product = catalogue.create_product(system, name="=HYPERLINK(\"http://x\")", category="vegetables")
    lot = catalogue.create_lot(system, lot_code="=2+3", product_id=product.id, facility_id=farm.id, unit="kg")
    return farm, shop, lot


def test_the_trace_spreadsheet_is_inert_and_still_imports_as_replays(client, make_facility, supervisor,
                                                                    auth_headers):
    farm, shop, lot = _formula_chain(make_facility)
    headers = auth_headers(supervisor)
    for body in (_harvest(farm, lot, "=cmd", 10),
                 {"event_id": "-ship", "type": "ship", "occurred_at": "2026-11-01T10:00:00+08:00",
                  "facility_id": str(farm.id), "other_facility_id": str(shop.id), "lot_id": str(lot.id),
                  "quantity": 4, "unit": "kg", "reference": "@BOL 1"}):
        assert client.post("/api/v1/trace-events", json=body, headers=headers).status_code == 201
    response = client.get(f"/api/v1/lots/{lot.id}/trace?direction=forward",
                          headers={**headers, "Accept": "text/csv"})
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")
                or (cell[:1] == "-" and not cell.lstrip("-").replace(".", "").isdigit())]
    assert "'=2+3" in cells and "'+SUM(1+1)*cmd|' /C calc'!A0" in cells and "'@BOL 1" in cells
    report = client.post("/api/v1/trace-events/import", data=response.data, content_type="text/csv",
                         headers=headers).get_json()
    assert (report["refused"], report["created"], report["replayed"]) == (0, 0, 2), report


# ---------------------------------------------------------------- 8. download names

@pytest.mark.parametrize("lot_code", ["白菜-2026-批次1", "L1\r\nSet-Cookie: x=1", 'A"; filename="evil.exe', "A\x07;b"])
def test_a_trace_download_is_named_safely_whatever_the_lot_code(client, make_facility, supervisor, auth_headers,
                                                                 lot_code):
    farm = make_facility(kind="farm")
    system = Actor.system()
    product = catalogue.create_product(system, name="白菜", category="vegetables")
    lot = catalogue.create_lot(system, lot_code=lot_code, product_id=product.id, facility_id=farm.id, unit="kg")
    response = client.get(f"/api/v1/lots/{lot.id}/trace", headers={**auth_headers(supervisor), "Accept": "text/csv"})
    assert response.status_code == 200
    header = response.headers["Content-Disposition"]
    assert header == content_disposition(f"trace-{lot_code}.csv")
    assert header.isascii() and not any(ord(c) < 32 or ord(c) == 127 for c in header)
    assert "Set-Cookie" not in response.headers
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert header.count('"') == 2 and ";" not in fallback and fallback.endswith(".csv")
    assert "filename*=UTF-8''trace-" in header


def test_a_chinese_name_survives_in_the_rfc_6266_form():
    assert content_disposition("trace-白菜.csv") == \
        "attachment; filename=\"trace.csv\"; filename*=UTF-8''trace-%E7%99%BD%E8%8F%9C.csv"
