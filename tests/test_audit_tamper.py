"""Tamper evidence against someone with database access (issue 11): a keyed chain and
signed checkpoints outside the database. Each attack here passed `verify` before."""
import json
import logging
import uuid

import pytest
from sqlalchemy import select, text

from backend.audit import service as audit
from backend.audit.chain import GENESIS_HASH, entry_hash, legacy_hash
from backend.audit.models import AuditEntry
from backend.auth.actor import Actor
from backend.common import clock
from backend.extensions import db
from backend.notifications import worker
from backend.recalls.models import Recall
from tests.test_sampling import in_lab, lab_setup, results  # noqa: F401 - lab_setup is a fixture


@pytest.fixture(autouse=True)
def checkpoint_dir(app, tmp_path, monkeypatch):
    """A checkpoint file of this test's own: the database is rolled back after each test."""
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    return tmp_path / "checkpoints"


def write_entries(count: int, action: str = "test.tamper") -> list[AuditEntry]:
    for index in range(count):
        audit.record(Actor.system(), action, "thing", index, after={"n": index, "名": "值"})
    db.session.commit()
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def behind_the_triggers_back(*statements: str, **params) -> None:
    """What the database's owner can do: switch the append-only trigger off."""
    db.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
    for statement in statements:
        db.session.execute(text(statement), params)
    db.session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
    db.session.expire_all()


def rewrite_from(first_id: int, attacker_hash, change: dict | None = None) -> None:
    """Change row `first_id` (if asked), then recompute every hash from it to the end with
    the attacker's function, so that each row links to the one before."""
    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.id >= first_id).order_by(AuditEntry.id)).all()
    prev = db.session.scalar(select(AuditEntry.hash).where(AuditEntry.id < first_id)
                             .order_by(AuditEntry.id.desc()).limit(1)) or GENESIS_HASH
    db.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
    for row in rows:
        if change and row.id == first_id:
            for name, value in change.items():
                setattr(row, name, value)
        row.prev_hash = prev
        row.hash = prev = attacker_hash(row)
        db.session.execute(text("UPDATE audit_log SET after = CAST(:after AS jsonb), prev_hash = :prev, hash = :hash "
                                "WHERE id = :id"),
                           {"after": json.dumps(row.after), "prev": row.prev_hash, "hash": row.hash, "id": row.id})
    db.session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
    db.session.expire_all()


def verify():
    return audit.verify_chain(Actor.system())


# ---------------------------------------------------------------- the keyed chain

def test_rows_are_hashed_with_the_key(app):
    row = write_entries(1)[0]
    assert row.hash == entry_hash(row, app.config["AUDIT_KEY"])
    assert row.hash != legacy_hash(row)


@pytest.mark.parametrize("attacker_hash", [legacy_hash, lambda row: entry_hash(row, "the attacker's own key")],
                         ids=["sha256", "other-key"])
def test_rewritten_row_with_every_later_hash_recomputed_is_detected(attacker_hash):
    rows = write_entries(6)
    rewrite_from(rows[2].id, attacker_hash, change={"after": {"n": 999}})
    report = verify()
    assert (report.ok, report.first_broken_id) == (False, rows[2].id)
    assert "without the audit key" in report.reason


def test_whole_chain_rewritten_without_the_key_is_detected():
    write_entries(3)
    first = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id).limit(1))
    rewrite_from(first, legacy_hash)
    report = verify()
    assert (report.ok, report.first_broken_id) == (False, first)


def test_the_key_is_stored_nowhere_in_the_database(app):
    write_entries(2)
    audit.write_checkpoint()
    key = app.config["AUDIT_KEY"]
    tables = db.session.scalars(text("SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) "
                                     "FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                                     "AND table_schema NOT IN ('pg_catalog', 'information_schema')")).all()
    assert "public.audit_log" in tables
    for needle in (key, key.encode().hex()):
        for table in tables:
            found = db.session.scalar(text(f"SELECT count(*) FROM {table} AS r WHERE r::text LIKE :needle"),
                                      {"needle": f"%{needle}%"})
            assert found == 0, table
        assert db.session.scalar(text("SELECT count(*) FROM pg_settings WHERE setting LIKE :needle"),
                                 {"needle": f"%{needle}%"}) == 0


# ---------------------------------------------------------------- checkpoints

def test_clean_chain_with_checkpoints_verifies():
    write_entries(3, "test.first")
    first = audit.write_checkpoint()
    write_entries(2, "test.second")
    second = audit.write_checkpoint()
    write_entries(1, "test.third")
    report = verify()
    assert report.ok, report
    assert (report.checkpoints, report.checkpoint_rows, report.checkpoint_head_id) == (2, second.rows,
                                                                                        second.head_id)
    assert second.rows == first.rows + 2 and report.rows_checked == second.rows + 1
    assert report.checkpoint_errors == [] and report.legacy_rows == 0


def test_checkpoint_is_written_only_when_the_head_moved(checkpoint_dir):
    write_entries(1)
    assert audit.write_checkpoint() is not None
    assert audit.write_checkpoint() is None
    assert len(audit.checkpoint_path().read_text().splitlines()) == 1


def test_deleting_the_last_rows_after_a_checkpoint_is_detected():
    rows = write_entries(5)
    checkpoint = audit.write_checkpoint()
    behind_the_triggers_back("DELETE FROM audit_log WHERE id >= :id", id=rows[2].id)
    report = verify()
    assert not report.ok
    assert report.first_broken_id == checkpoint.head_id == rows[-1].id
    assert report.checkpoint_rows == checkpoint.rows and report.rows_checked == checkpoint.rows - 3
    assert "removed from the end" in report.reason


def test_deleting_the_tail_then_writing_on_is_detected():
    rows = write_entries(5)
    audit.write_checkpoint()
    behind_the_triggers_back("DELETE FROM audit_log WHERE id >= :id", id=rows[2].id)
    later = write_entries(1, "test.later")[0]  # chains on from row 2: every link is valid
    report = verify()
    assert (report.ok, report.first_broken_id) == (False, later.id)
    with pytest.raises(audit.CheckpointRefused, match="missing or changed"):
        audit.write_checkpoint()


def test_checkpoint_refuses_to_sign_a_broken_chain():
    rows = write_entries(3)
    behind_the_triggers_back("""UPDATE audit_log SET after = '{"n": 7}' WHERE id = :id""", id=rows[1].id)
    with pytest.raises(audit.CheckpointRefused, match=f"row {rows[1].id}"):
        audit.write_checkpoint()
    assert not audit.checkpoint_path().exists() or audit.checkpoint_path().read_text() == ""


def _edit_checkpoint_file(edit) -> None:
    path = audit.checkpoint_path()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    path.write_text("".join(json.dumps(line) + "\n" for line in edit(lines)))


def test_edited_checkpoint_is_reported():
    write_entries(3)
    audit.write_checkpoint()
    _edit_checkpoint_file(lambda lines: [{**lines[0], "rows": lines[0]["rows"] - 2}])
    report = verify()
    assert not report.ok and report.checkpoints == 0
    assert report.checkpoint_errors == ["checkpoint line 1 is not signed with the audit key (edited or forged)"]
    assert report.reason == report.checkpoint_errors[0]


def test_checkpoint_signed_with_another_key_is_reported():
    rows = write_entries(2)
    forged = audit.Checkpoint(rows=10**6, head_id=rows[-1].id, head_hash=rows[-1].hash, legacy_through=0,
                              at="2026-01-01T00:00:00+00:00")
    path = audit.checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(forged.signed("someone-else's-key-0123456789abcdef")) + "\n")
    report = verify()
    assert not report.ok and report.checkpoint_errors and report.checkpoint_rows is None


def test_garbage_line_in_checkpoint_file_stops_checkpoints():
    write_entries(1)
    audit.write_checkpoint()
    with audit.checkpoint_path().open("a") as handle:
        handle.write("not json\n")
    write_entries(1, "test.more")
    with pytest.raises(audit.CheckpointRefused, match="last line"):
        audit.write_checkpoint()
    assert verify().checkpoint_errors == ["checkpoint line 2 is not a checkpoint"]


def test_checkpoint_file_is_private(checkpoint_dir):
    write_entries(1)
    audit.write_checkpoint()
    assert audit.checkpoint_path().stat().st_mode & 0o777 == 0o600


# ---------------------------------------------------------------- rows from before the key

def _legacy_chain(count: int) -> list[AuditEntry]:
    """An empty log, then rows hashed the way they were before the key (plain SHA-256)."""
    behind_the_triggers_back("DELETE FROM audit_log")
    prev, rows = GENESIS_HASH, []
    for index in range(count):
        row = AuditEntry(occurred_at=clock.now(), actor_id=None, actor_username="system", action="test.legacy",
                         entity_type="thing", entity_id=str(index), region_code=None, before=None,
                         after={"n": index}, request_id=None, prev_hash=prev)
        row.hash = prev = legacy_hash(row)
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows


def test_legacy_rows_pass_once_the_first_checkpoint_vouches_for_them():
    legacy = _legacy_chain(3)
    before = verify()
    assert (before.ok, before.first_broken_id) == (False, legacy[0].id)
    assert "flask audit checkpoint" in before.reason
    checkpoint = audit.write_checkpoint()
    assert checkpoint.legacy_through == legacy[-1].id
    keyed = write_entries(2)
    assert keyed[0].prev_hash == legacy[-1].hash
    report = verify()
    assert report.ok, report
    assert (report.legacy_rows, report.rows_checked) == (3, 5)


def test_keyed_rows_turned_into_legacy_ones_are_detected():
    legacy = _legacy_chain(2)
    audit.write_checkpoint()
    keyed = write_entries(2)
    rewrite_from(keyed[0].id, legacy_hash, change={"after": {"n": -1}})
    report = verify()
    assert (report.ok, report.first_broken_id) == (False, keyed[0].id)
    assert legacy[0].id < keyed[0].id


# ---------------------------------------------------------------- worker and command line

def test_worker_checkpoints_when_the_head_moved():
    write_entries(2)
    worker.checkpoint_audit()
    assert len(audit.checkpoint_path().read_text().splitlines()) == 1
    assert verify().ok


def test_worker_logs_a_refused_checkpoint_and_carries_on(caplog):
    rows = write_entries(2)
    worker.checkpoint_audit()
    behind_the_triggers_back("DELETE FROM audit_log WHERE id = :id", id=rows[-1].id)
    write_entries(1, "test.after")
    with caplog.at_level(logging.ERROR, logger="foodgrid.worker"):
        worker.checkpoint_audit()
    assert "audit checkpoint refused" in caplog.text


def test_cli_checkpoint_then_verify(app):
    write_entries(2)
    runner = app.test_cli_runner()
    written = runner.invoke(args=["audit", "checkpoint"])
    assert written.exit_code == 0 and "checkpoint:" in written.output
    checked = runner.invoke(args=["audit", "verify"])
    assert checked.exit_code == 0 and json.loads(checked.output)["ok"] is True


def test_cli_verify_fails_on_a_broken_chain(app):
    rows = write_entries(2)
    behind_the_triggers_back("UPDATE audit_log SET action = 'x' WHERE id = :id", id=rows[0].id)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and json.loads(result.output)["first_broken_id"] == rows[0].id


def test_verify_endpoint_reports_the_checkpoint(client, admin, auth_headers):
    write_entries(2)
    checkpoint = audit.write_checkpoint()
    body = client.get("/api/v1/audit/verify", headers=auth_headers(admin)).get_json()
    assert body["ok"] is True
    assert (body["checkpoint_rows"], body["checkpoint_head_id"]) == (checkpoint.rows, checkpoint.head_id)


# ---------------------------------------------------------------- what escalation writes

def test_recall_proposed_by_escalation_is_audited(client, lab_setup):  # noqa: F811
    url = in_lab(client, lab_setup)
    results(client, lab_setup, url, 0.05)
    sample = client.post(f"{url}/verdict", json={}, headers=lab_setup["lab"]).get_json()
    recall = db.session.scalar(select(Recall).where(Recall.sample_id == uuid.UUID(sample["id"])))
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "recall",
                                                        AuditEntry.entity_id == str(recall.id))).one()
    assert entry.action == "recall.propose" and entry.after["sample_id"] == sample["id"]
