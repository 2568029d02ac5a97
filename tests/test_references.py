"""A body naming an object that does not exist is the client's mistake: a 422 naming the
field, checked before the insert — never a foreign-key violation answered as "409, retry"."""
import uuid

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from backend.errors import integrity_refusal, referencing_columns
from backend.extensions import db
from tests.factories import check_body
from tests.helpers import assert_problem
from tests.test_sampling import sample_body


@pytest.fixture
def sampling(field, supervisor):
    from backend.common.actor import Actor
    from backend.traceability import catalogue

    system = Actor.system()
    product = catalogue.create_product(system, name="菠菜", category="leafy vegetables")
    lot = catalogue.create_lot(system, lot_code="REF-1", product_id=product.id, facility_id=field["facility"].id,
                               unit="kg")
    return {**field, "lot": lot}


@pytest.mark.parametrize("name", ["check_id", "producer_facility_id", "lot_id", "task_id", "facility_id"])
def test_a_sample_naming_a_missing_object_is_422_naming_the_field(client, sampling, name):
    body = sample_body(sampling, **{name: str(uuid.uuid4())})
    problem = assert_problem(client.post("/api/v1/samples", json=body, headers=sampling["headers"]), 422)
    assert problem["field"] == name and list(problem["errors"]) == [name]
    assert client.get(f"/api/v1/samples/{body['id']}", headers=sampling["headers"]).status_code == 404


def test_a_sample_may_name_a_check_made_at_its_facility(client, sampling):
    check = check_body(sampling["template"], sampling["facility"])
    assert client.post("/api/v1/checks", json=check, headers=sampling["headers"]).status_code == 201
    body = sample_body(sampling, check_id=check["id"], producer_facility_id=str(sampling["facility"].id))
    answer = client.post("/api/v1/samples", json=body, headers=sampling["headers"])
    assert answer.status_code == 201 and answer.get_json()["check_id"] == check["id"]


@pytest.mark.parametrize("name", ["facility_id", "task_id"])
def test_a_check_naming_a_missing_object_is_422_naming_the_field(client, field, name):
    body = check_body(field["template"], field["facility"], **{name: str(uuid.uuid4())})
    problem = assert_problem(client.post("/api/v1/checks", json=body, headers=field["headers"]), 422)
    assert problem["field"] == name and list(problem["errors"]) == [name]


def _foreign_key_violation(statement: str) -> sa_exc.IntegrityError:
    savepoint = db.session.begin_nested()
    try:
        db.session.execute(text(statement))
    except sa_exc.IntegrityError as error:
        savepoint.rollback()
        return error
    raise AssertionError("no foreign-key violation")


def test_a_foreign_key_violation_is_a_422_naming_its_column(field):
    error = _foreign_key_violation(
        f"UPDATE facilities SET cell_id = '{uuid.uuid4()}' WHERE id = '{field['facility'].id}'")
    refusal = integrity_refusal(error, db.metadata)
    assert (refusal.status, refusal.code, refusal.extra["field"]) == (422, "unknown_reference", "cell_id")
    assert list(refusal.extra["errors"]) == ["cell_id"]
    assert integrity_refusal(error).extra["field"] == "cell_id"  # without the models: from PostgreSQL's detail


def test_deleting_a_row_still_referenced_is_a_conflict(field):
    error = _foreign_key_violation(f"DELETE FROM cells WHERE id = '{field['cell'].id}'")
    assert (integrity_refusal(error, db.metadata).status, integrity_refusal(error).code) == (409, "still_referenced")


def test_other_integrity_errors_stay_a_retryable_conflict(field):
    savepoint = db.session.begin_nested()
    with pytest.raises(sa_exc.IntegrityError) as raised:
        db.session.execute(text(f"INSERT INTO checklist_templates SELECT * FROM checklist_templates "
                                f"WHERE id = '{field['template'].id}'"))
    savepoint.rollback()
    assert (integrity_refusal(raised.value).status, integrity_refusal(raised.value).code) == (409, "conflict")


def test_the_column_comes_from_the_naming_convention_or_the_detail():
    assert referencing_columns("fk_samples_producer_facility_id_facilities", "samples", db.metadata) == [
        "producer_facility_id"]
    assert referencing_columns("fk_new_table_check_id_checks", "new_table", db.metadata) == ["check_id"]
    assert referencing_columns(None, None, None, 'Key (lot_id)=(abc) is not present in table "lots".') == ["lot_id"]


def test_the_error_handler_answers_a_foreign_key_violation_with_422(make_app, field):
    from flask import Blueprint

    from backend.auth.guard import public

    app = make_app()
    broken = Blueprint("unchecked", __name__)

    @broken.post("/api/v1/test-unchecked-reference")
    @public
    def unchecked():
        db.session.execute(text(f"UPDATE facilities SET cell_id = '{uuid.uuid4()}' "
                                f"WHERE id = '{field['facility'].id}'"))

    app.register_blueprint(broken)
    problem = assert_problem(app.test_client().post("/api/v1/test-unchecked-reference"), 422, "unknown_reference")
    assert problem["errors"] == {"cell_id": ["Refers to something that does not exist."]}
