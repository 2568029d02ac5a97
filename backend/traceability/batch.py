"""Batches of trace events: each in its own savepoint of the request's one transaction
(`run_batch`, isolation "savepoint"), so the valid ones are stored and a bad one is reported
alone, with one commit for the batch: enterprise systems send thousands."""
from __future__ import annotations

from flask import current_app

from backend.common.actor import Actor
from backend.common.batch import limit_size, load_item, run_batch
from backend.errors import integrity_refusal
from backend.extensions import db
from backend.traceability.catalogue import require_writer
from backend.traceability.events import record_event
from backend.traceability.schemas import TraceEventInputSchema


def record_batch(actor: Actor, items: list) -> list[dict]:
    """POST /trace-events:batch: at most TRACE_BATCH_MAX events, each answered alone."""
    limit_size(items, current_app.config["TRACE_BATCH_MAX"], "events", "Too many events in one batch.")
    require_writer(actor)
    return record_each(actor, items)


def record_each(actor: Actor, items: list, *, from_json: bool = True) -> list[dict]:
    """`from_json`: items of a JSON body, strictly typed; a spreadsheet's are all text."""
    schema = TraceEventInputSchema()
    return run_batch(items, lambda data: _answer(record_event(actor, **data)), session=db.session,
                     isolation="savepoint", load=lambda item: load_item(schema, item, "event", strict=from_json),
                     on_integrity=lambda error: integrity_refusal(error, db.metadata), key="event_id", noun="event")


def _answer(recorded) -> dict:
    return {"id": recorded.event.id, "status": "created" if recorded.created else "replayed",
            "http_status": 201 if recorded.created else 200}
