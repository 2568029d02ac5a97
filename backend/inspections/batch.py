"""Batch upload of checks (DESIGN.md §5): each check in its own transaction, committed as
soon as it is stored (`run_batch`, isolation "commit"), so that one bad check never sinks
the others and a crash mid-batch keeps every check already answered."""
from __future__ import annotations

from flask import current_app

from backend.common.actor import Actor
from backend.common.batch import limit_size, load_item, run_batch
from backend.errors import integrity_refusal
from backend.extensions import db
from backend.inspections.checks import record_check, require_checker
from backend.inspections.schemas import CheckCreateSchema


def submit_each(actor: Actor, items: list) -> list[dict]:
    """At most CHECK_BATCH_MAX checks, by inspectors and supervisors; each answered alone."""
    limit_size(items, current_app.config["CHECK_BATCH_MAX"], "checks", "Too many checks in one batch.")
    require_checker(actor)
    schema = CheckCreateSchema()
    return run_batch(items, lambda data: _answer(record_check(actor, data)), session=db.session,
                     isolation="commit", load=lambda item: load_item(schema, item, "check"),
                     on_integrity=lambda error: integrity_refusal(error, db.metadata), key="id", noun="check")


def _answer(submission) -> dict:
    return {"status": "created" if submission.created else "replayed",
            "http_status": 201 if submission.created else 200, "check": submission.check}
