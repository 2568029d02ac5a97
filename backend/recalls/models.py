from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.common.clock import now
from backend.extensions import db

RECALL_STATUSES = ("proposed", "initiated", "in_progress", "completed", "closed", "rejected", "cancelled")


class Recall(db.Model):
    """A recall case (食品召回管理办法 2015). A sample's escalation creates it as `proposed`."""

    __tablename__ = "recalls"
    __table_args__ = (
        CheckConstraint("status IN ('proposed', 'initiated', 'in_progress', 'completed', 'closed', 'rejected', "
                        "'cancelled')", name="status"),
        CheckConstraint("trigger IN ('sample', 'complaint', 'manual')", name="trigger"),
        CheckConstraint("level IS NULL OR level IN (1, 2, 3)", name="level"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    level: Mapped[int | None] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(16))
    # One proposal per failed sample, whatever happens to escalations run twice.
    sample_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("samples.id"), unique=True)
    producer_facility_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("facilities.id"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": row_version}

    lots: Mapped[list[RecallLot]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class RecallLot(db.Model):
    __tablename__ = "recall_lots"

    recall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recalls.id", ondelete="CASCADE"), primary_key=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lots.id"), primary_key=True)
