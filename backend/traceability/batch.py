"""Batches of trace events: each in its own savepoint, so the valid ones are stored and a
bad one is reported alone (one commit for the batch: enterprise systems send thousands).
Each item is checked and parsed on its own; one that fails in a way nobody foresaw is
rolled back to its savepoint, logged and reported alone ("internal")."""
from __future__ import annotations

import logging

import marshmallow as ma
from sqlalchemy import exc as sa_exc

from backend.common.actor import Actor
from backend.common.batch import internal, load_item, refused, sent_id
from backend.common.domain_errors import DomainError
from backend.errors import flatten_errors, integrity_refusal
from backend.extensions import db
from backend.traceability.events import record_event
from backend.traceability.schemas import TraceEventInputSchema

log = logging.getLogger(__name__)


def record_each(actor: Actor, items: list, *, from_json: bool = True) -> list[dict]:
    """`from_json`: items of a JSON body, strictly typed; a spreadsheet's are all text."""
    schema = TraceEventInputSchema()
    return [_record_one(actor, schema, index, item, strict=from_json) for index, item in enumerate(items)]


def _record_one(actor: Actor, schema: TraceEventInputSchema, index: int, item, *, strict: bool) -> dict:
    event_id = sent_id(item, "event_id")
    savepoint = db.session.begin_nested()
    try:
        recorded = record_event(actor, **load_item(schema, item, "event", strict=strict))
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
        log.warning("batch item %s: integrity error: %s", index, error.orig)
        refusal = integrity_refusal(error, db.metadata)
        return refused(index, "event_id", event_id, refusal.status, refusal.code, refusal.detail, **refusal.extra)
    except (sa_exc.OperationalError, sa_exc.InterfaceError):
        raise  # the database is gone: the whole batch is a 503, and resending it is safe
    except Exception:
        savepoint.rollback()
        log.exception("batch item %s: unexpected error", index)
        return internal(index, "event_id", event_id)
    return {"index": index, "event_id": event_id, "id": recorded.event.id,
            "status": "created" if recorded.created else "replayed", "http_status": 201 if recorded.created else 200}
