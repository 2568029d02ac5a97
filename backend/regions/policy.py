"""Who may see and manage grid cells (DESIGN.md §3), and which cells an inspector holds.

Inspectors see the cells they currently hold; admins every cell; supervisors and labs
their region's; an enterprise none. Only admins and supervisors draw and staff the grid.
"""
from __future__ import annotations

import uuid

from sqlalchemy import Select, false, select

from backend.common.actor import Actor
from backend.common.region_codes import scope_prefix
from backend.extensions import db
from backend.regions.models import Assignment, Cell

MANAGERS = ("admin", "supervisor")
CELL_VIEWERS = ("admin", "supervisor", "inspector", "lab")


def current_cell_ids(inspector_id: uuid.UUID) -> Select:
    """Cells an inspector currently holds (as lead or member)."""
    return select(Assignment.cell_id).where(Assignment.inspector_id == inspector_id, Assignment.valid_to.is_(None))


def holds_cell(inspector_id: uuid.UUID, cell_id: uuid.UUID) -> bool:
    return db.session.scalar(select(
        current_cell_ids(inspector_id).where(Assignment.cell_id == cell_id).exists())) or False


def visible_cells(actor: Actor, query: Select) -> Select:
    """Inspectors see their own cells; other staff their region; enterprises none."""
    if actor.role == "inspector":
        return query.where(Cell.id.in_(current_cell_ids(actor.id)))
    if not may_see_cells(actor):
        return query.where(false())
    if actor.is_admin:
        return query
    return query.where(Cell.region_code.startswith(scope_prefix(actor.region_code)))


def may_see_cells(actor: Actor) -> bool:
    """Cells and their inspectors are for supervision staff, never for a business."""
    return actor.is_system or actor.has_role(*CELL_VIEWERS)


def may_manage_grid(actor: Actor) -> bool:
    """Only admins and supervisors (of the region: `Actor.covers_region`) draw and staff the grid."""
    return actor.is_system or actor.has_role(*MANAGERS)


def sees_cell_at(actor: Actor, region_code: str) -> bool:
    """A located cell is answered within the actor's region (an admin: anywhere)."""
    return actor.covers_region(region_code) or actor.role == "admin"
