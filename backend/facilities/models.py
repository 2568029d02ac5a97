from __future__ import annotations

import uuid
from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Uuid, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.changes import ChangeTracked
from backend.common.clock import now
from backend.extensions import db

KINDS = ("workshop", "farmers_market", "wholesale_market", "stall", "producer", "retailer",
         "restaurant", "farm", "cold_store")
MARKET_KINDS = ("farmers_market", "wholesale_market")
RISK_LEVELS = ("A", "B", "C", "D")
STATUSES = ("active", "suspended", "closed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Facility(ChangeTracked, db.Model):
    """A food business at a place. Its cell and region follow from its location (DESIGN.md §4)."""

    __tablename__ = "facilities"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("risk_level", RISK_LEVELS), name="risk_level"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint("(kind = 'stall') = (parent_id IS NOT NULL)", name="stall_has_market"),
        Index("ix_facilities_region_kind", "region_code", "kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(24))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("facilities.id"), index=True)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    licence_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    # GS1 Global Location Number: how EPCIS documents (SGLN) name this place.
    gln: Mapped[str | None] = mapped_column(String(13), unique=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    cell_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cells.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    risk_level: Mapped[str] = mapped_column(String(1), default="B")
    credit_grade: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="active")
    # Where a workshop may sell (限区域销售): region codes.
    sales_area: Mapped[list[str]] = mapped_column(ARRAY(String(12)), default=list)
    operator_name: Mapped[str | None] = mapped_column(String(100))
    operator_phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, onupdate=now)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


# Distances in metres use geography(location); this index lets ST_DWithin on it use GiST.
Index("ix_facilities_location_geography", func.geography(Facility.location), postgresql_using="gist")
