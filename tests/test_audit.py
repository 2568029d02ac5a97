import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backend.audit import service as audit
from backend.audit.models import AuditEntry
from backend.common.actor import Actor
from backend.extensions import db
from tests.helpers import assert_problem


@pytest.fixture(autouse=True)
def checkpoint_dir(app, tmp_path, monkeypatch):
    """No checkpoints but this test's own: the database is rolled back after each test."""
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))


def write_entries(count: int, action: str = "test.write") -> list[AuditEntry]:
    for index in range(count):
        audit.record(Actor.system(), action, "thing", index, after={"n": index, "名": "值"})
    db.session.commit()
    return db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action)
                              .order_by(AuditEntry.id)).all()


def test_rows_chain_to_each_other():
    rows = write_entries(3)
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert audit.verify_chain(Actor.system()).ok


def test_database_refuses_update_and_delete():
    row = write_entries(1)[0]
    for statement in ("UPDATE audit_log SET action = 'x' WHERE id = :id", "DELETE FROM audit_log WHERE id = :id"):
        with pytest.raises(DBAPIError, match="append-only"):
            with db.session.begin_nested():
                db.session.execute(text(statement), {"id": row.id})


def test_database_refuses_truncate():
    with pytest.raises(DBAPIError, match="append-only"):
        with db.session.begin_nested():
            db.session.execute(text("TRUNCATE audit_log"))


def _tamper(statement: str, row_id: int) -> None:
    """What someone with the database's owner rights could do behind the service's back."""
    db.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
    db.session.execute(text(statement), {"id": row_id})
    db.session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
    db.session.expire_all()


def test_altered_row_is_detected():
    rows = write_entries(3)
    _tamper("""UPDATE audit_log SET after = '{"n": 99}' WHERE id = :id""", rows[1].id)
    report = audit.verify_chain(Actor.system())
    assert not report.ok
    assert report.first_broken_id == rows[1].id
    assert "altered" in report.reason


def test_removed_row_is_detected():
    rows = write_entries(3)
    _tamper("DELETE FROM audit_log WHERE id = :id", rows[1].id)
    report = audit.verify_chain(Actor.system())
    assert (report.ok, report.first_broken_id) == (False, rows[2].id)


def test_verify_endpoint_names_the_broken_link(client, admin, auth_headers):
    rows = write_entries(2)
    headers = auth_headers(admin)
    assert client.get("/api/v1/audit/verify", headers=headers).get_json()["ok"] is True
    _tamper("UPDATE audit_log SET actor_username = 'someone-else' WHERE id = :id", rows[0].id)
    body = client.get("/api/v1/audit/verify", headers=headers).get_json()
    assert body["ok"] is False and body["first_broken_id"] == rows[0].id


def test_rolled_back_work_leaves_no_audit_row():
    audit.record(Actor.system(), "test.rolled_back", "thing", 1)
    db.session.rollback()
    write_entries(1, "test.after_rollback")
    actions = db.session.scalars(db.select(AuditEntry.action)).all()
    assert "test.rolled_back" not in actions


def test_listing_filters_by_entity(client, admin, auth_headers):
    write_entries(3, "test.listing")
    response = client.get("/api/v1/audit?action=test.listing&entity_id=1", headers=auth_headers(admin))
    rows = response.get_json()
    assert [(row["action"], row["entity_id"]) for row in rows] == [("test.listing", "1")]
    assert rows[0]["after"] == {"n": 1, "名": "值"}


def test_listing_is_admin_only(client, supervisor, auth_headers):
    assert_problem(client.get("/api/v1/audit", headers=auth_headers(supervisor)), 403)


def test_request_id_is_recorded(client, make_user):
    make_user(username="audited")
    client.post("/api/v1/auth/login", json={"username": "audited", "password": "correct-horse-battery"},
                headers={"X-Request-ID": "req-audit-0001"})
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "auth.login")).one()
    assert entry.request_id == "req-audit-0001"


@pytest.mark.committing
def test_concurrent_writers_keep_one_chain(app):
    errors = []

    def writer(name: str):
        try:
            with app.app_context():
                for index in range(15):
                    audit.record(Actor.system(), "test.concurrent", name, index)
                    db.session.commit()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"writer{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with app.app_context():
        report = audit.verify_chain(Actor.system())
        assert report.ok, report
        count = db.session.scalar(db.select(db.func.count()).where(AuditEntry.action == "test.concurrent"))
        assert count >= 60
        db.session.remove()
