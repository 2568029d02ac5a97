from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false

from backend.common.clock import now
from backend.extensions import db

VALUE = Numeric(20, 6)
SAMPLE_STATUSES = ("collected", "in_lab", "qualified", "unqualified", "retest_requested", "retested")
METHODS = ("rapid", "lab")


class Limit(db.Model):
    """The most an analyte may reach in a food category, per a national standard. Rows are
    never changed: a new limit closes the old one (valid_to), so a result is judged
    against the limit in force on its sampling date."""

    __tablename__ = "limits"
    __table_args__ = (Index("ix_limits_lookup", "analyte", "food_category", "valid_from"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    analyte: Mapped[str] = mapped_column(String(64))
    food_category: Mapped[str] = mapped_column(String(64))
    max_value: Mapped[Decimal | None] = mapped_column(VALUE)
    unit: Mapped[str] = mapped_column(String(16))
    must_not_detect: Mapped[bool] = mapped_column(default=False)  # 不得检出: fails at any value ≥ LOD
    lod: Mapped[Decimal | None] = mapped_column(VALUE)
    standard: Mapped[str] = mapped_column(String(120))  # e.g. "GB 2763-2021"
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Sample(db.Model):
    """A sample taken in the field (id from the phone; seal number printed on the bag)."""

    __tablename__ = "samples"
    __table_args__ = (
        CheckConstraint("status IN ('collected', 'in_lab', 'qualified', 'unqualified', 'retest_requested', "
                        "'retested')", name="status"),
        CheckConstraint("method IN ('rapid', 'lab')", name="method"),
        Index("ix_samples_region_sampled", "region_code", "sampled_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    sample_no: Mapped[str] = mapped_column(String(40), unique=True)
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    cell_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cells.id"))
    task_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("inspection_tasks.id"))
    check_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("checks.id"))
    lot_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("lots.id"), index=True)
    # When the lot is not (yet) known: what the label says, to link it later.
    lot_code: Mapped[str | None] = mapped_column(String(80))
    producer_name: Mapped[str | None] = mapped_column(String(200))
    producer_facility_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("facilities.id"))
    product_name: Mapped[str] = mapped_column(String(200))
    food_category: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[str] = mapped_column(String(40))  # "3 × 500 g"
    method: Mapped[str] = mapped_column(String(8))
    # 快检 done on the spot: [{"analyte", "result": "negative" | "positive", "kit"}]
    rapid_results: Mapped[list[dict] | None] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(20), default="collected")
    sampled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    collected_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    received_in_lab_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lab_name: Mapped[str | None] = mapped_column(String(120))
    verdict_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verdict_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # the business was told
    # 食品安全抽样检验管理办法: in the lab within SAMPLE_DELIVERY_WORKING_DAYS of sampling, reported
    # within SAMPLE_REPORT_WORKING_DAYS of receipt. Stored when each clock starts; escalated once each.
    lab_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    report_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivery_escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    report_escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    follow_up_task_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("inspection_tasks.id"))
    body_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": row_version}

    results: Mapped[list[TestResult]] = relationship(back_populates="sample", order_by="TestResult.entered_at",
                                                     lazy="selectin")
    retest_request: Mapped[RetestRequest | None] = relationship(lazy="selectin", viewonly=True)

    @property
    def final_verdict(self) -> str | None:
        """The verdict that stands: the re-test's once there is one (复检结论为最终结论), else the first."""
        if self.retest_request is not None and self.retest_request.verdict:
            return self.retest_request.verdict
        if self.verdict_at is None:
            return None
        return "qualified" if self.status == "qualified" else "unqualified"


class TestResult(db.Model):
    """One analyte's result. Never edited: an amendment adds a row and supersedes the old."""

    __tablename__ = "test_results"
    __test__ = False  # not a pytest test class
    __table_args__ = (CheckConstraint("value >= 0", name="value_not_negative"),
                      CheckConstraint("verdict IN ('pass', 'fail')", name="verdict"))

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    sample_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("samples.id"), index=True)
    analyte: Mapped[str] = mapped_column(String(64))
    value: Mapped[Decimal] = mapped_column(VALUE)  # in the limit's unit
    unit: Mapped[str] = mapped_column(String(16))
    reported_value: Mapped[Decimal] = mapped_column(VALUE)  # as the lab entered it
    reported_unit: Mapped[str] = mapped_column(String(16))
    lod: Mapped[Decimal | None] = mapped_column(VALUE)
    method: Mapped[str] = mapped_column(String(120))  # e.g. "GB 23200.113-2018"
    lab_name: Mapped[str] = mapped_column(String(120))
    limit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("limits.id"))
    verdict: Mapped[str] = mapped_column(String(8))
    entered_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    superseded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("test_results.id"))
    amend_reason: Mapped[str | None] = mapped_column(Text)
    retest: Mapped[bool] = mapped_column(default=False, server_default=false())  # entered by the re-test lab

    sample: Mapped[Sample] = relationship(back_populates="results")
    limit: Mapped[Limit] = relationship(lazy="joined")


class RetestRequest(db.Model):
    """复检 (Food Safety Law art. 88): asked by the business within its window."""

    __tablename__ = "retest_requests"
    __table_args__ = (CheckConstraint("status IN ('requested', 'accepted', 'refused')", name="status"),
                      CheckConstraint("verdict IN ('qualified', 'unqualified')", name="verdict"))

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    sample_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("samples.id"), unique=True)  # one re-test per sample
    method: Mapped[str] = mapped_column(String(8))
    lab_name: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="requested")
    requested_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    window_ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The regulator accepts or refuses within RETEST_DECISION_WORKING_DAYS (escalated once when late).
    decide_by: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The re-test lab's verdict: it replaces the first one.
    verdict: Mapped[str | None] = mapped_column(String(12))
    verdict_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CreditEvent(db.Model):
    """An entry in a business's food-safety credit file (质量信用档案, DESIGN.md §9)."""

    __tablename__ = "credit_events"
    __table_args__ = (UniqueConstraint("kind", "source_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # unqualified_sample, …
    source_id: Mapped[uuid.UUID] = mapped_column(Uuid)  # the sample, check, recall… it comes from
    points: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
