"""The per-item answer of a batch endpoint (checks, trace events, EPCIS…): what a single
request would have answered, as a status word, the HTTP status and the problem body."""
from __future__ import annotations

from backend.errors import TYPE_PREFIX

STORED = ("created", "replayed")


def refused(index: int, key: str, sent, status: int, code: str, detail: str, **extra) -> dict:
    """A refused item: `key` names the sender's id field (`id`, `event_id`)."""
    kind = "conflict" if status == 409 else "forbidden" if status == 403 else "invalid"
    problem = {"type": TYPE_PREFIX + code, "status": status, "code": code, "detail": detail,
               **{name: value for name, value in extra.items() if value is not None}}
    return {"index": index, key: sent, "status": kind, "http_status": status, "problem": problem}


def summary(results: list[dict]) -> dict:
    return {"results": results,
            "created": sum(1 for item in results if item["status"] == "created"),
            "replayed": sum(1 for item in results if item["status"] == "replayed"),
            "refused": sum(1 for item in results if item["status"] not in STORED)}
