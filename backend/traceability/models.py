from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.common.clock import now
from backend.extensions import db

EVENT_TYPES = ("harvest", "produce", "ship", "receive", "transform", "sell", "destroy")
LINE_ROLES = ("subject", "input", "output")
VIOLATION_TYPES = ("negative_holding", "never_held", "restricted_sales", "unmatched_receipt")
QUANTITY = Numeric(18, 3)


class Product(db.Model):
    __tablename__ = "products"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))  # food category (GB 2760 style), e.g. "vegetables"
    gtin: Mapped[str | None] = mapped_column(String(14), unique=True)
    owner_facility_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("facilities.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Lot(db.Model):
    """A traceability lot: its code is unique per producer (the facility that assigned it)."""

    __tablename__ = "lots"
    __table_args__ = (UniqueConstraint("facility_id", "lot_code"), Index("ix_lots_product_code", "product_id",
                                                                          "lot_code"))

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    lot_code: Mapped[str] = mapped_column(String(80))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"), index=True)  # producer / origin
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    quantity: Mapped[Decimal | None] = mapped_column(QUANTITY)
    unit: Mapped[str] = mapped_column(String(16))
    produced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    product: Mapped[Product] = relationship(lazy="joined", innerjoin=True)


class TraceEvent(db.Model):
    """A critical tracking event. `event_id` is the sender's (idempotency key, or an EPCIS
    eventID), unique per facility (`facility_id`, where it happened — the sender's
    namespace, see events.py); `other_facility_id` is the counterparty (ship: destination;
    receive: source)."""

    __tablename__ = "trace_events"
    __table_args__ = (
        UniqueConstraint("facility_id", "event_id"),
        CheckConstraint("type IN ('harvest', 'produce', 'ship', 'receive', 'transform', 'sell', 'destroy')",
                        name="type"),
        Index("ix_trace_events_facility_time", "facility_id", "occurred_at"),
        Index("ix_trace_events_region_time", "region_code", "occurred_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    event_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"))
    other_facility_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("facilities.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    reference: Mapped[str | None] = mapped_column(String(200))  # reference document type and number
    flags: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    source: Mapped[str] = mapped_column(String(16), default="api")  # api | epcis
    # Fields of the sender we do not model (EPCIS extensions…), kept as sent.
    extensions: Mapped[dict | None] = mapped_column(JSONB)
    body_sha256: Mapped[str] = mapped_column(String(64))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    lines: Mapped[list[TraceEventLot]] = relationship(back_populates="event", order_by="TraceEventLot.id",
                                                      lazy="selectin")


class TraceEventLot(db.Model):
    """One lot in an event: the subject of a ship/receive/…, or an input or output of a transform."""

    __tablename__ = "trace_event_lots"
    __table_args__ = (CheckConstraint("role IN ('subject', 'input', 'output')", name="role"),
                      CheckConstraint("quantity > 0", name="quantity_positive"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    event_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("trace_events.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lots.id"), index=True)
    role: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    unit: Mapped[str] = mapped_column(String(16))

    event: Mapped[TraceEvent] = relationship(back_populates="lines")


class TraceEdge(db.Model):
    """The movement graph the trace walks: a lot at one facility → a lot at another facility
    (shipment) or another lot at the same facility (transformation). Written with its event."""

    __tablename__ = "trace_edges"
    __table_args__ = (
        Index("ix_trace_edges_from", "from_lot_id", "from_facility_id"),
        Index("ix_trace_edges_to", "to_lot_id", "to_facility_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    event_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("trace_events.id", ondelete="CASCADE"), index=True)
    from_lot_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    from_facility_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    to_lot_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    to_facility_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    unit: Mapped[str] = mapped_column(String(16))


class Holding(db.Model):
    """How much of a lot a facility holds: received + produced − shipped − consumed − sold − destroyed."""

    __tablename__ = "holdings"

    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lots.id"), primary_key=True)
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"), primary_key=True, index=True)
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    unit: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, onupdate=now)


class TraceViolation(db.Model):
    """Recorded, never refused: field data is messy, so it is stored first and flagged."""

    __tablename__ = "trace_violations"
    __table_args__ = (
        CheckConstraint("type IN ('negative_holding', 'never_held', 'restricted_sales', 'unmatched_receipt')",
                        name="type"),
        UniqueConstraint("type", "event_pk", "lot_id"),
        Index("ix_trace_violations_region_detected", "region_code", "detected_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    type: Mapped[str] = mapped_column(String(24))
    event_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("trace_events.id", ondelete="CASCADE"))
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lots.id"))
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    detail: Mapped[str] = mapped_column(Text)
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
