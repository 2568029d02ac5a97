"""Every endpoint × every role: who may call what (DESIGN.md §2).

Each request is well-formed, so the answer reflects authorisation, not validation:
out-of-scope reads are 404 (existence not revealed), forbidden actions 403.
"""
import re
import uuid

import pytest

from tests.factories import check_body

ROLES = ("admin", "supervisor", "inspector", "lab", "enterprise", "anonymous")
REGION = {"admin": "130500", "supervisor": "130502", "inspector": "130502", "lab": "130500", "enterprise": "130502"}
MANAGERS = {"admin": 200, "supervisor": 200}
MANAGERS_CREATE = {"admin": 201, "supervisor": 201}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _square(lon):
    return {"type": "Polygon", "coordinates": [[[lon, 37.06], [lon + 0.01, 37.06], [lon + 0.01, 37.07],
                                                [lon, 37.07], [lon, 37.06]]]}


def _sample(ctx):
    return {"id": str(uuid.uuid4()), "sample_no": f"M-{uuid.uuid4().hex[:8]}", "facility_id": ctx["facility"],
            "product_name": "白菜", "food_category": "vegetables", "quantity": "1 kg", "method": "lab",
            "sampled_at": "2026-11-20T10:00:00+08:00"}


def _epcis(ctx):
    return {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument",
            "schemaVersion": "2.0", "creationDate": "2026-11-01T08:00:00+08:00",
            "epcisBody": {"eventList": [{
                "type": "ObjectEvent", "eventID": "urn:foodgrid:event:matrix-epcis", "action": "OBSERVE",
                "bizStep": "receiving", "eventTime": "2026-11-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
                "bizLocation": {"id": f"urn:foodgrid:facility:{ctx['facility']}"},
                "quantityList": [{"epcClass": f"urn:foodgrid:lot:{ctx['lot']}", "quantity": 5, "uom": "KGM"}]}]}}


def _harvest(ctx):
    return {"event_id": "matrix-harvest", "type": "harvest", "occurred_at": "2026-11-01T08:00:00+08:00",
            "facility_id": ctx["facility"], "lot_id": ctx["lot"], "quantity": 5, "unit": "kg"}


def _move(ctx):
    return {"action": "set_lead", "inspector_id": ctx["inspector"], "reason": "test"}


# method, path, body (from context), {role: status}, default status for other signed-in roles
MATRIX = [
    ("GET", "/healthz", None, {"anonymous": 200}, 200),
    ("GET", "/readyz", None, {"anonymous": 200}, 200),
    ("GET", "/api/v1/openapi.json", None, {"anonymous": 200}, 200),
    ("GET", "/api/v1/docs", None, {"anonymous": 200}, 200),
    ("GET", "/api/v1/me", None, {}, 200),
    ("POST", "/api/v1/auth/logout", None, {}, 204),
    ("GET", "/api/v1/regions", None, {}, 200),
    ("GET", "/api/v1/regions/130502", None, {}, 200),
    ("GET", "/api/v1/regions/{region}/grid/validation", None, MANAGERS, 403),
    ("GET", "/api/v1/users", None, MANAGERS, 403),
    ("GET", "/api/v1/users/{self}", None, {}, 200),
    ("GET", "/api/v1/audit", None, {"admin": 200}, 403),
    ("GET", "/api/v1/audit/verify", None, {"admin": 200}, 403),
    # the grid: inspectors see their own cells only (none here), enterprises none
    ("GET", "/api/v1/cells", None, {}, 200),
    ("GET", "/api/v1/regions/{county}/cells", None, {}, 200),
    ("POST", "/api/v1/cells", lambda ctx: {"region_code": "130502", "boundary": _square(114.52)},
     MANAGERS_CREATE, 403),
    ("POST", "/api/v1/cells/import", lambda ctx: {"region_code": "130502", "type": "FeatureCollection",
                                                  "features": [{"type": "Feature", "geometry": _square(114.53)}]},
     MANAGERS_CREATE, 403),
    ("POST", "/api/v1/cells/generate", lambda ctx: {"region_code": "130502", "method": "square", "side_m": 5000},
     MANAGERS, 403),
    ("GET", "/api/v1/cells/locate?lon=114.495&lat=37.065", None, {"enterprise": 403}, 200),
    ("GET", "/api/v1/cells/{cell}", None, {"inspector": 404, "enterprise": 404}, 200),
    ("POST", "/api/v1/cells/{cell}/retire", lambda ctx: {"reason": "test"},
     {**MANAGERS, "inspector": 404, "enterprise": 404}, 403),
    ("GET", "/api/v1/cells/{cell}/assignments", None, {"inspector": 404, "enterprise": 404}, 200),
    ("POST", "/api/v1/cells/{cell}/assignments", _move, {**MANAGERS, "inspector": 404, "enterprise": 404}, 403),
    ("POST", "/api/v1/assignments/bulk", lambda ctx: {"moves": [{**_move(ctx), "cell_id": ctx["cell"]}]},
     {**MANAGERS, "inspector": 404, "enterprise": 404}, 403),
    ("POST", "/api/v1/assignments/balance",
     lambda ctx: {"region_code": "130502", "inspector_ids": [ctx["inspector"]]}, MANAGERS, 403),
    ("GET", "/api/v1/inspectors/{inspector}/workload", None, {"inspector": 404, "enterprise": 404, **MANAGERS},
     404),
    # facilities: inspectors see those of their cells (none here), enterprises their own (none here)
    ("GET", "/api/v1/facilities", None, {}, 200),
    ("POST", "/api/v1/facilities",
     lambda ctx: {"name": "面馆", "kind": "restaurant", "location": {"type": "Point", "coordinates": [114.5, 37.0]}},
     MANAGERS_CREATE, 403),
    ("POST", "/api/v1/facilities/import", "name,kind,lon,lat\n面馆,restaurant,114.5,37.0\n", MANAGERS, 403),
    ("GET", "/api/v1/facilities/{facility}", None, {"inspector": 404, "enterprise": 404}, 200),
    # without If-Match every caller gets 428, before anything is looked up (so nothing leaks)
    ("PATCH", "/api/v1/facilities/{facility}", lambda ctx: {"name": "新名"}, {}, 428),
    ("GET", "/api/v1/facilities/{facility}/stalls", None, {"inspector": 404, "enterprise": 404}, 200),
    # checklist templates: city-wide standards, drafted by admins, read by staff
    ("GET", "/api/v1/checklists", None, {"enterprise": 403}, 200),
    ("POST", "/api/v1/checklists", lambda ctx: {"code": "routine-x", "title_zh": "x", "title_en": "x",
                                                "facility_kinds": ["farm"], "items": []}, {"admin": 201}, 403),
    ("GET", "/api/v1/checklists/{template}", None, {"enterprise": 403}, 200),
    ("PATCH", "/api/v1/checklists/{template}", lambda ctx: {"threshold": 3}, {}, 428),
    ("POST", "/api/v1/checklists/{template}/publish", None, {"admin": 409, "enterprise": 403}, 403),
    # plans and tasks
    ("POST", "/api/v1/inspection-plans", lambda ctx: {"region_code": "130502", "year": 2031},
     {"admin": 201, "supervisor": 201}, 403),
    ("GET", "/api/v1/tasks", None, {"lab": 403, "enterprise": 403}, 200),
    ("GET", "/api/v1/tasks/{task}", None, {"lab": 403, "enterprise": 403, "inspector": 404}, 200),
    ("POST", "/api/v1/tasks/{task}/start", None, {"inspector": 404}, 403),  # nobody here is its assignee
    ("POST", "/api/v1/tasks/{task}/cancel", lambda ctx: {"reason": "test"}, {**MANAGERS, "inspector": 404}, 403),
    # field checks: the facility is in a cell nobody here holds, so only its region's supervisor may check it
    ("GET", "/api/v1/checks", None, {}, 200),
    # (a facility out of the caller's reach is answered as unknown: 422)
    ("POST", "/api/v1/checks", lambda ctx: ctx["check_body"](), {"supervisor": 201, "inspector": 422}, 403),
    ("POST", "/api/v1/checks:batch", lambda ctx: {"checks": [ctx["check_body"]()]},
     {"supervisor": 200, "inspector": 200}, 403),
    ("GET", "/api/v1/checks/{check}", None, {"inspector": 404, "enterprise": 404}, 200),
    ("GET", "/api/v1/rectification-orders", None, {}, 200),
    ("GET", "/api/v1/sync", None, {"inspector": 200}, 403),
    # attachments of the check above (made by another inspector): only a supervisor of its region may add one
    ("PUT", "/api/v1/attachments/{new}?owner_type=check&owner_id={check}", PDF,
     {"admin": 403, "supervisor": 201, "inspector": 422, "enterprise": 422}, 403),
    ("GET", "/api/v1/attachments?owner_type=check&owner_id={check}", None, {"inspector": 422, "enterprise": 422}, 200),
    ("GET", "/api/v1/attachments/{attachment}", None, {"inspector": 404, "enterprise": 404}, 200),
    ("GET", "/api/v1/attachments/{attachment}/meta", None, {"inspector": 404, "enterprise": 404}, 200),
    # traceability: staff read every lot and trace; recording needs the facility in scope (nobody's cells here)
    ("GET", "/api/v1/products", None, {}, 200),
    ("POST", "/api/v1/products", lambda ctx: {"name": "白菜", "category": "vegetables"}, {"lab": 403}, 201),
    ("GET", "/api/v1/lots", None, {}, 200),
    ("POST", "/api/v1/lots", lambda ctx: {"lot_code": "X1", "product_id": ctx["product"], "unit": "kg",
                                          "facility_id": ctx["facility"]},
     {**MANAGERS_CREATE, "inspector": 422, "enterprise": 422}, 403),
    ("GET", "/api/v1/lots/{lot}", None, {"enterprise": 404}, 200),
    ("GET", "/api/v1/lots/{lot}/trace", None, {"enterprise": 403}, 200),
    ("GET", "/api/v1/trace-events", None, {}, 200),
    ("POST", "/api/v1/trace-events", lambda ctx: _harvest(ctx),
     {**MANAGERS_CREATE, "inspector": 422, "enterprise": 422}, 403),
    ("POST", "/api/v1/trace-events:batch", lambda ctx: {"events": [_harvest(ctx)]}, {"lab": 403}, 200),
    ("POST", "/api/v1/trace-events/import", "event_id,event_type,occurred_at,role,quantity,unit,lot_id,facility_id\n",
     {"lab": 403}, 200),
    ("GET", "/api/v1/facilities/{facility}/holdings", None, {"inspector": 404, "enterprise": 404}, 200),
    ("GET", "/api/v1/traceability/violations", None, {"enterprise": 403}, 200),
    # EPCIS: 200 with a capture report (events out of the caller's scope are rejected in it); labs do not record
    ("POST", "/api/v1/epcis/capture", lambda ctx: _epcis(ctx), {"lab": 403}, 200),
    # the working-day calendar: everyone reads, administrators keep it
    ("GET", "/api/v1/calendar/days?year=2026", None, {}, 200),
    ("GET", "/api/v1/calendar/years", None, {}, 200),
    ("PUT", "/api/v1/calendar/days/{day}", lambda ctx: {"kind": "holiday", "name": "测试"}, {"admin": 200}, 403),
    ("DELETE", "/api/v1/calendar/days/{day}", None, {"admin": 204}, 403),
    ("GET", "/api/v1/calendar/deadline?start=2026-01-09T15:00:00%2B08:00&working_days=7", None, {}, 200),
    # sampling: the sample (lab, in 130502's cell nobody here holds) is collected, not yet in the lab
    ("GET", "/api/v1/samples", None, {}, 200),
    ("POST", "/api/v1/samples", lambda ctx: _sample(ctx), {"supervisor": 201, "inspector": 422}, 403),
    ("GET", "/api/v1/samples/{sample}", None, {"inspector": 404, "enterprise": 404}, 200),
    ("POST", "/api/v1/samples/{sample}/receive", lambda ctx: {"lab_name": "检验中心"},
     {"lab": 200, "inspector": 404, "enterprise": 404}, 403),
    ("POST", "/api/v1/samples/{sample}/results", lambda ctx: {"results": [
        {"analyte": "lead", "value": 0.01, "unit": "mg/kg", "method": "GB 5009.12"}]},
     {"lab": 409, "inspector": 404, "enterprise": 404}, 403),
    ("POST", "/api/v1/samples/{sample}/retest-results", lambda ctx: {"results": [
        {"analyte": "lead", "value": 0.01, "unit": "mg/kg", "method": "GB 5009.12"}]},
     {"lab": 409, "inspector": 404, "enterprise": 404}, 403),
    ("POST", "/api/v1/samples/{sample}/verdict", lambda ctx: {}, {"lab": 409, "inspector": 404, "enterprise": 404},
     403),
    ("POST", "/api/v1/samples/{sample}/results/{new}/amend", lambda ctx: {
        "analyte": "lead", "value": 0.01, "unit": "mg/kg", "method": "m", "reason": "r"},
     {"lab": 404, "inspector": 404, "enterprise": 404}, 403),
    ("POST", "/api/v1/samples/{sample}/lot", lambda ctx: {"lot_id": ctx["lot"]}, MANAGERS | {"inspector": 404,
                                                                                             "enterprise": 404}, 403),
    ("POST", "/api/v1/samples/{sample}/notify", lambda ctx: {}, {"admin": 409, "supervisor": 409, "lab": 409,
                                                                  "inspector": 404, "enterprise": 404}, 403),
    ("POST", "/api/v1/samples/{sample}/retest-request", lambda ctx: {"method": "lab", "reason": "r"},
     {"admin": 409, "supervisor": 409, "inspector": 404, "enterprise": 404}, 403),
    ("POST", "/api/v1/samples/{sample}/retest-request/decision", lambda ctx: {"accept": False},
     {"admin": 409, "supervisor": 409, "inspector": 404, "enterprise": 404}, 403),
    ("GET", "/api/v1/limits", None, {}, 200),
    ("POST", "/api/v1/limits", lambda ctx: {"analyte": "lead", "food_category": "tea", "unit": "mg/kg",
                                            "max_value": 5, "standard": "GB 2762", "valid_from": "2026-01-01"},
     {"admin": 201}, 403),
    ("GET", "/api/v1/reports/pass-rate?group_by=month", None, {"enterprise": 403}, 200),
    # recalls: a proposed recall of the facility's lot, in 130502; its scope is empty until initiated
    ("GET", "/api/v1/recalls", None, {}, 200),
    ("POST", "/api/v1/recalls", lambda ctx: {"producer_facility_id": ctx["facility"], "lot_ids": [ctx["lot"]],
                                             "reason": "test"}, MANAGERS_CREATE, 403),
    ("GET", "/api/v1/recalls/{recall}", None, {"enterprise": 404}, 200),
    ("POST", "/api/v1/recalls/{recall}/transitions", lambda ctx: {"action": "reject", "note": "test"},
     {**MANAGERS, "enterprise": 404}, 409),
    ("POST", "/api/v1/recalls/{recall}/progress", lambda ctx: {"facility_id": ctx["facility"], "recovered": 1},
     {"admin": 422, "supervisor": 422, "enterprise": 404}, 403),
    ("POST", "/api/v1/recalls/{recall}/verifications", lambda ctx: {"facility_id": ctx["facility"]},
     {"enterprise": 404}, 422),
    ("POST", "/api/v1/recalls/{recall}/waivers", lambda ctx: {"facility_id": ctx["facility"], "reason": "r"},
     {"admin": 422, "supervisor": 422, "enterprise": 404}, 403),
    ("GET", "/api/v1/public/recalls", None, {"anonymous": 200}, 200),
    # notifications: everyone reads (and marks) only their own
    ("GET", "/api/v1/notifications", None, {}, 200),
    ("GET", "/api/v1/notifications?unread=true", None, {}, 200),
    ("POST", "/api/v1/notifications/{new}/read", None, {}, 404),
    ("GET", "/api/v1/rectification-orders/{order}", None, {"inspector": 404, "enterprise": 404}, 200),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method,path,body,expected,default", MATRIX, ids=[f"{m} {p}" for m, p, *_ in MATRIX])
def test_access(client, make_user, auth_headers, make_cell, make_facility, role, method, path, body, expected,
                default):
    inspector, cell, facility = make_user("inspector"), make_cell(), make_facility()
    template, task = _published_template(), _task(facility)
    order = _order(facility, template, inspector)
    attachment = _attachment(inspector, order.check_id)
    product, lot = _lot(facility)
    sample = _collected_sample(facility, inspector)
    recall = _proposed_recall(facility, lot)
    ctx = {"inspector": str(inspector.id), "cell": str(cell.id),
           "check_body": lambda: check_body(template, facility), "facility": str(facility.id),
           "product": str(product.id), "lot": str(lot.id)}
    headers, user_id = {}, "00000000-0000-0000-0000-000000000000"
    if role != "anonymous":
        user = make_user(role, REGION[role])
        headers, user_id = auth_headers(user), user.id
    kwargs = {}
    if isinstance(body, str):
        kwargs = {"data": body.encode(), "content_type": "text/csv"}
    elif isinstance(body, bytes):
        kwargs = {"data": body, "content_type": "application/pdf"}
    elif body is not None:
        kwargs = {"json": body(ctx)}
    url = path.format(self=user_id, cell=cell.id, facility=facility.id, inspector=inspector.id, template=template.id,
                      task=task.id, check=order.check_id, order=order.id,
                      attachment=attachment.id, new=uuid.uuid4(), lot=lot.id,
                      sample=sample.id, day="2030-01-07", county="130502", region="130502",
                      recall=recall.id)
    response = client.open(url, method=method, headers=headers, **kwargs)
    wanted = expected.get(role, 401 if role == "anonymous" else default)
    assert response.status_code == wanted, response.get_data(as_text=True)


def _published_template():
    from backend.common.actor import Actor
    from backend.inspections import templates

    template = templates.create_draft(Actor.system(), code="routine-matrix", title_zh="t", title_en="t",
                                      facility_kinds=["farm"],
                                      items=[{"code": "A", "text_zh": "a", "text_en": "a", "key_item": True}])
    return templates.publish(Actor.system(), template)


def _task(facility):
    from backend.extensions import db
    from backend.inspections.models import InspectionTask

    task = InspectionTask(kind="routine", facility_id=facility.id, region_code=facility.region_code,
                          due_at=facility.created_at)
    db.session.add(task)
    db.session.flush()
    return task


def _order(facility, template, inspector):
    """A non-compliant check of `facility` by `inspector`, and its rectification order."""
    import uuid
    from datetime import datetime, timezone

    from backend.extensions import db
    from backend.inspections.models import Check, RectificationOrder

    now = datetime.now(timezone.utc)
    check = Check(id=uuid.uuid4(), inspector_id=inspector.id, facility_id=facility.id, template_id=template.id,
                  region_code=facility.region_code, results=[{"item": "A", "result": "fail", "note": ""}],
                  outcome="non_compliant", key_failures=1, general_failures=0, started_at=now, finished_at=now,
                  received_at=now, flags=[], body_sha256="0" * 64)
    order = RectificationOrder(check=check, facility_id=facility.id, region_code=facility.region_code,
                               failed_items=["A"], deadline=now, follow_up_task_id=_task(facility).id,
                               issued_by=inspector.id, issued_at=now)
    db.session.add_all([check, order])
    db.session.flush()
    return order


def _proposed_recall(facility, lot):
    from backend.common.actor import Actor
    from backend.recalls.service import create_recall

    return create_recall(Actor.system(), producer_facility_id=facility.id, lot_ids=[lot.id], reason="matrix")


def _collected_sample(facility, inspector):
    from backend.extensions import db
    from backend.sampling.models import Sample

    sample = Sample(id=uuid.uuid4(), sample_no=f"C-{uuid.uuid4().hex[:8]}", facility_id=facility.id,
                    region_code=facility.region_code, product_name="白菜", food_category="vegetables",
                    quantity="1 kg", method="lab", sampled_at=facility.created_at, collected_by=inspector.id,
                    body_sha256="0" * 64)
    db.session.add(sample)
    db.session.flush()
    return sample


def _lot(facility):
    from backend.common.actor import Actor
    from backend.traceability import catalogue

    product = catalogue.create_product(Actor.system(), name="白菜", category="vegetables")
    return product, catalogue.create_lot(Actor.system(), lot_code="M-1", product_id=product.id,
                                         facility_id=facility.id, unit="kg")


def _attachment(inspector, check_id):
    """A PDF the check's inspector attached (a real file under the tests' MEDIA_ROOT)."""
    import io

    from backend.common.actor import Actor
    from backend.inspections.attachments import store_attachment

    actor = Actor(id=inspector.id, username=inspector.username, role="inspector", region_code="130502")
    return store_attachment(actor, uuid.uuid4(), "check", check_id, "application/pdf", io.BytesIO(PDF)).attachment


def _shape(path: str) -> str:
    return re.sub(r"<[^>]+>|\{[^}]+\}", "*", path.split("?")[0])


def test_every_api_route_is_in_the_matrix(app):
    """A new endpoint must be added to the matrix above (or get its own role tests)."""
    covered = {_shape(path) for _, path, *_ in MATRIX}
    covered |= {"/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/me/password", "/api/v1/users/*",
                "/api/v1/regions/*"}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1") and "docs" not in rule.rule:
            assert _shape(rule.rule) in covered, f"{rule.rule} has no authorisation test"


def _operation_statuses(spec: dict) -> dict[tuple[str, str], set[str]]:
    return {(method.upper(), _shape(path)): set(operation.get("responses", {}))
            for path, item in spec["paths"].items() for method, operation in item.items() if method != "parameters"}


def test_every_endpoint_that_can_answer_403_declares_it(app):
    """The OpenAPI document tells every status a view answers: a 403 in the matrix is declared."""
    statuses = _operation_statuses(app.test_client().get("/api/v1/openapi.json").get_json())
    undeclared = sorted({f"{method} {_shape(path)}" for method, path, _, expected, default in MATRIX
                         if 403 in (default, *expected.values())
                         and "403" not in statuses[(method, _shape(path))]})
    assert undeclared == []
