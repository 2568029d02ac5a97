"""Who may see and change facilities, and anything tied to one (DESIGN.md §2, §4).

The facility-scope ladder, written once: an administrator (or the service) sees every
facility; an inspector those in the cells it currently holds; an enterprise user its own
facility; supervisors and labs their region. Checks, rectification orders and samples
are scoped by the same ladder through `facility_scoped`.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, Select, false, or_, select

from backend.common.actor import Actor
from backend.common.region_codes import scope_prefix
from backend.facilities.models import Facility
from backend.regions.policy import current_cell_ids, holds_cell

WRITERS = ("admin", "supervisor")
CHECKERS = ("inspector", "supervisor")


def facility_scoped(actor: Actor, query: Select, *, facility_id: ColumnElement, region_code: ColumnElement,
                    cell_id: ColumnElement | None = None, own: ColumnElement | None = None) -> Select:
    """Narrow `query` over rows tied to a facility (`facility_id`, `region_code`) to the
    actor's scope. An inspector sees the rows of its current cells — by the row's `cell_id`
    where given, else by the facility's current cell — and also the rows it made itself
    (`own`: the column naming their author)."""
    if actor.is_admin:
        return query
    if actor.role == "inspector":
        held = current_cell_ids(actor.id)
        in_cells = cell_id.in_(held) if cell_id is not None else \
            facility_id.in_(select(Facility.id).where(Facility.cell_id.in_(held)))
        return query.where(or_(own == actor.id, in_cells) if own is not None else in_cells)
    if actor.role == "enterprise":
        # An enterprise account without a facility sees nothing (never `facility_id IS NULL`).
        return query.where(facility_id == actor.facility_id if actor.facility_id is not None else false())
    return query.where(region_code.startswith(scope_prefix(actor.region_code)))


def visible_facilities(actor: Actor, query: Select) -> Select:
    """Facilities in the actor's scope (the ladder above)."""
    return facility_scoped(actor, query, facility_id=Facility.id, region_code=Facility.region_code,
                           cell_id=Facility.cell_id)


def facility_ids(actor: Actor) -> Select:
    """The ids of the facilities in the actor's scope, as a subquery."""
    return visible_facilities(actor, select(Facility.id))


def sees_facility(actor: Actor, facility: Facility) -> bool:
    """The ladder as a predicate on one loaded facility."""
    if actor.is_admin:
        return True
    if actor.role == "inspector":
        return facility.cell_id is not None and holds_cell(actor.id, facility.cell_id)
    if actor.role == "enterprise":
        return actor.facility_id is not None and facility.id == actor.facility_id
    return actor.covers_region(facility.region_code)


def may_check(actor: Actor, facility: Facility) -> bool:
    """Field checks and samples: inspectors in their cells, supervisors in their region."""
    return actor.has_role(*CHECKERS) and sees_facility(actor, facility)


def may_write_facilities(actor: Actor) -> bool:
    """Only administrators and supervisors register, import and change facilities."""
    return actor.is_system or actor.has_role(*WRITERS)
