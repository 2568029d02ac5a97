"""`flask worker`: delivers the outbox, escalates what is overdue, checkpoints the audit
chain (DESIGN.md §1, §5, §8, §9) and, from 1 December, reminds the administrators once when
next year's holidays are unknown.

Kill-safety: a batch is one transaction. Its rows are taken with FOR UPDATE SKIP LOCKED,
delivered (notification rows inserted) and marked processed, then committed together. A
worker killed mid-batch commits nothing: PostgreSQL drops its transaction and its row
locks, and the next worker takes the same rows again. Notifications are unique on
(outbox_id, user_id), so even a delivery that did commit is never repeated.
Escalations likewise set `escalated_at` and write their outbox event in one transaction.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, case, func, or_, select, update

from backend.audit import service as audit
from backend.calendar import service as workdays
from backend.common import clock
from backend.common.actor import Actor
from backend.common.outbox import OutboxEvent, emit
from backend.extensions import db
from backend.facilities.models import Facility
from backend.inspections.models import InspectionTask
from backend.notifications import heartbeat
from backend.notifications.delivery import UnknownTopic, deliver
from backend.recalls.models import Recall
from backend.sampling import timelines
from backend.sampling.models import RetestRequest, Sample

log = logging.getLogger("foodgrid.worker")
# After this many failed deliveries an event is left for a human (reset `attempts` to retry).
MAX_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def process_batch(limit: int = 100, *, test_delay_s: float = 0.0) -> int:
    """Deliver up to `limit` due events in one transaction; the number taken.
    `test_delay_s` (tests only) pauses after each event so a test can kill us mid-batch."""
    moment = clock.now()
    events = db.session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.processed_at.is_(None), OutboxEvent.available_at <= moment,
               OutboxEvent.attempts < MAX_ATTEMPTS)
        .order_by(OutboxEvent.id).limit(limit).with_for_update(skip_locked=True)
    ).all()
    for event in events:
        _deliver_one(event, moment)
        if test_delay_s:
            time.sleep(test_delay_s)
    db.session.commit()
    return len(events)


def _deliver_one(event: OutboxEvent, moment) -> None:
    try:
        with db.session.begin_nested():  # a failing event undoes only its own rows
            deliver(event)
    except UnknownTopic:
        log.warning("outbox %s: no handler for topic %r; marked processed", event.id, event.topic)
        event.processed_at, event.last_error = moment, "no handler"
        return
    except Exception as error:  # noqa: BLE001 - one bad event must not hold up the others
        event.attempts += 1
        event.last_error = f"{type(error).__name__}: {error}"[:2000]
        event.available_at = moment + backoff(event.attempts)
        level = logging.ERROR if event.attempts >= MAX_ATTEMPTS else logging.WARNING
        log.log(level, "outbox %s (%s) failed, attempt %d of %d%s: %s", event.id, event.topic, event.attempts,
                MAX_ATTEMPTS, "; left for a human" if event.attempts >= MAX_ATTEMPTS else "", event.last_error)
        return
    event.processed_at = moment


# ---------------------------------------------------------------- escalation

def escalate_overdue(batch_size: int = 100) -> int:
    """Escalate overdue tasks, recalls and samples to their region's supervisors, each once
    per deadline; commits per batch. The number escalated."""
    total = 0
    for step in (_escalate_tasks, _escalate_recalls, _escalate_samples):
        while True:
            count = step(batch_size)
            db.session.commit()
            total += count
            if count < batch_size:
                break
    return total


def _escalate_tasks(limit: int) -> int:
    """A task open or in progress past `due_at` (DESIGN.md §5), not yet escalated."""
    moment = clock.now()
    task = InspectionTask
    due = (select(task.id)
           .where(task.status.in_(("open", "in_progress")), task.due_at < moment, task.escalated_at.is_(None))
           .order_by(task.due_at).limit(limit).with_for_update(skip_locked=True))
    rows = db.session.execute(
        update(task).where(task.id.in_(due), task.facility_id == Facility.id).values(escalated_at=moment)
        .returning(task.id, task.kind, task.status, task.due_at, task.region_code, task.cell_id, task.assignee_id,
                   task.facility_id, Facility.name)
        .execution_options(synchronize_session=False)).all()
    for row in rows:
        emit("task.overdue", {"task_id": row.id, "kind": row.kind, "status": row.status, "due_at": row.due_at,
                              "region_code": row.region_code, "cell_id": row.cell_id, "assignee_id": row.assignee_id,
                              "facility_id": row.facility_id, "facility_name": row.name})
        audit.record(Actor.system(), "task.escalate", "inspection_task", row.id, after={"escalated_at": moment},
                     region_code=row.region_code)
    return len(rows)


def _escalate_recalls(limit: int) -> int:
    """Two deadlines (食品召回管理办法): an `initiated` recall past its start deadline, and an
    initiated or in-progress recall past its completion deadline. One `escalated_at` serves
    both: a recall escalated before its completion deadline is escalated again once that
    passes; when both have passed at once, one escalation names the completion."""
    moment = clock.now()
    late_start = and_(Recall.status == "initiated", Recall.start_deadline < moment, Recall.escalated_at.is_(None))
    late_complete = and_(Recall.status.in_(("initiated", "in_progress")), Recall.complete_deadline < moment,
                         or_(Recall.escalated_at.is_(None), Recall.escalated_at < Recall.complete_deadline))
    due = select(Recall.id).where(or_(late_start, late_complete)).order_by(Recall.created_at).limit(limit) \
        .with_for_update(skip_locked=True)
    stage = case((Recall.complete_deadline < moment, "complete"), else_="start")
    rows = db.session.execute(
        update(Recall).where(Recall.id.in_(due)).values(escalated_at=moment)
        .returning(Recall.id, Recall.number, Recall.level, Recall.status, Recall.region_code,
                   Recall.producer_facility_id, Recall.start_deadline, Recall.complete_deadline, stage.label("stage"))
        .execution_options(synchronize_session=False)).all()
    for row in rows:
        deadline = row.complete_deadline if row.stage == "complete" else row.start_deadline
        emit("recall.overdue", {"recall_id": row.id, "number": row.number, "level": row.level, "status": row.status,
                                "region_code": row.region_code, "producer_facility_id": row.producer_facility_id,
                                "stage": row.stage, "deadline": deadline})
        audit.record(Actor.system(), "recall.escalate", "recall", row.id,
                     after={"escalated_at": moment, "stage": row.stage}, region_code=row.region_code)
    return len(rows)


# ---------------------------------------------------------------- audit checkpoints

def checkpoint_audit() -> None:
    """Sign the audit chain's head into the checkpoint file when it moved (DESIGN.md §9).
    A refusal (the chain no longer continues the last checkpoint) is logged loudly but
    must not stop deliveries."""
    try:
        if checkpoint := audit.write_checkpoint():
            log.info("audit checkpoint: %d rows up to row %d", checkpoint.rows, checkpoint.head_id)
    except audit.CheckpointRefused as error:
        log.error("audit checkpoint refused, the audit log may have been tampered with: %s", error)
    finally:
        db.session.rollback()


def _escalate_samples(limit: int) -> int:
    """Sampling timelines (食品安全抽样检验管理办法; DESIGN.md §6): a lab sample not in the lab
    by `lab_due_at`, not reported by `report_due_at`, a re-test request not answered by
    `decide_by`. Each stage of a sample is escalated once (its own `*_escalated_at`)."""
    moment = clock.now()
    stages = (
        ("delivery", Sample, timelines.late_delivery(moment), Sample.delivery_escalated_at, Sample.lab_due_at),
        ("report", Sample, timelines.late_report(moment), Sample.report_escalated_at, Sample.report_due_at),
        ("retest_decision", RetestRequest, timelines.late_decision(moment), RetestRequest.escalated_at,
         RetestRequest.decide_by),
    )
    total = 0
    for stage, table, late, escalated, deadline in stages:
        if total >= limit:
            break
        due = (select(table.id).where(late, escalated.is_(None)).order_by(deadline)
               .limit(limit - total).with_for_update(skip_locked=True))
        update_ = update(table).where(table.id.in_(due)).values({escalated.key: moment})
        if table is RetestRequest:
            update_ = update_.where(RetestRequest.sample_id == Sample.id)
        rows = db.session.execute(
            update_.returning(Sample.id, Sample.sample_no, Sample.region_code, Sample.facility_id,
                              Sample.product_name, deadline.label("deadline"))
            .execution_options(synchronize_session=False)).all()
        for row in rows:
            emit("sample.overdue", {"sample_id": row.id, "sample_no": row.sample_no, "stage": stage,
                                    "deadline": row.deadline, "region_code": row.region_code,
                                    "facility_id": row.facility_id, "product_name": row.product_name})
            audit.record(Actor.system(), "sample.escalate", "sample", row.id,
                         after={"escalated_at": moment, "stage": stage}, region_code=row.region_code)
        total += len(rows)
    return total


# ---------------------------------------------------------------- the calendar

CALENDAR_TOPIC = "calendar.year_unknown"
CALENDAR_LOCK = 0x46470001  # pg_advisory_xact_lock key: one reminder per year, whatever the workers
REMIND_FROM_MONTH = 12  # the State Council's notice usually comes out in November


def remind_unknown_calendar() -> int:
    """From 1 December (Asia/Shanghai): when next year's holidays are unknown — the calendar
    package does not cover it and no administrator entered any — queue one reminder for
    the administrators, once per year (however many workers and rounds). 1 if queued now."""
    today = workdays.local_today(clock.now())
    if today.month < REMIND_FROM_MONTH:
        return 0
    year = today.year + 1
    if workdays.year_source(year).known:
        return 0
    db.session.execute(select(func.pg_advisory_xact_lock(CALENDAR_LOCK)))  # held until the commit
    sent = db.session.scalar(select(OutboxEvent.id).where(
        OutboxEvent.topic == CALENDAR_TOPIC, OutboxEvent.payload["year"].as_integer() == year).limit(1))
    if sent is None:
        emit(CALENDAR_TOPIC, {"year": year})
    db.session.commit()
    return int(sent is None)


# ---------------------------------------------------------------- the loop

def run(poll_seconds: float = 2.0, *, once: bool = False, batch_size: int = 100, escalate_every_s: float = 60.0,
        test_delay_s: float = 0.0, name: str = "worker", checkpoint_every_s: float | None = None) -> None:
    """Escalate every `escalate_every_s`, checkpoint the audit chain every `checkpoint_every_s`
    (default AUDIT_CHECKPOINT_S; 0: never), deliver until the outbox is empty, sleep, repeat.
    SIGTERM or SIGINT: finish the current batch, then return. `once`: one round, then return.
    Each round and each batch beats the heartbeat `name` (/readyz reports a stale one)."""
    stop = threading.Event()
    previous = _on_signals(lambda *_: stop.set())
    if checkpoint_every_s is None:
        checkpoint_every_s = current_app.config["AUDIT_CHECKPOINT_S"]
    last_escalation = last_checkpoint = None
    started_at = clock.now()
    try:
        while True:
            try:
                heartbeat.beat(name, started_at)
                if last_escalation is None or time.monotonic() - last_escalation >= escalate_every_s:
                    last_escalation = time.monotonic()
                    if escalated := escalate_overdue(batch_size):
                        log.info("escalated %d overdue tasks and recalls", escalated)
                    if remind_unknown_calendar():
                        log.warning("next year's statutory holidays are unknown: administrators notified")
                if checkpoint_every_s and (last_checkpoint is None
                                           or time.monotonic() - last_checkpoint >= checkpoint_every_s):
                    last_checkpoint = time.monotonic()
                    checkpoint_audit()
                while not stop.is_set() and process_batch(batch_size, test_delay_s=test_delay_s) == batch_size:
                    heartbeat.beat(name, started_at)  # a long backlog must not look like a dead worker
            except Exception:  # noqa: BLE001 - a database restart or a bug must not end the loop
                db.session.rollback()
                if once:
                    raise
                log.exception("worker round failed; retrying in %s s", poll_seconds)
            finally:
                db.session.remove()  # give the connection back while idle
            if once or stop.wait(poll_seconds):
                log.info("worker stopped")
                return
    finally:
        _on_signals(previous)


def _on_signals(handler):
    """Install `handler` (or a dict of previous handlers) for SIGTERM and SIGINT; the previous ones."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {}
    for number in (signal.SIGTERM, signal.SIGINT):
        previous[number] = signal.getsignal(number) or signal.SIG_DFL  # None: set outside Python
        signal.signal(number, handler.get(number, signal.SIG_DFL) if isinstance(handler, dict) else handler)
    return previous
