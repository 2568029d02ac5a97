"""The locate query as plain SQL, shared by the bare endpoint and the SQL-only measurements.

It must stay the statement `backend.regions.cells.locate_cell` builds with the ORM: the
active cell covering a WGS-84 point, the lowest code on a shared edge.
"""
from __future__ import annotations

LOCATE_SQL = ("SELECT id FROM cells WHERE status = 'active' "
              "AND ST_Covers(boundary, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) ORDER BY code LIMIT 1")


def libpq_url(url: str) -> str:
    """SQLAlchemy's `postgresql+psycopg://` URL as libpq wants it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)
