from __future__ import annotations

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db


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
