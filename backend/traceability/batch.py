"""Batches of trace events: each in its own savepoint, so the valid ones are stored and a
bad one is reported alone (one commit for the batch: enterprise systems send thousands)."""
from __future__ import annotations

import marshmallow as ma
from sqlalchemy import exc as sa_exc

from backend.auth.actor import Actor
from backend.common.batch import refused
from backend.common.domain_errors import DomainError
from backend.common.strict_types import load_json
from backend.errors import flatten_errors, integrity_refusal
from backend.extensions import db
from backend.traceability.events import record_event
from backend.traceability.schemas import TraceEventInputSchema


def record_each(actor: Actor, items: list, *, from_json: bool = True) -> list[dict]:
    """`from_json`: items of a JSON body, strictly typed; a spreadsheet's are all text."""
    schema = TraceEventInputSchema()
    load = load_json if from_json else TraceEventInputSchema.load
    return [_record_one(actor, schema, load, index, item) for index, item in enumerate(items)]


def _record_one(actor: Actor, schema: TraceEventInputSchema, load, index: int, item) -> dict:
    event_id = item.get("event_id") if isinstance(item, dict) else None
    savepoint = db.session.begin_nested()
    try:
        if not isinstance(item, dict):
            raise ma.ValidationError({"_schema": ["Each event must be an object."]})
        recorded = record_event(actor, **load(schema, item))
        savepoint.commit()
    except ma.ValidationError as error:
        savepoint.rollback()
        return refused(index, "event_id", event_id, 422, "validation_error", "The event is malformed.",
                        errors=flatten_errors(error.messages))
    except DomainError as error:
        savepoint.rollback()
        return refused(index, "event_id", event_id, error.status, error.code, error.detail, **error.extra)
    except sa_exc.IntegrityError as error:
        savepoint.rollback()
        return refused(index, "event_id", event_id, *integrity_refusal(error))
    return {"index": index, "event_id": event_id, "id": recorded.event.id,
            "status": "created" if recorded.created else "replayed", "http_status": 201 if recorded.created else 200}
