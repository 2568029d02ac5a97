from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.common.clock import now
from backend.extensions import db


class ChecklistTemplate(db.Model):
    """A versioned checklist (日常监督检查要点表). A published version is immutable: checks
    name the code and version they used, so their outcome can always be recomputed."""

    __tablename__ = "checklist_templates"
    __table_args__ = (
        UniqueConstraint("code", "version"),
        CheckConstraint("status IN ('draft', 'published')", name="status"),
        CheckConstraint("threshold > 0", name="threshold_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    facility_kinds: Mapped[list[str]] = mapped_column(ARRAY(String(24)))
    # General-item failures from which the outcome is non-compliant (基本符合 below it).
    threshold: Mapped[int] = mapped_column(Integer, default=8)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, onupdate=now)
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": row_version}

    items: Mapped[list[ChecklistItem]] = relationship(
        back_populates="template", order_by="ChecklistItem.position", cascade="all, delete-orphan")


class ChecklistItem(db.Model):
    __tablename__ = "checklist_items"
    __table_args__ = (UniqueConstraint("template_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    template_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("checklist_templates.id", ondelete="CASCADE"),
                                                   index=True)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(20))
    text_zh: Mapped[str] = mapped_column(String(500))
    text_en: Mapped[str] = mapped_column(String(500))
    # 重点项: any failed key item makes the outcome non-compliant.
    key_item: Mapped[bool] = mapped_column(default=False)

    template: Mapped[ChecklistTemplate] = relationship(back_populates="items")


TASK_KINDS = ("routine", "follow_up", "sampling", "recall_verification", "complaint")
TASK_STATUSES = ("open", "in_progress", "done", "cancelled")


class InspectionPlan(db.Model):
    """A region's routine inspections for a year: visits per risk level → tasks."""

    __tablename__ = "inspection_plans"
    __table_args__ = (UniqueConstraint("region_code", "year"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    year: Mapped[int] = mapped_column(Integer)
    visits_per_level: Mapped[dict] = mapped_column(JSONB)
    tasks_created: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class InspectionTask(db.Model):
    """Work for an inspector at a facility, due at a time. Overdue is computed, not stored."""

    __tablename__ = "inspection_tasks"
    __table_args__ = (
        CheckConstraint("kind IN ('routine', 'follow_up', 'sampling', 'recall_verification', 'complaint')",
                        name="kind"),
        CheckConstraint("status IN ('open', 'in_progress', 'done', 'cancelled')", name="status"),
        UniqueConstraint("plan_id", "facility_id", "sequence"),
        Index("ix_inspection_tasks_assignee_status", "assignee_id", "status", "due_at"),
        Index("ix_inspection_tasks_cell_status", "cell_id", "status"),
        Index("ix_inspection_tasks_region_due", "region_code", "due_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), default="open")
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"), index=True)
    cell_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cells.id"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("inspection_plans.id"))
    sequence: Mapped[int] = mapped_column(Integer, default=1)  # the n-th visit of the plan's year
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, onupdate=now)
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": row_version}

    def is_overdue(self, at: datetime) -> bool:
        return self.status in ("open", "in_progress") and self.due_at < at
