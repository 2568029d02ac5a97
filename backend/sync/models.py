from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, String, Uuid, func, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.changes import Xid8
from backend.extensions import db


class SyncTombstone(db.Model):
    """A row that left someone's view: a task given to another inspector, a facility that
    moved out of a cell, a cell taken from an inspector. Written by database triggers
    (see the sync migration) so that bulk UPDATE statements leave tombstones too.

    `user_id` addresses one inspector; `cell_id` everyone who holds that cell.
    """

    __tablename__ = "sync_tombstones"
    __table_args__ = (Index("ix_sync_tombstones_changed_xid", "changed_xid"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    entity_type: Mapped[str] = mapped_column(String(16))  # cell | facility | task
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    cell_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    changed_xid: Mapped[str] = mapped_column(Xid8, server_default=text("pg_current_xact_id()"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
