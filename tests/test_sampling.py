"""Sampling and lab results (DESIGN.md §6): verdicts at the boundary, units, escalation once,
re-test windows in working days."""
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from backend.auth.actor import Actor
from backend.extensions import db
from backend.inspections.models import InspectionTask
from backend.recalls.models import Recall
from backend.sampling.limits import create_limit, judge
from backend.sampling.models import CreditEvent, TestResult
from backend.traceability import catalogue
from tests.helpers import assert_problem

SAMPLED = datetime(2026, 11, 20, 2, tzinfo=timezone.utc)  # Friday 10:00 in Shanghai


@pytest.fixture
def lab_setup(field, make_user, auth_headers):
    system = Actor.system()
    create_limit(system, analyte="chlorpyrifos", food_category="leafy vegetables", unit="mg/kg", standard="GB 2763",
                 valid_from=date(2021, 9, 3), max_value=Decimal("0.02"))
    create_limit(system, analyte="clenbuterol", food_category="leafy vegetables", unit="µg/kg",
                 standard="prohibited", valid_from=date(2021, 9, 3), must_not_detect=True, lod=Decimal("0.5"))
    product = catalogue.create_product(system, name="菠菜", category="leafy vegetables")
    lot = catalogue.create_lot(system, lot_code="S-1", product_id=product.id, facility_id=field["facility"].id,
                               unit="kg")
    owner = make_user("enterprise", facility_id=field["facility"].id)
    return {**field, "lab": auth_headers(make_user("lab", "130500")), "lot": lot, "owner": auth_headers(owner)}


def sample_body(setup, **overrides):
    return {"id": str(uuid.uuid4()), "sample_no": f"SEAL-{uuid.uuid4().hex[:8]}",
            "facility_id": str(setup["facility"].id), "lot_id": str(setup["lot"].id), "product_name": "菠菜",
            "food_category": "leafy vegetables", "quantity": "3 × 500 g", "method": "lab",
            "sampled_at": SAMPLED.isoformat(), **overrides}


def in_lab(client, setup, **overrides):
    body = sample_body(setup, **overrides)
    assert client.post("/api/v1/samples", json=body, headers=setup["headers"]).status_code == 201
    url = f"/api/v1/samples/{body['id']}"
    assert client.post(f"{url}/receive", json={"lab_name": "邢台市检验中心"}, headers=setup["lab"]).status_code == 200
    return url


def results(client, setup, url, value, unit="mg/kg", analyte="chlorpyrifos", **extra):
    entry = {"analyte": analyte, "value": value, "unit": unit, "method": "GB 23200.113-2018", **extra}
    return client.post(f"{url}/results", json={"results": [entry]}, headers=setup["lab"])


@pytest.mark.parametrize(("value", "unit", "verdict"), [
    (0.02, "mg/kg", "pass"),  # equal to the limit passes
    (0.0201, "mg/kg", "fail"),
    (20, "µg/kg", "pass"),  # converted: 20 µg/kg = 0.02 mg/kg
    (21, "µg/kg", "fail"),
])
def test_a_value_above_the_limit_fails_and_equal_passes(client, lab_setup, value, unit, verdict):
    url = in_lab(client, lab_setup)
    answer = results(client, lab_setup, url, value, unit).get_json()
    assert answer["results"][0]["verdict"] == verdict


@pytest.mark.parametrize(("value", "verdict"), [(0.49, "pass"), (0.5, "fail"), (3, "fail")])
def test_must_not_be_detected_fails_from_the_lod(client, lab_setup, value, verdict):
    url = in_lab(client, lab_setup)
    answer = results(client, lab_setup, url, value, "µg/kg", analyte="clenbuterol").get_json()
    assert answer["results"][0]["verdict"] == verdict


def test_judge_without_lod_fails_any_detection():
    from backend.sampling.models import Limit
    limit = Limit(must_not_detect=True, lod=None)
    assert judge(limit, Decimal(0), None) == "pass" and judge(limit, Decimal("0.001"), None) == "fail"


@pytest.mark.parametrize(("entry", "status", "code"), [
    ({"value": -1}, 422, None),
    ({"value": "abc"}, 422, None),
    ({"analyte": "unobtainium"}, 422, "no_limit"),
    ({"unit": "CFU/g"}, 422, "unit_mismatch"),
])
def test_bad_results_are_refused_and_nothing_is_written(client, lab_setup, entry, status, code):
    url = in_lab(client, lab_setup)
    body = {"analyte": "chlorpyrifos", "value": 0.01, "unit": "mg/kg", "method": "m", **entry}
    assert_problem(client.post(f"{url}/results", json={"results": [body]}, headers=lab_setup["lab"]), status, code)
    assert db.session.scalar(db.select(db.func.count()).select_from(TestResult)) == 0


def test_results_wait_for_the_lab_to_receive_the_sample(client, lab_setup):
    body = sample_body(lab_setup)
    client.post("/api/v1/samples", json=body, headers=lab_setup["headers"])
    response = results(client, lab_setup, f"/api/v1/samples/{body['id']}", 0.01)
    assert_problem(response, 409, "sample_not_in_lab")


def test_a_lab_outside_the_region_is_refused(client, lab_setup, make_user, auth_headers):
    url = in_lab(client, lab_setup)
    elsewhere = auth_headers(make_user("lab", "130503"))
    assert_problem(results(client, {**lab_setup, "lab": elsewhere}, url, 0.01), 404)


def _escalations(sample_id):
    return (db.session.scalar(db.select(db.func.count()).select_from(Recall).where(Recall.sample_id == sample_id)),
            db.session.scalar(db.select(db.func.count()).select_from(CreditEvent)
                              .where(CreditEvent.source_id == sample_id)))


def test_unqualified_verdict_escalates_once(client, lab_setup):
    url = in_lab(client, lab_setup)
    results(client, lab_setup, url, 0.05)
    first = client.post(f"{url}/verdict", json={}, headers=lab_setup["lab"]).get_json()
    again = client.post(f"{url}/verdict", json={}, headers=lab_setup["lab"]).get_json()
    assert first["status"] == "unqualified" and again["follow_up_task_id"] == first["follow_up_task_id"]
    task = db.session.get(InspectionTask, first["follow_up_task_id"])
    assert task.kind == "follow_up" and task.assignee_id == lab_setup["inspector"].id
    assert _escalations(uuid.UUID(first["id"])) == (1, 1)
    recall = db.session.scalar(db.select(Recall).where(Recall.sample_id == uuid.UUID(first["id"])))
    assert recall.status == "proposed" and [lot.lot_id for lot in recall.lots] == [lab_setup["lot"].id]


def test_qualified_verdict_escalates_nothing(client, lab_setup):
    url = in_lab(client, lab_setup)
    results(client, lab_setup, url, 0.01)
    answer = client.post(f"{url}/verdict", json={}, headers=lab_setup["lab"]).get_json()
    assert answer["status"] == "qualified" and answer["follow_up_task_id"] is None


def test_without_a_known_lot_there_is_no_recall_proposal(client, lab_setup):
    url = in_lab(client, lab_setup, lot_id=None, lot_code="BATCH-7", producer_name="某蔬菜基地")
    results(client, lab_setup, url, 0.05)
    answer = client.post(f"{url}/verdict", json={}, headers=lab_setup["lab"]).get_json()
    assert _escalations(uuid.UUID(answer["id"])) == (0, 1)


def test_results_are_immutable_after_the_verdict_and_amendments_keep_both(client, lab_setup):
    url = in_lab(client, lab_setup)
    entered = results(client, lab_setup, url, 0.01).get_json()
    client.post(f"{url}/verdict", json={}, headers=lab_setup["lab"])
    assert_problem(results(client, lab_setup, url, 0.03), 409)
    old = entered["results"][0]["id"]
    amended = client.post(f"{url}/results/{old}/amend", headers=lab_setup["lab"], json={
        "analyte": "chlorpyrifos", "value": 0.03, "unit": "mg/kg", "method": "m", "reason": "transcription"})
    body = amended.get_json()
    assert len(body["results"]) == 2 and body["status"] == "unqualified"
    assert {r["id"]: r["superseded_by"] for r in body["results"]}[old] is not None


def test_a_later_limit_does_not_judge_an_earlier_sample(client, lab_setup):
    create_limit(Actor.system(), analyte="chlorpyrifos", food_category="leafy vegetables", unit="mg/kg",
                 standard="GB 2763-2030", valid_from=date(2026, 12, 1), max_value=Decimal("0.001"))
    url = in_lab(client, lab_setup)
    assert results(client, lab_setup, url, 0.01).get_json()["results"][0]["verdict"] == "pass"


def test_the_same_sample_twice_is_stored_once(client, lab_setup):
    body = sample_body(lab_setup)
    first = client.post("/api/v1/samples", json=body, headers=lab_setup["headers"])
    again = client.post("/api/v1/samples", json=body, headers=lab_setup["headers"])
    assert (first.status_code, again.status_code) == (201, 200)
    other = sample_body(lab_setup, sample_no=body["sample_no"])
    assert_problem(client.post("/api/v1/samples", json=other, headers=lab_setup["headers"]), 409,
                   "duplicate_sample_no")


# ---------------------------------------------------------------- re-tests

def _unqualified(client, setup, monkeypatch, notified):
    _at(monkeypatch, notified - timedelta(hours=1))  # the lab's verdict, an hour before the business is told
    url = in_lab(client, setup)
    results(client, setup, url, 0.05)
    client.post(f"{url}/verdict", json={}, headers=setup["lab"])
    _at(monkeypatch, notified)
    assert client.post(f"{url}/notify", json={"notified_at": notified.isoformat()},
                       headers=setup["headers"]).status_code == 200
    return url


def _at(monkeypatch, moment):
    from backend.common import clock
    monkeypatch.setattr(clock, "now", lambda: moment)


def _retest(client, setup, url, method="lab"):
    return client.post(f"{url}/retest-request", json={"method": method, "reason": "我们不认可"},
                       headers=setup["owner"])


def test_retest_within_seven_working_days_across_a_weekend(client, lab_setup, monkeypatch):
    notified = datetime(2026, 11, 20, 7, tzinfo=timezone.utc)  # Friday 15:00 Shanghai
    url = _unqualified(client, lab_setup, monkeypatch, notified)
    _at(monkeypatch, datetime(2026, 12, 1, 15, tzinfo=timezone.utc))  # Tuesday 23:00: the 7th working day
    assert _retest(client, lab_setup, url).status_code == 201


def test_retest_after_the_window_is_refused(client, lab_setup, monkeypatch):
    notified = datetime(2026, 11, 20, 7, tzinfo=timezone.utc)
    url = _unqualified(client, lab_setup, monkeypatch, notified)
    _at(monkeypatch, datetime(2026, 12, 1, 16, 30, tzinfo=timezone.utc))  # Wednesday 00:30 Shanghai
    body = assert_problem(_retest(client, lab_setup, url), 422, "retest_window_closed")
    assert body["window_ends_at"].startswith("2026-12-01")


def test_a_holiday_extends_the_window(client, lab_setup, monkeypatch, admin, auth_headers):
    client.put("/api/v1/calendar/days/2026-11-30", json={"kind": "holiday", "name": "测试假日"},
               headers=auth_headers(admin))
    notified = datetime(2026, 11, 20, 7, tzinfo=timezone.utc)
    url = _unqualified(client, lab_setup, monkeypatch, notified)
    _at(monkeypatch, datetime(2026, 12, 2, 10, tzinfo=timezone.utc))  # Wednesday: now the 7th working day
    assert _retest(client, lab_setup, url).status_code == 201


def test_rapid_test_window_is_four_hours_and_not_rapid_again(client, lab_setup, monkeypatch):
    body = sample_body(lab_setup, method="rapid", lot_id=None,
                       rapid_results=[{"analyte": "organophosphates", "result": "positive", "kit": "酶抑制法"}])
    created = client.post("/api/v1/samples", json=body, headers=lab_setup["headers"]).get_json()
    assert created["status"] == "unqualified" and created["follow_up_task_id"] is None
    url = f"/api/v1/samples/{body['id']}"
    _at(monkeypatch, SAMPLED + timedelta(hours=3, minutes=59))
    assert_problem(_retest(client, lab_setup, url, method="rapid"), 422, "rapid_retest")
    _at(monkeypatch, SAMPLED + timedelta(hours=4, minutes=1))
    assert_problem(_retest(client, lab_setup, url), 422, "retest_window_closed")


def _rapid_positive(client, setup):
    body = sample_body(setup, method="rapid", lot_id=None,
                       rapid_results=[{"analyte": "organophosphates", "result": "positive", "kit": "酶抑制法"}])
    assert client.post("/api/v1/samples", json=body, headers=setup["headers"]).status_code == 201
    return f"/api/v1/samples/{body['id']}"


@pytest.mark.parametrize("after, accepted", [(timedelta(hours=4, seconds=-1), True), (timedelta(hours=4), True),
                                             (timedelta(hours=4, seconds=1), False)])
def test_rapid_retest_is_accepted_until_the_fourth_hour_ends(client, lab_setup, monkeypatch, after, accepted):
    url = _rapid_positive(client, lab_setup)
    _at(monkeypatch, SAMPLED + after)
    response = _retest(client, lab_setup, url)
    if accepted:
        assert response.status_code == 201 and response.get_json()["status"] == "requested"
    else:
        assert_problem(response, 422, "retest_window_closed")


WINDOW_END = datetime.fromisoformat("2026-12-01T23:59:59.999999+08:00")  # 7 working days after Fri 20 Nov


@pytest.mark.parametrize("offset, accepted", [(-1, True), (0, True), (1, False)])
def test_lab_retest_window_ends_with_its_seventh_working_day(client, lab_setup, monkeypatch, offset, accepted):
    url = _unqualified(client, lab_setup, monkeypatch, datetime(2026, 11, 20, 7, tzinfo=timezone.utc))
    _at(monkeypatch, WINDOW_END + timedelta(microseconds=offset))
    assert _retest(client, lab_setup, url).status_code == (201 if accepted else 422)


@pytest.mark.parametrize("offset, accepted", [(timedelta(seconds=-1), False), (timedelta(0), True),
                                              (timedelta(seconds=1), True)])
def test_notification_cannot_precede_the_verdict(client, lab_setup, monkeypatch, offset, accepted):
    _at(monkeypatch, SAMPLED + timedelta(hours=1))
    url = in_lab(client, lab_setup)
    results(client, lab_setup, url, 0.05)
    verdict_at = datetime.fromisoformat(
        client.post(f"{url}/verdict", json={}, headers=lab_setup["lab"]).get_json()["verdict_at"])
    _at(monkeypatch, SAMPLED + timedelta(days=1))
    response = client.post(f"{url}/notify", json={"notified_at": (verdict_at + offset).isoformat()},
                           headers=lab_setup["headers"])
    if accepted:
        assert response.status_code == 200
    else:
        assert_problem(response, 422, "notified_at_out_of_range")
        assert client.get(url, headers=lab_setup["headers"]).get_json()["notified_at"] is None


@pytest.mark.parametrize("offset, accepted", [(timedelta(seconds=-1), True), (timedelta(0), True),
                                              (timedelta(seconds=1), False)])
def test_notification_cannot_be_in_the_future(client, lab_setup, monkeypatch, offset, accepted):
    _at(monkeypatch, SAMPLED + timedelta(hours=1))
    url = in_lab(client, lab_setup)
    results(client, lab_setup, url, 0.05)
    client.post(f"{url}/verdict", json={}, headers=lab_setup["lab"])
    now = SAMPLED + timedelta(days=1)
    _at(monkeypatch, now)
    response = client.post(f"{url}/notify", json={"notified_at": (now + offset).isoformat()},
                           headers=lab_setup["headers"])
    assert response.status_code == (200 if accepted else 422)


def test_the_retest_lab_must_differ(client, lab_setup, monkeypatch, supervisor, auth_headers):
    url = _unqualified(client, lab_setup, monkeypatch, SAMPLED + timedelta(hours=5))
    assert _retest(client, lab_setup, url).status_code == 201
    decide = f"{url}/retest-request/decision"
    office = auth_headers(supervisor)
    assert_problem(client.post(decide, json={"accept": True, "lab_name": "邢台市检验中心"}, headers=office), 422)
    accepted = client.post(decide, json={"accept": True, "lab_name": "河北省检验研究院"}, headers=office)
    assert accepted.get_json()["status"] == "accepted"


def test_pass_rate_by_food_category(client, lab_setup, supervisor, auth_headers):
    for value in (0.01, 0.01, 0.05):
        url = in_lab(client, lab_setup)
        results(client, lab_setup, url, value)
        client.post(f"{url}/verdict", json={}, headers=lab_setup["lab"])
    rows = client.get("/api/v1/reports/pass-rate?group_by=food_category", headers=auth_headers(supervisor)).get_json()
    assert rows == [{"key": "leafy vegetables", "judged": 3, "qualified": 2, "rate": 0.6667}]


# ---------------------------------------------------------------- timelines (issue 12)

DELIVER_BY = datetime.fromisoformat("2026-11-27T23:59:59.999999+08:00")  # 5 working days after Fri 20 Nov
RECEIVED = datetime(2026, 11, 23, 2, tzinfo=timezone.utc)  # Monday 10:00 Shanghai
REPORT_BY = datetime.fromisoformat("2026-12-21T23:59:59.999999+08:00")  # 20 working days after Mon 23 Nov


def _overdue(client, setup):
    return [sample["id"] for sample in
            client.get("/api/v1/samples?overdue=true", headers=setup["headers"]).get_json()]


def _collected(client, setup):
    body = sample_body(setup)
    created = client.post("/api/v1/samples", json=body, headers=setup["headers"]).get_json()
    assert datetime.fromisoformat(created["lab_due_at"]) == DELIVER_BY
    return body["id"]


@pytest.mark.parametrize("offset, late", [(-1, False), (0, False), (1, True)])
def test_a_sample_not_in_the_lab_after_five_working_days_is_overdue(client, lab_setup, monkeypatch, offset, late):
    sample_id = _collected(client, lab_setup)
    _at(monkeypatch, DELIVER_BY + timedelta(microseconds=offset))
    assert (_overdue(client, lab_setup) == [sample_id]) is late


@pytest.mark.parametrize("offset, late", [(-1, False), (0, False), (1, True)])
def test_a_sample_unreported_twenty_working_days_after_receipt_is_overdue(client, lab_setup, monkeypatch, offset,
                                                                         late):
    _at(monkeypatch, RECEIVED)
    url = in_lab(client, lab_setup)
    assert datetime.fromisoformat(client.get(url, headers=lab_setup["headers"]).get_json()["report_due_at"]) \
        == REPORT_BY
    _at(monkeypatch, REPORT_BY + timedelta(microseconds=offset))
    assert (len(_overdue(client, lab_setup)) == 1) is late


def test_a_reported_sample_is_not_overdue(client, lab_setup, monkeypatch):
    _at(monkeypatch, RECEIVED)
    url = in_lab(client, lab_setup)
    results(client, lab_setup, url, 0.01)
    client.post(f"{url}/verdict", json={}, headers=lab_setup["lab"])
    _at(monkeypatch, REPORT_BY + timedelta(days=30))
    assert _overdue(client, lab_setup) == []
    assert len(client.get("/api/v1/samples?overdue=false", headers=lab_setup["headers"]).get_json()) == 1


REQUESTED = datetime(2026, 11, 23, 2, tzinfo=timezone.utc)  # Monday 10:00: answered by Monday 30 Nov
DECIDE_BY = datetime.fromisoformat("2026-11-30T23:59:59.999999+08:00")


def _requested(client, setup, monkeypatch):
    url = _unqualified(client, setup, monkeypatch, datetime(2026, 11, 20, 7, tzinfo=timezone.utc))
    _at(monkeypatch, REQUESTED)
    request = _retest(client, setup, url).get_json()
    assert datetime.fromisoformat(request["decide_by"]) == DECIDE_BY
    return url


@pytest.mark.parametrize("offset, late", [(-1, False), (0, False), (1, True)])
def test_a_retest_request_unanswered_after_five_working_days_is_overdue(client, lab_setup, monkeypatch, offset,
                                                                         late):
    _requested(client, lab_setup, monkeypatch)
    _at(monkeypatch, DECIDE_BY + timedelta(microseconds=offset))
    assert (len(_overdue(client, lab_setup)) == 1) is late


def test_an_answered_retest_request_is_not_overdue(client, lab_setup, monkeypatch, supervisor, auth_headers):
    url = _requested(client, lab_setup, monkeypatch)
    client.post(f"{url}/retest-request/decision", json={"accept": False}, headers=auth_headers(supervisor))
    _at(monkeypatch, DECIDE_BY + timedelta(days=1))
    assert _overdue(client, lab_setup) == []


def test_the_timelines_come_from_the_settings(client, lab_setup, app, monkeypatch):
    monkeypatch.setitem(app.config, "SAMPLE_DELIVERY_WORKING_DAYS", 1)
    body = sample_body(lab_setup)
    created = client.post("/api/v1/samples", json=body, headers=lab_setup["headers"]).get_json()
    assert created["lab_due_at"].startswith("2026-11-23")  # the first working day after Friday


def test_each_late_stage_of_a_sample_is_escalated_once_to_the_supervisors(client, lab_setup, monkeypatch,
                                                                            make_user):
    from backend.notifications import worker
    from backend.notifications.models import Notification

    boss = make_user("supervisor", "130502")
    sample_id = _collected(client, lab_setup)
    _at(monkeypatch, DELIVER_BY)
    assert worker.escalate_overdue() == 0
    _at(monkeypatch, DELIVER_BY + timedelta(seconds=1))
    assert worker.escalate_overdue() == 1
    assert worker.escalate_overdue() == 0
    url = f"/api/v1/samples/{sample_id}"
    received = client.post(f"{url}/receive", json={"lab_name": "邢台市检验中心"}, headers=lab_setup["lab"])
    assert received.status_code == 200
    assert worker.escalate_overdue() == 0  # in the lab now; the report is not due yet
    report_by = datetime.fromisoformat(client.get(url, headers=lab_setup["headers"]).get_json()["report_due_at"])
    _at(monkeypatch, report_by + timedelta(seconds=1))
    assert worker.escalate_overdue() == 1
    assert worker.escalate_overdue() == 0
    worker.process_batch()
    notes = db.session.query(Notification).filter_by(user_id=boss.id, topic="sample.overdue").all()
    assert sorted(note.payload["stage"] for note in notes) == ["delivery", "report"]
    assert all(note.payload["sample_id"] == sample_id for note in notes)
    assert any("送达检验机构" in note.body for note in notes)


def test_a_late_retest_decision_is_escalated_once(client, lab_setup, monkeypatch):
    from backend.notifications import worker
    from backend.notifications.models import OutboxEvent

    _requested(client, lab_setup, monkeypatch)
    _at(monkeypatch, DECIDE_BY + timedelta(seconds=1))
    assert worker.escalate_overdue() == 1
    assert worker.escalate_overdue() == 0
    events = db.session.query(OutboxEvent).filter_by(topic="sample.overdue").all()
    assert [event.payload["stage"] for event in events] == ["retest_decision"]


# ---------------------------------------------------------------- the re-test's own results (issue 12)

def _accepted(client, setup, monkeypatch, supervisor, auth_headers):
    url = _requested(client, setup, monkeypatch)
    decision = client.post(f"{url}/retest-request/decision", json={"accept": True, "lab_name": "河北省检验研究院"},
                           headers=auth_headers(supervisor))
    assert decision.status_code == 200
    return url


def test_the_retest_verdict_is_the_one_that_stands(client, lab_setup, monkeypatch, supervisor, auth_headers,
                                                   make_user):
    url = _accepted(client, lab_setup, monkeypatch, supervisor, auth_headers)
    second_lab = auth_headers(make_user("lab", "130500"))
    entry = {"analyte": "chlorpyrifos", "value": 0.01, "unit": "mg/kg", "method": "GB 23200.113-2018"}
    response = client.post(f"{url}/retest-results", json={"results": [entry]}, headers=second_lab)
    assert response.status_code == 200, response.get_json()
    sample = response.get_json()
    assert sample["status"] == "retested" and sample["final_verdict"] == "qualified"
    assert sample["retest_request"]["verdict"] == "qualified"
    retested = [result for result in sample["results"] if result["retest"]]
    assert [(r["lab_name"], r["verdict"]) for r in retested] == [("河北省检验研究院", "pass")]
    assert [r["verdict"] for r in sample["results"] if not r["retest"]] == ["fail"]  # the first stays on record
    again = client.post(f"{url}/retest-results", json={"results": [entry]}, headers=second_lab)
    assert_problem(again, 409, "retest_not_accepted")


def test_a_failing_retest_confirms_the_first_verdict(client, lab_setup, monkeypatch, supervisor, auth_headers,
                                                     make_user):
    url = _accepted(client, lab_setup, monkeypatch, supervisor, auth_headers)
    entry = {"analyte": "chlorpyrifos", "value": 0.03, "unit": "mg/kg", "method": "GB 23200.113-2018"}
    sample = client.post(f"{url}/retest-results", json={"results": [entry]},
                         headers=auth_headers(make_user("lab", "130500"))).get_json()
    assert (sample["status"], sample["final_verdict"]) == ("retested", "unqualified")


def test_the_first_lab_does_not_enter_the_retest(client, lab_setup, monkeypatch, supervisor, auth_headers):
    url = _accepted(client, lab_setup, monkeypatch, supervisor, auth_headers)
    entry = {"analyte": "chlorpyrifos", "value": 0.01, "unit": "mg/kg", "method": "GB 23200.113-2018"}
    assert_problem(client.post(f"{url}/retest-results", json={"results": [entry]}, headers=lab_setup["lab"]), 403,
                   "same_lab")


def test_retest_results_wait_for_the_acceptance(client, lab_setup, monkeypatch, make_user, auth_headers):
    url = _requested(client, lab_setup, monkeypatch)
    entry = {"analyte": "chlorpyrifos", "value": 0.01, "unit": "mg/kg", "method": "GB 23200.113-2018"}
    response = client.post(f"{url}/retest-results", json={"results": [entry]},
                           headers=auth_headers(make_user("lab", "130500")))
    assert_problem(response, 409, "retest_not_accepted")
