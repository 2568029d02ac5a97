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
from collections.abc import Callable, Iterable
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from backend.audit import service as audit
from backend.calendar import service as workdays
from backend.common import clock
from backend.common.outbox import OutboxEvent, emit
from backend.extensions import db
from backend.notifications import heartbeat
from backend.notifications.delivery import UnknownTopic, deliver

log = logging.getLogger("foodgrid.worker")
ESCALATORS = "foodgrid.escalators"  # app.extensions key: the escalators create_app hands the worker
Escalator = Callable[[int], int]
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

def escalate_overdue(batch_size: int = 100, escalators: Iterable[Escalator] | None = None) -> int:
    """Run each escalator (overdue tasks, recalls, samples: each domain's own rule, given by
    create_app as `app.extensions["foodgrid.escalators"]`) in batches, committing each batch.
    An escalator takes a limit, escalates at most that many rows once per deadline and
    returns how many. The number escalated."""
    if escalators is None:
        escalators = current_app.extensions[ESCALATORS]
    total = 0
    for step in escalators:
        while True:
            count = step(batch_size)
            db.session.commit()
            total += count
            if count < batch_size:
                break
    return total


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
        test_delay_s: float = 0.0, name: str = "worker", checkpoint_every_s: float | None = None,
        escalators: Iterable[Escalator] | None = None) -> None:
    """Escalate every `escalate_every_s`, checkpoint the audit chain every `checkpoint_every_s`
    (default AUDIT_CHECKPOINT_S; 0: never), deliver until the outbox is empty, sleep, repeat.
    SIGTERM or SIGINT: finish the current batch, then return. `once`: one round, then return.
    Each round and each batch beats the heartbeat `name` (/readyz reports a stale one).
    `escalators`: those of `escalate_overdue` (default: the ones create_app registered)."""
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
                    if escalated := escalate_overdue(batch_size, escalators):
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
