"""Change tracking for the phones' delta feed (DESIGN.md §9, backend/sync).

Every row a phone mirrors carries `changed_xid`: the id of the transaction that last
wrote it (`pg_current_xact_id()`, set on insert by the default and on update by the
trigger `foodgrid_touch_changed_xid`, so bulk UPDATE statements are covered too). A
sync cursor holds the database snapshot of the previous sync; a row is new to the phone
exactly when its transaction is not visible in that snapshot. Unlike a sequence number,
this cannot skip a slow transaction that commits after a faster, later one.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.dialects.postgresql.base import ischema_names
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.types import UserDefinedType


class Xid8(UserDefinedType):
    """PostgreSQL's 64-bit transaction id (never wraps around)."""

    cache_ok = True

    def get_col_spec(self, **_) -> str:
        return "xid8"


ischema_names["xid8"] = Xid8  # so reflection (Alembic autogenerate) recognises the type


class ChangeTracked:
    """Mixin: the `changed_xid` column a sync reads (deferred: the ORM never needs it)."""

    @declared_attr
    def changed_xid(cls) -> Mapped[str]:
        return mapped_column(Xid8, server_default=text("pg_current_xact_id()"), deferred=True, index=True)
