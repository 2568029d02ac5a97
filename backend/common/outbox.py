"""Writing to the transactional outbox (DESIGN.md §1): an event is added to the caller's
session, so it commits — or rolls back — with the change that caused it. `flask worker`
delivers it later (backend/notifications/worker.py). The table lives here, on the lowest
floor, because every domain writes it; only notifications reads it."""
from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.common import clock
from backend.common.clock import now
from backend.common.db import db


class OutboxEvent(db.Model):
    """Something to deliver, written in the transaction that caused it (never lost with a
    crash between the change and the sending). Workers take rows with FOR UPDATE SKIP
    LOCKED and mark them processed in the transaction that delivers them."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "available_at", postgresql_where=text("processed_at IS NULL")),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(64))  # recall.initiated, task.overdue, …
    payload: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)


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
