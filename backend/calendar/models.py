"""The working-day calendar's exceptions to "Monday to Friday" (Asia/Shanghai)."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.clock import now
from backend.extensions import db


class CalendarDay(db.Model):
    """One day that departs from the weekly pattern: a public holiday (法定节假日) or a
    make-up working day (调休上班) falling on a weekend, per the State Council's yearly
    notice. Days not in the table are working days from Monday to Friday."""

    __tablename__ = "calendar_days"
    __table_args__ = (CheckConstraint("kind IN ('holiday', 'workday')", name="kind"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, onupdate=now)

    @property
    def source(self) -> str:
        """An entry of this table is an administrator's (it wins over the package's day)."""
        return "admin"
