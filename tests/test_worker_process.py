"""`flask worker` as a real process: killed mid-batch it loses and duplicates nothing;
SIGTERM lets it finish its batch (DESIGN.md §1). These tests commit, and clean up."""
import os
import random
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from backend.common.outbox import OutboxEvent, emit
from backend.extensions import db
from backend.notifications import delivery, worker
from backend.notifications.models import Notification
from tests import timetravel
from tests.conftest import database_url_for_tests

ROOT = Path(__file__).resolve().parent.parent


def _start_worker(*options):
    env = {**os.environ, "DATABASE_URL": database_url_for_tests(), "FLASK_APP": "wsgi.py"}
    return subprocess.Popen(timetravel.flask_argv("worker", "--once", *options),
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _backends(busy=False) -> int:
    """Other sessions on this database (busy: in a transaction that locked or wrote rows)."""
    count = db.session.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                   "AND pid <> pg_backend_pid()" + (" AND backend_xid IS NOT NULL" if busy else "")))
    db.session.rollback()  # pg_stat_activity is read once per transaction
    return count


def _wait_until(condition, process=None, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert process is None or process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _committed_events(committed, count):
    """`count` events of a new run and a supervisor to receive them, committed."""
    from backend.auth.models import User
    from tests.factories import PASSWORD, password_hash

    while worker.process_batch():  # others' leftovers out of the way: the worker takes only ours
        pass
    run = uuid.uuid4().hex
    user = User(username=f"sup-{run[:8]}", display_name="sup", role="supervisor", region_code="130502",
                password_hash=password_hash(PASSWORD))
    db.session.add(user)
    for n in range(count):
        emit("task.overdue", {"region_code": "130502", "run": run, "facility_name": f"餐馆{n}"})
    db.session.commit()
    committed["users"].append(user.id)
    committed["outbox"].extend(db.session.scalars(
        select(OutboxEvent.id).where(OutboxEvent.payload["run"].astext == run).order_by(OutboxEvent.id)))
    return committed["outbox"], user.id


def _delivered(ids):
    """Per event: (processed?, ids of the users it notified)."""
    db.session.rollback()
    events = db.session.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(ids)).order_by(OutboxEvent.id)).all()
    rows = db.session.execute(select(Notification.outbox_id, Notification.user_id)
                              .where(Notification.outbox_id.in_(ids))).all()
    return [(event.processed_at is not None, sorted(u for o, u in rows if o == event.id)) for event in events]


@pytest.mark.committing
def test_worker_killed_mid_batch_loses_and_duplicates_nothing(app, committed):
    with app.app_context():
        ids, supervisor_id = _committed_events(committed, 6)
        before = _backends()
        process = _start_worker("--batch", "2", "--test-delay", "0.3")  # a batch takes 0.6 s, all 1.8 s
        try:
            _wait_until(lambda: _backends() > before, process)  # connected: about to take its first batch
            time.sleep(random.uniform(0.05, 1.4))  # the last batch is never committed by then
        finally:
            process.kill()
            process.wait()
        _wait_until(lambda: _backends(busy=True) == 0)  # the server has dropped its transaction
        everyone = sorted(delivery.region_supervisors("130502"))
        after_kill = _delivered(ids)
        assert supervisor_id in everyone and not all(done for done, _ in after_kill)
        assert all(users == (everyone if done else []) for done, users in after_kill)  # nothing half-done
        while worker.process_batch():
            pass
        assert _delivered(ids) == [(True, everyone)] * len(ids)
        assert db.session.scalar(select(func.max(OutboxEvent.attempts)).where(OutboxEvent.id.in_(ids))) == 0


@pytest.mark.committing
def test_sigterm_lets_the_worker_finish_its_batch(app, committed):
    with app.app_context():
        ids, _ = _committed_events(committed, 6)
        process = _start_worker("--batch", "3", "--test-delay", "0.3")
        try:
            _wait_until(lambda: _backends(busy=True) > 0, process)  # inside its first batch
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            process.kill()
        assert sum(done for done, _ in _delivered(ids)) == 3
