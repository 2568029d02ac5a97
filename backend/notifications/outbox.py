"""Writing to the transactional outbox (DESIGN.md §1): an event is added to the caller's
session, so it commits — or rolls back — with the change that caused it. `flask worker`
delivers it later (backend/notifications/worker.py)."""
from __future__ import annotations

import json
from datetime import date, datetime

from backend.common import clock
from backend.extensions import db
from backend.notifications.models import OutboxEvent


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()  # RFC 3339, which str() of a datetime is not
    return str(value)  # UUID, Decimal, …


def json_payload(payload: dict) -> dict:
    """`payload` as JSONB will give it back."""
    return json.loads(json.dumps(payload or {}, default=_plain, ensure_ascii=False))


def emit(topic: str, payload: dict, *, available_at: datetime | None = None) -> None:
    """Queue `topic` with `payload` in the current transaction; never commits.

    The payload is a snapshot (the rows may change before delivery): put in it what the
    message needs — ids, region_code, numbers and names. UUIDs, datetimes and decimals
    become strings.
    """
    moment = clock.now()
    db.session.add(OutboxEvent(topic=topic, payload=json_payload(payload), created_at=moment,
                               available_at=available_at or moment, attempts=0))
