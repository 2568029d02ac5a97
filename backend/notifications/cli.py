"""`flask worker`: the outbox and escalation loop (backend/notifications/worker.py)."""
from __future__ import annotations

import os

import click
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--once", is_flag=True, help="One round (escalate, deliver all that is due), then exit.")
@click.option("--poll", "poll_seconds", type=click.FloatRange(min=0.1), default=2.0, show_default=True,
              help="Seconds to sleep when the outbox is empty.")
@click.option("--batch", "batch_size", type=click.IntRange(1, 1000), default=100, show_default=True,
              help="Events per transaction.")
@click.option("--escalate-every", "escalate_every_s", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Seconds between searches for overdue tasks and recalls.")
@click.option("--name", default="worker", show_default=True,
              help="Heartbeat name (a row in worker_heartbeats; /readyz reports the newest beat).")
@click.option("--test-delay", "test_delay_s", type=click.FloatRange(min=0), default=0.0, hidden=True,
              help="Tests only: pause after each event, so a test can kill the worker mid-batch.")
@with_appcontext
def worker_command(once, poll_seconds, batch_size, escalate_every_s, name, test_delay_s):
    """Deliver outbox events as notifications, escalate overdue tasks and recalls, and
    checkpoint the audit chain every AUDIT_CHECKPOINT_S. SIGTERM finishes the current batch and exits."""
    from backend.notifications.worker import log, run

    log.info("worker %s started (pid %d): batch %d, poll %s s, escalation every %s s", name, os.getpid(),
             batch_size, poll_seconds, escalate_every_s)
    run(poll_seconds, once=once, batch_size=batch_size, escalate_every_s=escalate_every_s,
        test_delay_s=test_delay_s, name=name)
