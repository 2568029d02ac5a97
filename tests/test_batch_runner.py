"""The one batch runner (backend/common/batch.py, `run_batch`): each item answered as a
single request would be, in its own transaction or savepoint; and batch-size limits applied
by the services, whoever calls them."""
import marshmallow as ma
import pytest
from sqlalchemy import exc as sa_exc

from backend.common.actor import Actor
from backend.common.batch import run_batch
from backend.common.domain_errors import Conflict, DomainError, RuleViolation
from backend.extensions import db
from backend.inspections.batch import submit_each
from backend.traceability.batch import record_batch
from backend.traceability.models import Lot
from tests.test_epcis import commissioning, document, post


class FakeSession:
    """Records what the runner commits and rolls back, and where."""

    def __init__(self):
        self.calls = []

    def begin_nested(self):
        session = self

        class Savepoint:
            def commit(self):
                session.calls.append("release")

            def rollback(self):
                session.calls.append("rollback to savepoint")

        return Savepoint()

    def commit(self):
        self.calls.append("commit")

    def rollback(self):
        self.calls.append("rollback")


def integrity_error():
    return sa_exc.IntegrityError("INSERT", {}, Exception("duplicate key"))


def handle(item):
    if isinstance(item, Exception):
        raise item
    return {"status": "created", "http_status": 201}


def run(items, isolation="commit", session=None):
    return run_batch(items, handle, session=session or FakeSession(), isolation=isolation, load=lambda item: item,
                     on_integrity=lambda error: Conflict("Stored meanwhile; retry."), key="id", noun="thing")


def test_each_item_is_answered_as_a_single_request_would_be():
    items = ["ok", ma.ValidationError({"name": ["Missing."]}), RuleViolation("No.", code="nope", field="x"),
             integrity_error(), RuntimeError("disk on fire")]
    results = run(items)
    assert [(item["http_status"], item["status"]) for item in results] == [
        (201, "created"), (422, "invalid"), (422, "invalid"), (409, "conflict"), (500, "internal")]
    assert results[1]["problem"]["errors"] == {"name": ["Missing."]}
    assert results[1]["problem"]["detail"] == "The thing is malformed."
    assert (results[2]["problem"]["code"], results[2]["problem"]["field"]) == ("nope", "x")
    assert "disk on fire" not in str(results[4])


@pytest.mark.parametrize("isolation, stored, refused", [("commit", "commit", "rollback"),
                                                         ("savepoint", "release", "rollback to savepoint")])
def test_items_are_kept_or_undone_alone(isolation, stored, refused):
    session = FakeSession()
    run(["ok", RuntimeError("boom"), DomainError("No.")], isolation, session)
    assert session.calls == [stored, refused, refused]


@pytest.mark.parametrize("outage", [sa_exc.OperationalError("SELECT", {}, Exception("gone")),
                                    sa_exc.InterfaceError("SELECT", {}, Exception("closed"))])
def test_a_database_outage_stops_the_batch(outage):
    with pytest.raises(type(outage)):
        run(["ok", outage, "ok"])


def test_an_unknown_isolation_is_a_programming_error():
    with pytest.raises(ValueError):
        run(["ok"], "autocommit")


def test_the_check_service_applies_the_batch_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "CHECK_BATCH_MAX", 1)
    with pytest.raises(RuleViolation) as refused:
        submit_each(Actor.system(), [{}, {}])
    assert (refused.value.code, refused.value.extra["field"]) == ("batch_too_large", "checks")


def test_the_trace_service_applies_the_batch_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "TRACE_BATCH_MAX", 1)
    with pytest.raises(RuleViolation) as refused:
        record_batch(Actor.system(), [{}, {}])
    assert (refused.value.code, refused.value.extra["field"]) == ("batch_too_large", "events")


def test_an_unexpected_failure_rejects_only_its_epcis_event(client, supervisor, auth_headers, make_facility,
                                                            monkeypatch):
    from backend.traceability import epcis

    make_facility(kind="farm", gln="6901234000009")
    events = [commissioning("https://id.gs1.org/414/6901234000009",
                            f"https://id.gs1.org/01/06901234567892/10/{code}")["epcisBody"]["eventList"][0]
              for code in ("OK-1", "BAD", "OK-2")]
    original = epcis.record_event

    def flaky(actor, **data):
        recorded = original(actor, **data)
        if data["event_id"] == events[1]["eventID"]:
            raise RuntimeError("boom")
        return recorded

    monkeypatch.setattr(epcis, "record_event", flaky)
    report = post(client, auth_headers(supervisor), document(*events)).get_json()
    assert report["stored"] == 2
    assert [(item["index"], item["code"]) for item in report["rejected"]] == [(1, "internal_error")]
    assert {lot.lot_code for lot in db.session.scalars(db.select(Lot))} >= {"OK-1", "OK-2"}
    assert db.session.scalar(db.select(Lot).where(Lot.lot_code == "BAD")) is None
