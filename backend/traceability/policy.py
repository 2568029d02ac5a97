"""Who may see and record products, lots, trace events, traces and violations (DESIGN.md §7).

Staff read every product, lot and event (a trace crosses regions: food safety needs the
whole chain); an enterprise user sees what its facility produced, holds or owns, and
the events at its facility — never another business's catalogue. Businesses, inspectors
and supervisors record, each for the facilities it sees (`facilities.policy`).
Violations are staff's, within their region.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, Select, or_, select

from backend.common.actor import STAFF_ROLES, Actor
from backend.common.domain_errors import Forbidden
from backend.common.region_codes import scope_prefix
from backend.facilities.policy import facility_ids
from backend.traceability.models import Holding, Lot, Product, TraceEvent

STAFF = STAFF_ROLES
WRITERS = ("admin", "supervisor", "inspector", "enterprise")


def may_record(actor: Actor) -> bool:
    """Traceability data is recorded by businesses, inspectors and supervisors."""
    return actor.is_system or actor.has_role(*WRITERS)


def is_trace_staff(actor: Actor) -> bool:
    """Traces, violations and every lot are for supervision staff (and the service)."""
    return actor.is_system or actor.is_staff


def visible_lots(actor: Actor, query: Select) -> Select:
    """Staff: every lot. An enterprise: the lots its facility produced or holds."""
    if is_trace_staff(actor):
        return query
    if actor.role == "enterprise":
        mine = facility_ids(actor)
        held = select(Holding.lot_id).where(Holding.facility_id.in_(mine))
        return query.where(or_(Lot.facility_id.in_(mine), Lot.id.in_(held)))
    raise Forbidden("Lots are for staff and businesses.")


def visible_products(actor: Actor, query: Select) -> Select:
    """Staff see every product. An enterprise user sees the products its facility owns
    (registered them; a product an enterprise registers is owned by its facility) and
    those of the lots it sees (produced or holds, as visible_lots): what it makes or
    handles, never another business's catalogue. Others: none."""
    if is_trace_staff(actor):
        return query
    if actor.role == "enterprise":
        handled = visible_lots(actor, select(Lot.product_id))
        return query.where(or_(Product.owner_facility_id.in_(facility_ids(actor)), Product.id.in_(handled)))
    raise Forbidden("Products are for staff and businesses.")


def visible_events(actor: Actor, query: Select) -> Select:
    """Staff see all events (traces cross regions), a business those at its facility."""
    if actor.role == "enterprise":
        mine = facility_ids(actor)
        return query.where(or_(TraceEvent.facility_id.in_(mine), TraceEvent.other_facility_id.in_(mine)))
    if not is_trace_staff(actor):
        raise Forbidden("Trace events are for staff and businesses.")
    return query


def violations_in_scope(actor: Actor, region_code: ColumnElement) -> list[ColumnElement]:
    """Conditions narrowing violations (by their `region_code`) to the actor's region."""
    if actor.role != "admin" and not actor.is_system:
        return [region_code.startswith(scope_prefix(actor.region_code))]
    return []
