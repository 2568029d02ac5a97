"""Traceability violations (DESIGN.md §7), for supervisors: the ones recorded with their
event (mass balance, restricted sales) and receipts that no shipment matches once the
grace period (TRACE_GRACE_HOURS) has passed, found when asked."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, String, cast, exists, literal, null, select, union_all
from sqlalchemy.orm import aliased

from backend.common import clock
from backend.common.actor import Actor
from backend.common.domain_errors import Forbidden
from backend.common.region_codes import scope_prefix
from backend.traceability.models import TraceEvent, TraceEventLot, TraceViolation
from backend.traceability.policy import is_trace_staff, violations_in_scope


def _unmatched_receipts(grace: timedelta) -> Select:
    """Receipts from a named source with no shipment of that lot from it to here."""
    ship, shipped = aliased(TraceEvent), aliased(TraceEventLot)
    matched = exists().where(ship.type == "ship", ship.facility_id == TraceEvent.other_facility_id,
                             ship.other_facility_id == TraceEvent.facility_id, shipped.event_pk == ship.id,
                             shipped.lot_id == TraceEventLot.lot_id)
    return (select(null().label("id"), literal("unmatched_receipt").label("type"), TraceEvent.event_id,
                   TraceEventLot.lot_id, TraceEvent.facility_id, TraceEvent.region_code,
                   ("Received from " + cast(TraceEvent.other_facility_id, String)
                    + " but no shipment of this lot from there was recorded").label("detail"),
                   (TraceEvent.occurred_at + grace).label("detected_at"))
            .join(TraceEventLot, TraceEventLot.event_pk == TraceEvent.id)
            .where(TraceEvent.type == "receive", TraceEvent.other_facility_id.is_not(None),
                   TraceEvent.occurred_at < clock.now() - grace, ~matched))


def violations_query(actor: Actor, *, region_code: str | None = None, type: str | None = None,
                     since: datetime | None = None, until: datetime | None = None) -> Select:
    if not is_trace_staff(actor):
        raise Forbidden("Violations are for supervision staff.")
    recorded = (select(TraceViolation.id, TraceViolation.type, TraceEvent.event_id, TraceViolation.lot_id,
                       TraceViolation.facility_id, TraceViolation.region_code, TraceViolation.detail,
                       TraceViolation.detected_at)
                .join(TraceEvent, TraceEvent.id == TraceViolation.event_pk))
    grace = timedelta(hours=current_app.config["TRACE_GRACE_HOURS"])
    rows = union_all(recorded, _unmatched_receipts(grace)).subquery()
    query = select(rows)
    conditions = violations_in_scope(actor, rows.c.region_code)
    if region_code:
        conditions.append(rows.c.region_code.startswith(scope_prefix(region_code)))
    if type:
        conditions.append(rows.c.type == type)
    if since:
        conditions.append(rows.c.detected_at >= since)
    if until:
        conditions.append(rows.c.detected_at < until)
    return query.where(*conditions).order_by(rows.c.detected_at.desc(), rows.c.event_id)
