"""Trace events (DESIGN.md §7): recorded once per sender's `event_id`, with the holdings
and the movement graph they change, and the violations they reveal — in one transaction.

Holdings per (lot, facility) = received + produced − shipped − consumed − sold − destroyed.
A holding going negative, or a lot leaving a facility that never held it, is a
mass-balance violation; a workshop lot (小作坊) shipped to, received at or sold at a place
outside its sales area (限区域销售) a restricted-sales one. Violations are recorded, never refused: field data
is messy, so it is stored first and flagged for review.

Namespace of `event_id`: an event id is the sender's idempotency key, so it is unique per
facility where the event happened — (facility_id, event_id) — and the replay lookup is
made there, after the caller is known to be allowed to record at that facility. An
enterprise user records only at its own facility, so its namespace is its facility;
staff entering an event on a business's behalf (an inspector copying a paper record, a
re-imported spreadsheet) write into that business's record, so their retries and a
business's own upload of the same event meet as replays rather than duplicates. Nobody
can probe, read or block ids of a facility they may not record for: such a facility is
answered as unknown, like one that does not exist.

Referenced ids: the event's facility must be one the caller may record for (else 422
unknown_facility, whether absent or out of scope). The counterparty and the lots are
other businesses' by nature (a shipment goes to someone else, a receipt names the
sender's lot) and are not limited to the caller's scope; only their existence is checked.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import Select, literal_column, or_, select
from sqlalchemy.dialects.postgresql import insert

from backend.common import audit_trail as audit
from backend.common import clock
from backend.common.actor import Actor
from backend.common.digest import content_sha256
from backend.common.domain_errors import Conflict, RuleViolation
from backend.common.region_codes import is_within
from backend.extensions import db
from backend.facilities.models import Facility
from backend.facilities.service import referenced_facility
from backend.traceability.catalogue import writable_facility
from backend.traceability.models import Holding, Lot, TraceEdge, TraceEvent, TraceEventLot, TraceViolation
from backend.traceability.policy import visible_events

INTO = ("harvest", "produce", "receive")  # the subject lot arrives at the facility
OUT_OF = ("ship", "sell", "destroy")  # the subject lot leaves it


@dataclass(frozen=True)
class Recorded:
    event: TraceEvent
    created: bool


def record_event(actor: Actor, *, event_id: str, type: str, occurred_at: datetime, facility_id: uuid.UUID,
                 lines: list[dict], other_facility_id: uuid.UUID | None = None, reference: str | None = None,
                 extensions: dict | None = None, source: str = "api") -> Recorded:
    """Store one event, however often it is sent (same `event_id` and body → the stored one)."""
    digest = content_sha256({"event_id": event_id, "type": type, "occurred_at": occurred_at,
                          "facility_id": facility_id, "other_facility_id": other_facility_id,
                          "reference": reference, "lines": lines, "extensions": extensions})
    facility = writable_facility(actor, facility_id)  # first: the namespace must be the caller's
    stored = db.session.scalar(select(TraceEvent).where(TraceEvent.facility_id == facility.id,
                                                        TraceEvent.event_id == event_id))
    if stored is not None:
        return Recorded(_replayed(stored, digest), created=False)
    other = _other_facility(actor, type, other_facility_id)
    lots = _lots_of(type, lines)
    flags = []
    if occurred_at > clock.now() + timedelta(seconds=current_app.config["CLOCK_SKEW_S"]):
        flags.append("future_time")

    event = db.session.scalar(
        insert(TraceEvent).values(
            id=uuid.uuid4(), event_id=event_id, type=type, occurred_at=occurred_at, facility_id=facility.id,
            other_facility_id=other and other.id, region_code=facility.region_code, reference=reference,
            flags=flags, source=source, extensions=extensions, body_sha256=digest,
            recorded_by=actor.id, recorded_at=clock.now(),
        ).on_conflict_do_nothing(index_elements=[TraceEvent.facility_id, TraceEvent.event_id]).returning(TraceEvent),
        execution_options={"populate_existing": True},
    )
    if event is None:  # the same event_id committed meanwhile by a concurrent request
        raced = db.session.scalar(select(TraceEvent).where(TraceEvent.facility_id == facility.id,
                                                           TraceEvent.event_id == event_id)
                                  .execution_options(populate_existing=True))
        return Recorded(_replayed(raced, digest), created=False)
    db.session.add_all([TraceEventLot(event_pk=event.id, **line) for line in lines])
    _move(event, facility, other, lines, lots)
    db.session.flush()
    audit.record(actor, f"trace.{type}", "trace_event", event.id, region_code=event.region_code,
                 after={"event_id": event_id, "facility_id": facility.id, "other_facility_id": other_facility_id,
                        "lines": lines, "flags": flags})
    return Recorded(event, created=True)


def _replayed(stored: TraceEvent, digest: str) -> TraceEvent:
    if stored.body_sha256 != digest:
        raise Conflict(f"Event {stored.event_id} was already recorded with different content.",
                       code="event_id_reused", field="event_id")
    return stored


def _other_facility(actor: Actor, type: str, other_facility_id: uuid.UUID | None) -> Facility | None:
    if other_facility_id is None:
        return None
    if type not in ("ship", "receive"):
        raise RuleViolation("Only ship and receive events have a counterparty.", code="unexpected_counterparty",
                            field="other_facility_id")
    return referenced_facility(actor, other_facility_id, field="other_facility_id")


def _lots_of(type: str, lines: list[dict]) -> dict[uuid.UUID, Lot]:
    """The lots named, each known and in its own unit; the roles right for the event type."""
    roles = {line["role"] for line in lines}
    if type == "transform" and roles != {"input", "output"}:
        raise RuleViolation("A transformation needs input lots and output lots.", code="transform_incomplete",
                            field="inputs" if "input" not in roles else "outputs")
    if type != "transform" and (roles != {"subject"}):
        raise RuleViolation(f"A {type} event names its lots as subjects.", code="wrong_roles", field="lot_id")
    named = {line["lot_id"] for line in lines}
    lots = {lot.id: lot for lot in db.session.scalars(select(Lot).where(Lot.id.in_(named)))}
    errors = {}
    for index, line in enumerate(lines):
        lot = lots.get(line["lot_id"])
        if lot is None:
            errors[f"lines.{index}.lot_id"] = [f"No lot {line['lot_id']}."]
        elif line["unit"] != lot.unit:
            errors[f"lines.{index}.unit"] = [f"Lot {lot.lot_code} is counted in {lot.unit}, not {line['unit']}."]
    if errors:
        unknown = any("No lot" in messages[0] for messages in errors.values())
        raise RuleViolation("Some lots are unknown or counted in another unit.",
                            code="unknown_lot" if unknown else "unit_mismatch", errors=errors)
    return lots


def _move(event: TraceEvent, facility: Facility, other: Facility | None, lines: list[dict],
          lots: dict[uuid.UUID, Lot]) -> None:
    """Holdings, movement edges and violations of one event."""
    for line in lines:
        lot, quantity = lots[line["lot_id"]], Decimal(line["quantity"])
        arriving = line["role"] == "output" or (line["role"] == "subject" and event.type in INTO)
        _hold(event, lot, facility, quantity if arriving else -quantity)
        if event.type == "ship" and other is not None:
            _edge(event, lot.id, facility.id, lot.id, other.id, quantity, lot.unit)
            _check_sales_area(event, lot, facility, destination=other)
        if event.type == "receive":
            if other is not None:
                _edge(event, lot.id, other.id, lot.id, facility.id, quantity, lot.unit)
            _check_sales_area(event, lot, facility)
        if event.type == "sell":
            _check_sales_area(event, lot, facility)
    if event.type == "transform":
        for source in (line for line in lines if line["role"] == "input"):
            for made in (line for line in lines if line["role"] == "output"):
                _edge(event, source["lot_id"], facility.id, made["lot_id"], facility.id, Decimal(made["quantity"]),
                      made["unit"])


def _hold(event: TraceEvent, lot: Lot, facility: Facility, delta: Decimal) -> None:
    quantity, inserted = db.session.execute(
        insert(Holding).values(lot_id=lot.id, facility_id=facility.id, quantity=delta, unit=lot.unit,
                               updated_at=clock.now())
        .on_conflict_do_update(index_elements=[Holding.lot_id, Holding.facility_id],
                               set_={"quantity": Holding.quantity + delta, "updated_at": clock.now()})
        .returning(Holding.quantity, literal_column("(xmax = 0)"))).one()
    if delta < 0 and inserted:
        _violation("never_held", event, lot, facility,
                   f"{facility.name} gave out {-delta} {lot.unit} of lot {lot.lot_code} it never held.")
    elif quantity < 0:
        _violation("negative_holding", event, lot, facility,
                   f"{facility.name} would hold {quantity} {lot.unit} of lot {lot.lot_code} (mass balance).")


def _edge(event, from_lot, from_facility, to_lot, to_facility, quantity: Decimal, unit: str) -> None:
    db.session.add(TraceEdge(event_pk=event.id, from_lot_id=from_lot, from_facility_id=from_facility,
                             to_lot_id=to_lot, to_facility_id=to_facility, quantity=quantity, unit=unit))


def _check_sales_area(event: TraceEvent, lot: Lot, facility: Facility, destination: Facility | None = None) -> None:
    """限区域销售: a workshop's products may be sold only in the regions of its sales area —
    shipped there (checked at the destination, whoever ships: the workshop or a later
    holder), received there, or sold there. The violation is filed under the facility
    that recorded the event."""
    producer = db.session.get(Facility, lot.facility_id)
    if producer.kind != "workshop" or not producer.sales_area:
        return
    place = destination or facility
    if not any(is_within(place.region_code, area) for area in producer.sales_area):
        done = {"ship": f"shipped by {facility.name} to {place.name} in", "sell": "sold in"}.get(event.type,
                                                                                                "received in")
        _violation("restricted_sales", event, lot, facility,
                   f"Workshop lot {lot.lot_code} {done} {place.region_code}, outside its sales area "
                   f"{', '.join(producer.sales_area)}.")


def _violation(kind: str, event: TraceEvent, lot: Lot, facility: Facility, detail: str) -> None:
    db.session.execute(insert(TraceViolation).values(
        id=uuid.uuid4(), type=kind, event_pk=event.id, lot_id=lot.id, facility_id=facility.id,
        region_code=facility.region_code, detail=detail, detected_at=clock.now(),
    ).on_conflict_do_nothing())


def events_query(actor: Actor, *, lot_id: uuid.UUID | None = None, facility_id: uuid.UUID | None = None,
                 type: str | None = None) -> Select:
    """Events in scope: staff see all (traces cross regions), a business those at its facility."""
    query = visible_events(actor, select(TraceEvent)).order_by(TraceEvent.occurred_at.desc(), TraceEvent.id)
    if lot_id:
        query = query.where(TraceEvent.id.in_(select(TraceEventLot.event_pk).where(TraceEventLot.lot_id == lot_id)))
    if facility_id:
        query = query.where(or_(TraceEvent.facility_id == facility_id, TraceEvent.other_facility_id == facility_id))
    if type:
        query = query.where(TraceEvent.type == type)
    return query
