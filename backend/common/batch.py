"""Batches (checks, trace events, EPCIS…): one runner, `run_batch`, that stores each item
on its own, and the per-item answer — what a single request would have answered, as a
status word, the HTTP status and the problem body.

A batch's request schema passes its items through unparsed (`ItemsLoadedAlone`); each item
is then checked and loaded on its own (`load_item`), so that a malformed one — not an
object, a string the database cannot store, a field wrong — is refused alone.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from marshmallow import fields
from sqlalchemy import exc as sa_exc

from backend.common import json_input
from backend.common.domain_errors import DomainError, RuleViolation
from backend.common.problems import TYPE_PREFIX, flatten_errors
from backend.common.strict_types import load_json

log = logging.getLogger(__name__)

STORED = ("created", "replayed")
KINDS = {403: "forbidden", 409: "conflict"}
ISOLATIONS = ("commit", "savepoint")


def run_batch(items: list, handle: Callable[[Any], dict], *, session, isolation: str,
              load: Callable[[Any], Any], on_integrity: Callable[[sa_exc.IntegrityError], DomainError],
              key: str = "id", noun: str = "item") -> list[dict]:
    """`handle(load(item))` for each item, isolated from the others; each answered as a single
    request would be: `{"index", key: the id as sent, **handle's answer}`, or a refusal.

    `isolation` says where an item's writes go:
    - "commit": each item in its own transaction, committed as soon as it is stored (checks).
      A phone's batch is field work: every valid check is kept the moment it is, so a crash or
      an outage mid-batch loses none already stored. The session holds nothing else pending.
    - "savepoint": each item in a savepoint of the caller's one transaction, which the caller
      commits (trace events, EPCIS). Enterprise systems send thousands of events: one commit
      (and one audit-chain write) per batch, and an outage leaves none of it half-stored.

    An item's ValidationError is a 422 naming its fields, a DomainError its own status,
    an IntegrityError what `on_integrity` makes of it; anything unforeseen is rolled back
    alone, logged and reported "internal". OperationalError and InterfaceError are raised:
    the database is gone, the whole batch is a 503, and resending it is safe (stored items
    replay).
    """
    if isolation not in ISOLATIONS:
        raise ValueError(f"isolation is one of {ISOLATIONS}, not {isolation!r}")
    return [_run_one(index, item, handle, session, isolation, load, on_integrity, key, noun)
            for index, item in enumerate(items)]


def _run_one(index, item, handle, session, isolation, load, on_integrity, key, noun) -> dict:
    sent = sent_id(item, key)
    transaction = session.begin_nested() if isolation == "savepoint" else session
    try:
        answer = handle(load(item))
        transaction.commit()
    except ma.ValidationError as error:
        transaction.rollback()
        return refused(index, key, sent, 422, "validation_error", f"The {noun} is malformed.",
                       errors=flatten_errors(error.messages))
    except DomainError as error:
        transaction.rollback()
        return refused(index, key, sent, error.status, error.code, error.detail, **error.extra)
    except sa_exc.IntegrityError as error:  # a race the service could not foresee, or a reference it did not check
        transaction.rollback()
        log.warning("batch item %s: integrity error: %s", index, error.orig)
        refusal = on_integrity(error)
        return refused(index, key, sent, refusal.status, refusal.code, refusal.detail, **refusal.extra)
    except (sa_exc.OperationalError, sa_exc.InterfaceError):
        if isolation == "commit":
            session.rollback()
        raise  # the caller's transaction is lost with the connection: nothing to roll back to
    except Exception:
        transaction.rollback()
        log.exception("batch item %s: unexpected error", index)
        return internal(index, key, sent)
    return {"index": index, key: sent, **answer}


def limit_size(items: list, limit: int, field: str, detail: str) -> None:
    """A batch endpoint's size limit: more than `limit` items is a 422 naming the field."""
    if len(items) > limit:
        raise RuleViolation(detail, code="batch_too_large", field=field)


def refused(index: int, key: str, sent, status: int, code: str, detail: str, **extra) -> dict:
    """A refused item: `key` names the sender's id field (`id`, `event_id`)."""
    kind = "internal" if status >= 500 else KINDS.get(status, "invalid")
    problem = {"type": TYPE_PREFIX + code, "status": status, "code": code, "detail": detail,
               **{name: value for name, value in extra.items() if value is not None}}
    return {"index": index, key: sent, "status": kind, "http_status": status, "problem": problem}


def internal(index: int, key: str, sent) -> dict:
    """An item that raised something unexpected: rolled back alone, reported like a 500."""
    return refused(index, key, sent, 500, "internal_error",
                   "The item could not be stored because of an internal error; it was logged.")


def summary(results: list[dict]) -> dict:
    return {"results": results,
            "created": sum(1 for item in results if item["status"] == "created"),
            "replayed": sum(1 for item in results if item["status"] == "replayed"),
            "refused": sum(1 for item in results if item["status"] not in STORED)}


def sent_id(item, key: str):
    """The item's own id as sent, to echo in its answer — unless it cannot be answered."""
    sent = item.get(key) if isinstance(item, dict) else None
    # Ids are strings; anything else (or a string that cannot be answered) is not echoed.
    return sent if isinstance(sent, str) and not json_input.problems(sent) else None


def load_item(schema: ma.Schema, item, noun: str, *, strict: bool = True) -> dict:
    """One batch item through `schema`, after the checks the request parser makes on whole
    bodies (an object; no NUL, no lone surrogate, no unusable number; with `strict`, JSON
    types as strict as a single request's — a spreadsheet's items are all text); raises
    ValidationError for it alone."""
    if not isinstance(item, dict):
        raise ma.ValidationError({"_schema": [f"Each {noun} must be an object."]})
    errors = json_input.problems(item)
    if errors:
        raise ma.ValidationError(errors)
    return load_json(schema, item) if strict else schema.load(item)


class ItemsLoadedAlone(fields.List):
    """A batch's list of items: documented as a list of `item_schema`, but passed through
    as sent (any JSON value, null included). The batch loads each with `load_item`.
    The request schema names the field in `ITEMS_CHECKED_ALONE`, so the request parser
    leaves its strings to the per-item check."""

    def __init__(self, item_schema, **kwargs):
        super().__init__(fields.Nested(item_schema), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise self.make_error("invalid")
        return list(value)
