from __future__ import annotations

import uuid
from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.common.changes import ChangeTracked
from backend.common.clock import now
from backend.extensions import db


class ChecklistTemplate(ChangeTracked, db.Model):
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


class InspectionTask(ChangeTracked, db.Model):
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
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # overdue, supervisor told
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": row_version}

    def is_overdue(self, at: datetime) -> bool:
        return self.status in ("open", "in_progress") and self.due_at < at


OUTCOMES = ("compliant", "basically_compliant", "non_compliant")
# Suspicious field data is stored and flagged for review, never refused (DESIGN.md §5).
CHECK_FLAGS = ("clock_skew", "no_location", "location_invalid", "low_accuracy", "outside_geofence",
               "template_kind_mismatch", "task_closed")


class Check(db.Model):
    """A field check (日常监督检查) as the phone recorded it. The id comes from the phone,
    so uploads can be retried; `body_sha256` tells a replay from a reused id."""

    __tablename__ = "checks"
    __table_args__ = (
        CheckConstraint("outcome IN ('compliant', 'basically_compliant', 'non_compliant')", name="outcome"),
        Index("ix_checks_region_received", "region_code", "received_at"),
        Index("ix_checks_facility_finished", "facility_id", "finished_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    inspector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"))
    task_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("inspection_tasks.id"), index=True)
    template_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("checklist_templates.id"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    cell_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cells.id"))
    # [{"item": code, "result": "pass" | "fail" | "na", "note": str}], in the template's order.
    results: Mapped[list[dict]] = mapped_column(JSONB)
    note: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(24))
    key_failures: Mapped[int] = mapped_column(Integer)
    general_failures: Mapped[int] = mapped_column(Integer)
    # Device clock: when the inspection started and ended, and when the phone sent it.
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    location: Mapped[WKBElement | None] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    location_accuracy_m: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    flags: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    body_sha256: Mapped[str] = mapped_column(String(64))

    template: Mapped[ChecklistTemplate] = relationship(lazy="joined", innerjoin=True)
    rectification_order: Mapped[RectificationOrder | None] = relationship(
        foreign_keys="RectificationOrder.check_id", back_populates="check", lazy="joined")


RECTIFICATION_STATUSES = ("open", "rectified", "not_rectified")


class RectificationOrder(db.Model):
    """责令整改: issued by a check that was not compliant, closed by its follow-up check."""

    __tablename__ = "rectification_orders"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'rectified', 'not_rectified')", name="status"),
        Index("ix_rectification_orders_region_status", "region_code", "status", "deadline"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    check_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("checks.id"), unique=True)
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    failed_items: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="open")
    follow_up_task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspection_tasks.id"), unique=True)
    closing_check_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("checks.id"))
    issued_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": row_version}

    check: Mapped[Check] = relationship(foreign_keys=[check_id], back_populates="rectification_order")

    def is_overdue(self, at: datetime) -> bool:
        return self.status == "open" and self.deadline < at


ATTACHMENT_OWNERS = ("check", "recall_facility")  # samples and complaints join as they are built


class Attachment(db.Model):
    """A photo, signature or document, content-addressed on disk by its SHA-256."""

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint("owner_type IN ('check', 'recall_facility')", name="owner_type"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
        Index("ix_attachments_owner", "owner_type", "owner_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(24))
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    uploaded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # Where the camera says the photo was taken (EXIF GPS), when it says so.
    exif_location: Mapped[WKBElement | None] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
