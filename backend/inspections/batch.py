"""Batch upload of checks (DESIGN.md §5): each check in its own transaction, so that one
bad check never sinks the others and a crash mid-batch keeps every check already answered.

This is transaction orchestration, like a view: it checks and parses each item on its own,
calls the one service function, and commits or rolls back per item. An item that fails
in a way nobody foresaw is rolled back, logged and reported alone ("internal"); only a
database outage stops the batch (503: the phone resends it, and what is stored replays).
"""
from __future__ import annotations

import logging

import marshmallow as ma
from sqlalchemy import exc as sa_exc

from backend.common.actor import Actor
from backend.common.batch import internal, load_item, refused, sent_id
from backend.common.domain_errors import DomainError
from backend.errors import flatten_errors, integrity_refusal
from backend.extensions import db
from backend.inspections.checks import record_check
from backend.inspections.schemas import CheckCreateSchema

log = logging.getLogger(__name__)


def submit_each(actor: Actor, items: list) -> list[dict]:
    schema = CheckCreateSchema()
    return [_submit_one(actor, schema, index, item) for index, item in enumerate(items)]


def _submit_one(actor: Actor, schema: CheckCreateSchema, index: int, item) -> dict:
    sent = sent_id(item, "id")
    try:
        submission = record_check(actor, load_item(schema, item, "check"))
        db.session.commit()
    except ma.ValidationError as error:
        db.session.rollback()
        return refused(index, "id", sent, 422, "validation_error", "The check is malformed.",
                       errors=flatten_errors(error.messages))
    except DomainError as error:
        db.session.rollback()
        return refused(index, "id", sent, error.status, error.code, error.detail, **error.extra)
    except sa_exc.IntegrityError as error:  # a race the service could not foresee, or a reference it did not check
        db.session.rollback()
        log.warning("batch item %s: integrity error: %s", index, error.orig)
        refusal = integrity_refusal(error, db.metadata)
        return refused(index, "id", sent, refusal.status, refusal.code, refusal.detail, **refusal.extra)
    except (sa_exc.OperationalError, sa_exc.InterfaceError):
        db.session.rollback()
        raise
    except Exception:
        db.session.rollback()
        log.exception("batch item %s: unexpected error", index)
        return internal(index, "id", sent)
    return {"index": index, "id": sent, "status": "created" if submission.created else "replayed",
            "http_status": 201 if submission.created else 200, "check": submission.check}
