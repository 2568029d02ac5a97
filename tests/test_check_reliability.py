"""Nothing an inspector submits is lost or duplicated: concurrent resends, batches (DESIGN.md §5)."""
import threading

import pytest

from backend.extensions import db
from backend.inspections.models import Check
from tests.factories import check_body
from tests.helpers import assert_problem

BATCH = "/api/v1/checks:batch"


@pytest.mark.committing
def test_twenty_concurrent_uploads_of_one_check_store_one_row(app, committed_field):
    field = committed_field(114.47, 37.10)
    body = check_body(field["template"], field["facility"], failed=("G1",))
    barrier = threading.Barrier(20)
    answers = []

    def upload():
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/checks", json=body, headers=field["headers"])
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=upload) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * 19 + [201], answers[0]
    assert all(answer == answers[0][1] for _, answer in answers)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Check).where(Check.id == body["id"])) == 1
        assert db.session.scalar(db.select(db.func.count()).select_from(Check)
                                 .where(Check.facility_id == field["facility"].id)) == 1


@pytest.mark.committing
def test_a_bad_check_in_a_batch_does_not_sink_the_other_99(app, committed_field):
    field = committed_field(114.47, 37.12)
    bodies = [check_body(field["template"], field["facility"]) for _ in range(100)]
    bodies[49]["results"] = bodies[49]["results"][:1]  # the 50th misses an item
    response = app.test_client().post(BATCH, json={"checks": bodies}, headers=field["headers"])
    assert response.status_code == 200
    summary = response.get_json()
    assert (summary["created"], summary["refused"]) == (99, 1)
    bad = summary["results"][49]
    assert bad["status"] == "invalid" and bad["http_status"] == 422 and bad["problem"]["code"] == "results_mismatch"
    with app.app_context():  # committed, each on its own: visible from a fresh session
        stored = set(db.session.scalars(db.select(Check.id).where(Check.facility_id == field["facility"].id)))
    assert {str(check_id) for check_id in stored} == {body["id"] for i, body in enumerate(bodies) if i != 49}




def test_batch_reports_each_check_on_its_own(client, field):
    first = check_body(field["template"], field["facility"])
    client.post("/api/v1/checks", json=first, headers=field["headers"])
    reused = dict(first, note="another body")
    malformed = {"id": "not-a-uuid"}
    fresh = check_body(field["template"], field["facility"])
    response = client.post(BATCH, json={"checks": [first, reused, malformed, "nonsense", fresh]},
                           headers=field["headers"])
    results = response.get_json()["results"]
    assert [item["status"] for item in results] == ["replayed", "conflict", "invalid", "invalid", "created"]
    assert [item["http_status"] for item in results] == [200, 409, 422, 422, 201]
    assert "id" in results[2]["problem"]["errors"]
    assert results[4]["check"]["id"] == fresh["id"]


def test_a_batch_holds_at_most_100_checks(client, field):
    bodies = [check_body(field["template"], field["facility"]) for _ in range(101)]
    problem = assert_problem(client.post(BATCH, json={"checks": bodies}, headers=field["headers"]), 422)
    assert "checks" in problem["errors"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Check)
                             .where(Check.facility_id == field["facility"].id)) == 0
