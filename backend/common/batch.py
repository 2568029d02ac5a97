"""The per-item answer of a batch endpoint (checks, trace events, EPCIS…): what a single
request would have answered, as a status word, the HTTP status and the problem body.

A batch's request schema passes its items through unparsed (`ItemsLoadedAlone`); each item
is then checked and loaded on its own (`load_item`), so that a malformed one — not an
object, a string the database cannot store, a field wrong — is refused alone.
"""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from backend.common import json_input
from backend.common.problems import TYPE_PREFIX
from backend.common.strict_types import load_json

STORED = ("created", "replayed")
KINDS = {403: "forbidden", 409: "conflict"}


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
