"""Concurrency in sampling: twenty resends of one sample store it once and all answer it;
two lab clerks issue one sample's verdict at the same moment: one verdict, one escalation."""
import threading
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backend.auth.models import User
from backend.auth.tokens import issue_pair, open_family
from backend.common.actor import Actor
from backend.extensions import db
from backend.inspections.models import InspectionTask
from backend.recalls.models import Recall
from backend.sampling.limits import create_limit
from backend.sampling.models import CreditEvent, Sample
from backend.traceability import catalogue
from tests.factories import PASSWORD, password_hash


@pytest.mark.committing
def test_concurrent_verdicts_escalate_exactly_once(app, committed_field, committed):
    field = committed_field(114.47, 37.10)
    client = app.test_client()
    with app.app_context():
        system = Actor.system()
        limit = create_limit(system, analyte=f"lead-{uuid.uuid4().hex[:6]}", food_category="race vegetables",
                             unit="mg/kg", standard="GB 2762", valid_from=date(2021, 1, 1), max_value=Decimal("0.1"))
        product = catalogue.create_product(system, name="芹菜", category="race vegetables")
        lot = catalogue.create_lot(system, lot_code="RACE-1", product_id=product.id,
                                   facility_id=field["facility"].id, unit="kg")
        lab = User(username=f"lab-{uuid.uuid4().hex[:8]}", display_name="lab", role="lab", region_code="130500",
                   password_hash=password_hash(PASSWORD))
        db.session.add(lab)
        db.session.flush()
        lab_headers = {"Authorization": f"Bearer {issue_pair(lab, open_family(lab)).access_token}"}
        committed["limits"].append(limit.id)
        committed["users"].append(lab.id)
        analyte, lot_id = limit.analyte, str(lot.id)
        db.session.commit()
    sample_id = str(uuid.uuid4())
    body = {"id": sample_id, "sample_no": f"RACE-{sample_id[:8]}", "facility_id": str(field["facility"].id),
            "lot_id": lot_id, "product_name": "芹菜", "food_category": "race vegetables", "quantity": "1 kg",
            "method": "lab", "sampled_at": datetime(2026, 11, 20, tzinfo=timezone.utc).isoformat()}
    url = f"/api/v1/samples/{sample_id}"
    assert client.post("/api/v1/samples", json=body, headers=field["headers"]).status_code == 201
    client.post(f"{url}/receive", json={"lab_name": "检验中心"}, headers=lab_headers)
    client.post(f"{url}/results", json={"results": [{"analyte": analyte, "value": 0.5, "unit": "mg/kg",
                                                     "method": "GB 5009.12"}]}, headers=lab_headers)
    barrier, answers = threading.Barrier(8), []

    def issue():
        own = app.test_client()
        barrier.wait()
        answers.append(own.post(f"{url}/verdict", json={}, headers=lab_headers).status_code)

    threads = [threading.Thread(target=issue) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * 8
    with app.app_context():
        count = func.count()
        assert db.session.scalar(select(count).select_from(Recall).where(Recall.sample_id == sample_id)) == 1
        assert db.session.scalar(select(count).select_from(CreditEvent).where(CreditEvent.source_id == sample_id)) == 1
        assert db.session.scalar(select(count).select_from(InspectionTask).where(
            InspectionTask.facility_id == field["facility"].id, InspectionTask.kind == "follow_up")) == 1


def _sample_body(field, **overrides) -> dict:
    sample_id = str(uuid.uuid4())
    return {"id": sample_id, "sample_no": f"RACE-{sample_id[:8]}", "facility_id": str(field["facility"].id),
            "product_name": "芹菜", "food_category": "race vegetables", "quantity": "1 kg", "method": "lab",
            "sampled_at": datetime(2026, 11, 20, tzinfo=timezone.utc).isoformat(), **overrides}


def _race(app, bodies, headers) -> list[tuple[int, dict]]:
    barrier, answers = threading.Barrier(len(bodies)), []

    def upload(body):
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/samples", json=body, headers=headers)
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=upload, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _stored_samples(app, field) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Sample)
                                 .where(Sample.facility_id == field["facility"].id))


@pytest.mark.committing
def test_twenty_concurrent_uploads_of_one_sample_store_it_once_and_all_answer_it(app, committed_field):
    field = committed_field(114.47, 37.16)
    body = _sample_body(field)
    answers = _race(app, [body] * 20, field["headers"])
    assert sorted(status for status, _ in answers) == [200] * 19 + [201], answers
    assert all(answer == answers[0][1] for _, answer in answers)
    assert _stored_samples(app, field) == 1


@pytest.mark.committing
def test_concurrent_samples_under_one_seal_number_store_one(app, committed_field):
    field = committed_field(114.47, 37.12)
    first = _sample_body(field)
    bodies = [first] * 5 + [_sample_body(field, sample_no=first["sample_no"]) for _ in range(5)]
    answers = _race(app, bodies, field["headers"])
    codes = sorted((status, (answer.get("code") if status >= 400 else None) or "") for status, answer in answers)
    assert [status for status, _ in codes if status < 300] in ([200] * 4 + [201], [201])  # which id wins varies
    assert {code for status, code in codes if status >= 400} == {"duplicate_sample_no"}
    assert _stored_samples(app, field) == 1
