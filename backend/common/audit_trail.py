"""The audit hook every service calls: `record()` queues one audit row on the session.

The rows are chained, keyed and written just before commit by backend/audit/service.py
(its session listeners, connected when create_app imports the audit package). This
module holds only the queue, so that any domain can record without standing above the
audit package, which itself stands on auth for its API.
"""
from __future__ import annotations

import json

from sqlalchemy.orm import Session

from backend.common import clock
from backend.common.actor import Actor
from backend.common.db import db
from backend.common.request_context import current_request_id

_PENDING = "foodgrid_audit_pending"


def record(actor: Actor, action: str, entity_type: str, entity_id=None, *,
           before: dict | None = None, after: dict | None = None,
           region_code: str | None = None, session: Session | None = None) -> None:
    """Queue one audit row for the current transaction."""
    session = session or db.session()
    # Begin the transaction now, so that its rollback (which drops the queue) is seen.
    session.connection()
    session.info.setdefault(_PENDING, []).append(dict(
        occurred_at=clock.now(),
        actor_id=actor.id,
        actor_username=actor.username,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        region_code=region_code,
        before=json_safe(before),
        after=json_safe(after),
        request_id=current_request_id(),
    ))


def json_safe(value):
    """What JSONB will give back, so the hash computed now matches the one re-computed later."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def take_pending(session: Session) -> list[dict]:
    """The rows queued in `session`'s transaction, removed from the queue."""
    return session.info.pop(_PENDING, None) or []
