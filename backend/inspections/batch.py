"""Batch upload of checks (DESIGN.md §5): each check in its own transaction, so that one
bad check never sinks the others and a crash mid-batch keeps every check already answered.

This is transaction orchestration, like a view: it parses each item, calls the one
service function, and commits or rolls back per item.
"""
from __future__ import annotations

import logging

import marshmallow as ma
from sqlalchemy import exc as sa_exc

from backend.auth.actor import Actor
from backend.common.batch import refused
from backend.common.domain_errors import DomainError
from backend.common.strict_types import load_json
from backend.errors import flatten_errors, integrity_refusal
from backend.extensions import db
from backend.inspections.checks import record_check
from backend.inspections.schemas import CheckCreateSchema

log = logging.getLogger(__name__)


def submit_each(actor: Actor, items: list) -> list[dict]:
    schema = CheckCreateSchema()
    return [_submit_one(actor, schema, index, item) for index, item in enumerate(items)]


def _submit_one(actor: Actor, schema: CheckCreateSchema, index: int, item) -> dict:
    sent_id = item.get("id") if isinstance(item, dict) else None
    try:
        if not isinstance(item, dict):
            raise ma.ValidationError({"_schema": ["Each check must be an object."]})
        submission = record_check(actor, load_json(schema, item))
        db.session.commit()
    except ma.ValidationError as error:
        db.session.rollback()
        return refused(index, "id", sent_id, 422, "validation_error", "The check is malformed.",
                        errors=flatten_errors(error.messages))
    except DomainError as error:
        db.session.rollback()
        return refused(index, "id", sent_id, error.status, error.code, error.detail, **error.extra)
    except sa_exc.IntegrityError as error:  # a race the service could not foresee, or a value it missed
        db.session.rollback()
        log.warning("batch item %s: integrity error: %s", index, error.orig)
        return refused(index, "id", sent_id, *integrity_refusal(error))
    return {"index": index, "id": sent_id, "status": "created" if submission.created else "replayed",
            "http_status": 201 if submission.created else 200, "check": submission.check}
