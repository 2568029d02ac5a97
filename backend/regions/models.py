from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.common.changes import ChangeTracked
from backend.common.clock import now
from backend.extensions import db

if TYPE_CHECKING:
    from backend.auth.models import User


class Region(db.Model):
    """A GB/T 2260 administrative division (province, city, county, township)."""

    __tablename__ = "regions"
    __table_args__ = (
        CheckConstraint("level IN ('province', 'city', 'county', 'township', 'village')", name="level"),
    )

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str | None] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    boundary: Mapped[WKBElement | None] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True)
    )
    # Where the boundary comes from; demo boundaries say "approximate".
    boundary_source: Mapped[str | None] = mapped_column(String(200))


class Cell(ChangeTracked, db.Model):
    """A grid cell (网格). Never deleted: a redraw retires old cells and creates new ones."""

    __tablename__ = "cells"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'retired')", name="status"),
        Index("ix_cells_region_status", "region_code", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    boundary: Mapped[WKBElement] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True))
    status: Mapped[str] = mapped_column(String(16), default="active")
    # How the cell was made: "square:1000m", "h3:8", "drawn", "imported".
    source: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, onupdate=now)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    assignments: Mapped[list[Assignment]] = relationship(back_populates="cell", order_by="Assignment.valid_from")

    @property
    def staff(self) -> list[Assignment]:
        """The current lead and members."""
        return [assignment for assignment in self.assignments if assignment.valid_to is None]


class Assignment(ChangeTracked, db.Model):
    """Who is responsible for a cell, and when (责任追究). Rows are closed, never changed back.

    The exclusion constraint (first grid migration) makes two lead periods of one cell
    impossible to overlap, so "at most one current lead" holds even under concurrent
    reassignments.
    """

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint("role IN ('lead', 'member')", name="role"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="period"),
        Index("ix_assignments_inspector_current", "inspector_id", postgresql_where=text("valid_to IS NULL")),
        Index("ix_assignments_cell_period", "cell_id", "valid_from"),
        Index("uq_assignments_current_member", "cell_id", "inspector_id", unique=True,
              postgresql_where=text("valid_to IS NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    cell_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cells.id"))
    inspector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(8))
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    assigned_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(500))
    ended_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    end_reason: Mapped[str | None] = mapped_column(String(500))

    cell: Mapped[Cell] = relationship(back_populates="assignments")
    inspector: Mapped[User] = relationship(foreign_keys=[inspector_id], lazy="raise_on_sql")
