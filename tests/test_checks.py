"""Field checks from phones (DESIGN.md §5): idempotent uploads, outcome, flags, scope."""
from datetime import datetime, timedelta, timezone

import pytest
from geoalchemy2.shape import to_shape

from backend.extensions import db
from backend.inspections.models import Check, InspectionTask
from grid.crs import wgs84_to_gcj02
from tests.factories import check_body
from tests.helpers import assert_problem

URL = "/api/v1/checks"




def submit(client, field, **overrides):
    body = check_body(field["template"], field["facility"], **overrides)
    return client.post(URL, json=body, headers=field["headers"]), body


def test_check_is_stored_with_server_time_and_distance(client, field):
    response, body = submit(client, field)
    assert response.status_code == 201, response.get_json()
    check = response.get_json()
    assert check["id"] == body["id"] and check["outcome"] == "compliant"
    assert check["flags"] == [] and 15 < check["distance_m"] < 30
    assert check["received_at"] and check["template_version"] == field["template"].version
    assert check["rectification_order"] is None


def test_resending_the_same_check_answers_the_stored_one(client, field):
    first, body = submit(client, field)
    again = client.post(URL, json=body, headers=field["headers"])
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert _stored(field) == 1


def test_sending_time_may_change_between_retries(client, field):
    first, body = submit(client, field, sent_at=datetime.now(timezone.utc).isoformat())
    body["sent_at"] = (datetime.now(timezone.utc) + timedelta(seconds=30)).isoformat()
    assert client.post(URL, json=body, headers=field["headers"]).status_code == 200


def test_same_id_with_another_body_is_a_conflict(client, field):
    _, body = submit(client, field)
    body["note"] = "changed my mind"
    assert_problem(client.post(URL, json=body, headers=field["headers"]), 409, "check_id_reused")


def test_an_id_used_by_another_user_is_a_conflict(client, field, make_user, assign, auth_headers):
    _, body = submit(client, field)
    colleague = make_user("inspector")
    assign(field["cell"], colleague, action="add_member")
    assert_problem(client.post(URL, json=body, headers=auth_headers(colleague)), 409, "check_id_taken")


@pytest.mark.parametrize(("failed", "outcome"), [
    ((), "compliant"),
    (("G1",), "basically_compliant"),
    (tuple(f"G{n}" for n in range(1, 8)), "basically_compliant"),  # 7 general failures, threshold 8
    (tuple(f"G{n}" for n in range(1, 9)), "non_compliant"),  # 8 reach the threshold
    (("K1",), "non_compliant"),
])
def test_outcome_follows_key_items_and_threshold(client, field, failed, outcome):
    response, _ = submit(client, field, failed=failed)
    assert response.get_json()["outcome"] == outcome


def test_not_applicable_items_do_not_count(client, field):
    response, body = submit(client, field)
    body = check_body(field["template"], field["facility"])
    body["results"][0]["result"] = "na"  # a key item that does not apply
    assert client.post(URL, json=body, headers=field["headers"]).get_json()["outcome"] == "compliant"


def _stored(field):
    return db.session.scalar(db.select(db.func.count()).select_from(Check)
                             .where(Check.facility_id == field["facility"].id))


def test_unknown_template_version_is_refused(client, field):
    response, _ = submit(client, field, template_version=99)
    assert_problem(response, 422, "unknown_template_version")
    assert _stored(field) == 0


def test_results_must_match_the_template(client, field):
    body = check_body(field["template"], field["facility"])
    body["results"] = body["results"][1:] + [{"item": "X9", "result": "pass"}]
    problem = assert_problem(client.post(URL, json=body, headers=field["headers"]), 422, "results_mismatch")
    assert "K1" in problem["errors"]["results"][0]
    assert "X9" in problem["errors"][f"results.{len(body['results']) - 1}.item"][0]
    assert _stored(field) == 0


def test_an_item_answered_twice_is_refused(client, field):
    body = check_body(field["template"], field["facility"])
    body["results"].append(dict(body["results"][0]))
    assert_problem(client.post(URL, json=body, headers=field["headers"]), 422, "results_mismatch")


def test_facility_outside_the_inspectors_cells_is_answered_as_unknown(client, field, make_facility):
    elsewhere = make_facility(lon=114.60, lat=37.20)
    body = check_body(field["template"], elsewhere)
    assert_problem(client.post(URL, json=body, headers=field["headers"]), 422, "unknown_facility")
    assert _stored(field) == 0


def test_a_task_assigned_to_the_inspector_allows_a_facility_elsewhere(client, field, make_facility):
    elsewhere = make_facility(lon=114.60, lat=37.20)
    task = InspectionTask(kind="complaint", facility_id=elsewhere.id, region_code=elsewhere.region_code,
                          assignee_id=field["inspector"].id, due_at=datetime.now(timezone.utc) + timedelta(days=3))
    db.session.add(task)
    db.session.flush()
    body = check_body(field["template"], elsewhere, task_id=str(task.id))
    assert client.post(URL, json=body, headers=field["headers"]).status_code == 201
    db.session.refresh(task)
    assert task.status == "done" and task.completed_at is not None


def test_a_task_of_another_facility_is_refused(client, field, make_facility):
    other = make_facility()
    task = InspectionTask(kind="routine", facility_id=other.id, region_code=other.region_code,
                          assignee_id=field["inspector"].id, due_at=datetime.now(timezone.utc))
    db.session.add(task)
    db.session.flush()
    response, _ = submit(client, field, task_id=str(task.id))
    assert_problem(response, 422, "unknown_task")


def test_labs_and_enterprises_do_not_submit_checks(client, field, make_user, auth_headers):
    body = check_body(field["template"], field["facility"])
    assert_problem(client.post(URL, json=body, headers=auth_headers(make_user("lab"))), 403)


# ---------------------------------------------------------------- suspicious data: stored and flagged

@pytest.mark.parametrize(("location", "flag"), [
    (None, "no_location"),
    ({"type": "Point", "coordinates": [0, 0]}, "location_invalid"),
    ({"type": "Point", "coordinates": [2.35, 48.85]}, "location_invalid"),  # Paris: outside China
    ({"type": "Point", "coordinates": [114.60, 37.20]}, "outside_geofence"),
])
def test_suspicious_locations_are_stored_and_flagged(client, field, location, flag):
    response, _ = submit(client, field, location=location)
    assert response.status_code == 201
    assert flag in response.get_json()["flags"]


def test_far_away_check_records_the_distance(client, field):
    response, _ = submit(client, field, location={"type": "Point", "coordinates": [114.60, 37.20]})
    assert response.get_json()["distance_m"] > 10_000


def test_gcj02_locations_are_converted_before_measuring(client, field):
    point = to_shape(field["facility"].location)
    lon, lat = wgs84_to_gcj02(point.x, point.y)  # about 500 m off in WGS-84 terms
    response, _ = submit(client, field, location={"type": "Point", "coordinates": [lon, lat]}, crs="gcj02")
    check = response.get_json()
    assert check["flags"] == [] and check["distance_m"] < 1


def test_device_clock_far_from_server_is_flagged(client, field):
    response, _ = submit(client, field, sent_at=(datetime.now(timezone.utc) - timedelta(hours=3)).isoformat())
    assert response.status_code == 201 and response.get_json()["flags"] == ["clock_skew"]


def test_check_finished_in_the_future_is_flagged(client, field):
    future = datetime.now(timezone.utc) + timedelta(days=1)
    response, _ = submit(client, field, started_at=future.isoformat(),
                         finished_at=(future + timedelta(minutes=5)).isoformat())
    assert "clock_skew" in response.get_json()["flags"]


def test_offline_upload_hours_later_is_not_skew(client, field):
    hours_ago = datetime.now(timezone.utc) - timedelta(hours=6)
    response, _ = submit(client, field, started_at=hours_ago.isoformat(),
                         finished_at=(hours_ago + timedelta(minutes=30)).isoformat(),
                         sent_at=datetime.now(timezone.utc).isoformat())
    assert response.get_json()["flags"] == []


# ---------------------------------------------------------------- reading

def test_supervisor_lists_flagged_checks_of_the_region(client, field, supervisor, auth_headers):
    submit(client, field)
    submit(client, field, location=None)
    listing = client.get(f"{URL}?flagged=true", headers=auth_headers(supervisor))
    assert [check["flags"] for check in listing.get_json()] == [["no_location"]]


def test_other_inspectors_do_not_see_the_check(client, field, make_user, auth_headers):
    response, body = submit(client, field)
    outsider = auth_headers(make_user("inspector"))
    assert_problem(client.get(f"{URL}/{body['id']}", headers=outsider), 404)
    assert client.get(f"{URL}/{body['id']}", headers=field["headers"]).get_json() == response.get_json()
