from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.common.clock import now
from backend.extensions import db

RECALL_STATUSES = ("proposed", "initiated", "in_progress", "completed", "closed", "rejected", "cancelled")


class Recall(db.Model):
    """A recall case (食品召回管理办法 2015). A sample's escalation creates it as `proposed`;
    deadlines follow from the level and are stored, recomputed when the level changes."""

    __tablename__ = "recalls"
    __table_args__ = (
        CheckConstraint("status IN ('proposed', 'initiated', 'in_progress', 'completed', 'closed', 'rejected', "
                        "'cancelled')", name="status"),
        CheckConstraint("trigger IN ('sample', 'complaint', 'manual')", name="trigger"),
        CheckConstraint("level IS NULL OR level IN (1, 2, 3)", name="level"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)  # given at initiation, e.g. ZH-130502-2026-0001
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    level: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str | None] = mapped_column(String(16))  # voluntary 主动 | ordered 责令
    trigger: Mapped[str] = mapped_column(String(16))
    # One proposal per failed sample, whatever happens to escalations run twice.
    sample_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("samples.id"), unique=True)
    producer_facility_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("facilities.id"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    reason: Mapped[str] = mapped_column(Text)
    hazard: Mapped[str | None] = mapped_column(Text)
    notice: Mapped[str | None] = mapped_column(Text)  # the public notice: no personal data
    initiated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    start_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # start and notify by
    complete_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # overdue, supervisors told
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, onupdate=now)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": row_version}

    lots: Mapped[list[RecallLot]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class RecallLot(db.Model):
    __tablename__ = "recall_lots"

    recall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recalls.id", ondelete="CASCADE"), primary_key=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lots.id"), primary_key=True)


class RecallFacility(db.Model):
    """A place in a recall's scope (the forward trace): what it received, what it recovered
    or destroyed, and the inspector's verification task in its own cell."""

    __tablename__ = "recall_facilities"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'verified', 'waived')", name="status"),
        CheckConstraint("recovered + destroyed <= distributed", name="within_distributed"),
        UniqueConstraint("recall_id", "facility_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    recall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recalls.id", ondelete="CASCADE"))
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"), index=True)
    unit: Mapped[str] = mapped_column(String(16))
    distributed: Mapped[Decimal] = mapped_column(Numeric(18, 3))
    recovered: Mapped[Decimal] = mapped_column(Numeric(18, 3), default=0)
    destroyed: Mapped[Decimal] = mapped_column(Numeric(18, 3), default=0)
    task_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("inspection_tasks.id"))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    note: Mapped[str | None] = mapped_column(Text)  # the waiver's reason, the verifier's remark
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, onupdate=now)


class RecallAction(db.Model):
    """The recall's history: each transition with who, when and why."""

    __tablename__ = "recall_actions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    recall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recalls.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
