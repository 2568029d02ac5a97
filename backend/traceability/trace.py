"""Trace a lot back to its origin and forward to everywhere it went (DESIGN.md §7).

The graph's nodes are (lot, facility) pairs: a lot as held at one place. Its edges are in
`trace_edges`, written with each event: a shipment moves a lot between facilities, a
transformation turns input lots into output lots at one facility. One recursive query per
direction walks them from every place that ever held the lot — never one query per hop.
The walk is a working set of (lot, facility, depth) rows combined with UNION, so a node
met again at the same depth is not expanded twice and cycles end at `max_depth`; no path
arrays, which explode on converging supply chains. The same statement aggregates the
answer as JSON — lots, facilities with location and cell, `events` (the movements walked:
shipments and transformations), `records` (every recorded event line at the places
reached, harvests and sales included: the spreadsheet's rows) and totals — so the API adds
little to what the database does.
"""
from __future__ import annotations

import uuid

from flask import current_app
from sqlalchemy import text

from backend.common.actor import Actor
from backend.common.domain_errors import Forbidden, RuleViolation
from backend.extensions import db
from backend.traceability.catalogue import get_lot
from backend.traceability.policy import is_trace_staff

# {step} joins an edge to the walk in the direction traced; {next_*} is where it leads.
_TRACE_SQL = """
WITH RECURSIVE
walk(lot_id, facility_id, depth) AS (
    SELECT h.lot_id, h.facility_id, 0 FROM holdings h WHERE h.lot_id = :lot_id
    UNION
    SELECT l.id, l.facility_id, 0 FROM lots l WHERE l.id = :lot_id
    UNION
    SELECT e.{next_lot}, e.{next_facility}, w.depth + 1
      FROM walk w JOIN trace_edges e ON e.{this_lot} = w.lot_id AND e.{this_facility} = w.facility_id
     WHERE w.depth < :max_depth
),
reached AS (SELECT lot_id, facility_id, min(depth) AS depth FROM walk GROUP BY lot_id, facility_id),
nodes AS (SELECT * FROM reached ORDER BY depth, lot_id, facility_id LIMIT :max_nodes),
edges AS (  -- both ends reached: two index lookups and a hash INTERSECT, never a scan of nodes per edge
    SELECT e.*, ev.type
      FROM (SELECT e.id FROM nodes a
              JOIN trace_edges e ON e.from_lot_id = a.lot_id AND e.from_facility_id = a.facility_id
            INTERSECT
            SELECT e.id FROM nodes b
              JOIN trace_edges e ON e.to_lot_id = b.lot_id AND e.to_facility_id = b.facility_id) k
      JOIN trace_edges e ON e.id = k.id JOIN trace_events ev ON ev.id = e.event_pk
),
lines AS MATERIALIZED (  -- the reached lots' lines read once, then kept where the lot was reached
    SELECT tl.event_pk, tl.lot_id, ev.facility_id
      FROM trace_event_lots tl JOIN trace_events ev ON ev.id = tl.event_pk
     WHERE tl.lot_id IN (SELECT lot_id FROM nodes)
),
touched AS (  -- events with a line where a reached lot was
    SELECT DISTINCT event_pk FROM lines WHERE (lot_id, facility_id) IN (SELECT lot_id, facility_id FROM nodes)
),
records AS (  -- every line of those events, so a transformation keeps all its inputs and outputs
    SELECT ev.event_id, ev.type, ev.occurred_at, ev.facility_id, ev.other_facility_id, ev.reference, ev.flags,
           tl.id, tl.lot_id, tl.role, tl.quantity, tl.unit, l.lot_code, p.name AS product
      FROM touched t JOIN trace_events ev ON ev.id = t.event_pk
      JOIN trace_event_lots tl ON tl.event_pk = t.event_pk
      JOIN lots l ON l.id = tl.lot_id JOIN products p ON p.id = l.product_id
)
SELECT json_build_object(
  'truncated', (SELECT count(*) FROM reached) > :max_nodes OR EXISTS (
      SELECT 1 FROM nodes n JOIN trace_edges e ON e.{this_lot} = n.lot_id AND e.{this_facility} = n.facility_id
       WHERE n.depth = :max_depth AND NOT EXISTS (
             SELECT 1 FROM reached r WHERE r.lot_id = e.{next_lot} AND r.facility_id = e.{next_facility})),
  'lots', (SELECT coalesce(json_agg(json_build_object(
              'id', l.id, 'lot_code', l.lot_code, 'product_id', p.id, 'product', p.name, 'category', p.category,
              'gtin', p.gtin, 'unit', l.unit, 'producer_id', l.facility_id, 'produced_at', l.produced_at,
              'expires_at', l.expires_at, 'depth', d.depth) ORDER BY d.depth, l.lot_code), '[]'::json)
             FROM (SELECT lot_id, min(depth) AS depth FROM nodes GROUP BY lot_id) d
             JOIN lots l ON l.id = d.lot_id JOIN products p ON p.id = l.product_id),
  'facilities', (SELECT coalesce(json_agg(json_build_object(
              'id', f.id, 'name', f.name, 'kind', f.kind, 'address', f.address, 'region_code', f.region_code,
              'cell_id', f.cell_id, 'gln', f.gln, 'location', json_build_array(ST_X(f.location), ST_Y(f.location)),
              'depth', d.depth) ORDER BY d.depth, f.name), '[]'::json)
             FROM (SELECT facility_id, min(depth) AS depth FROM nodes GROUP BY facility_id) d
             JOIN facilities f ON f.id = d.facility_id),
  'events', (SELECT coalesce(json_agg(json_build_object(
              'event_id', ev.event_id, 'type', ev.type, 'occurred_at', ev.occurred_at,
              'from_lot_id', e.from_lot_id, 'from_facility_id', e.from_facility_id,
              'to_lot_id', e.to_lot_id, 'to_facility_id', e.to_facility_id,
              'quantity', e.quantity, 'unit', e.unit, 'reference', ev.reference, 'flags', ev.flags)
              ORDER BY ev.occurred_at, e.id), '[]'::json)
             FROM edges e JOIN trace_events ev ON ev.id = e.event_pk),
  'records', (SELECT coalesce(json_agg(json_build_object(
              'event_id', r.event_id, 'type', r.type, 'occurred_at', r.occurred_at, 'facility_id', r.facility_id,
              'other_facility_id', r.other_facility_id, 'lot_id', r.lot_id, 'lot_code', r.lot_code,
              'product', r.product, 'role', r.role,
              'quantity', r.quantity, 'unit', r.unit, 'reference', r.reference, 'flags', r.flags)
              ORDER BY r.occurred_at, r.event_id, r.id), '[]'::json) FROM records r),
  'distributed', (SELECT coalesce(json_agg(json_build_object(
              'facility_id', s.facility_id, 'quantity', s.quantity, 'unit', s.unit)
              ORDER BY s.quantity DESC, s.facility_id), '[]'::json)
             -- a movement recorded by both sides (ship and receive) counts once
             FROM (SELECT to_facility_id AS facility_id, unit,
                          greatest(coalesce(sum(quantity) FILTER (WHERE type = 'ship'), 0),
                                   coalesce(sum(quantity) FILTER (WHERE type = 'receive'), 0)) AS quantity
                     FROM edges WHERE from_facility_id <> to_facility_id GROUP BY to_facility_id, unit) s)
)
"""
_STEPS = {
    "forward": {"this_lot": "from_lot_id", "this_facility": "from_facility_id",
                "next_lot": "to_lot_id", "next_facility": "to_facility_id"},
    "back": {"this_lot": "to_lot_id", "this_facility": "to_facility_id",
             "next_lot": "from_lot_id", "next_facility": "from_facility_id"},
}
TRACE_SQL = {direction: text(_TRACE_SQL.format(**step)) for direction, step in _STEPS.items()}


def walk(lot_id: uuid.UUID, direction: str, max_depth: int, max_nodes: int) -> dict:
    """One direction, as the database answers it (the statement the benchmark also runs raw).

    `truncated` only when something was left out: more than `max_nodes` nodes reached, or
    an edge leading on from a node at `max_depth`. A chain exactly `max_depth` hops long,
    or exactly `max_nodes` nodes, is whole."""
    return db.session.scalar(TRACE_SQL[direction],
                             {"lot_id": lot_id, "max_depth": max_depth, "max_nodes": max_nodes})


def trace_lot(actor: Actor, lot_id: uuid.UUID, *, direction: str = "both", max_depth: int = 20) -> dict:
    """Where a lot came from (back), where it went (forward), or both, with totals; at most
    TRACE_MAX_DEPTH hops (a deeper request is refused) and TRACE_MAX_NODES nodes a direction."""
    if not is_trace_staff(actor):
        raise Forbidden("Traces are for supervision staff.")
    depth_cap, max_nodes = current_app.config["TRACE_MAX_DEPTH"], current_app.config["TRACE_MAX_NODES"]
    if max_depth > depth_cap:
        raise RuleViolation(f"max_depth is at most {depth_cap}.", code="max_depth_too_large", field="max_depth",
                            max_depth=depth_cap)
    lot = get_lot(actor, lot_id)
    parts = [walk(lot.id, part, max_depth, max_nodes)
             for part in (("back", "forward") if direction == "both" else (direction,))]
    merged = parts[0] if len(parts) == 1 else _merge(*parts)
    facilities = merged["facilities"]
    return {"lot_id": lot.id, "lot_code": lot.lot_code, "direction": direction, "max_depth": max_depth,
            **merged, "totals": {"facilities_reached": len(facilities), "lots_reached": len(merged["lots"]),
                                 "events": len(merged["events"]), "records": len(merged["records"])}}


def _merge(back: dict, forward: dict) -> dict:
    """Both directions in one answer; upstream depths are negative (−1 is the direct supplier)."""
    for key in ("lots", "facilities"):
        for item in back[key]:
            item["depth"] = -item["depth"]

    def union(key: str, ident) -> list:
        seen = {}
        for item in forward[key] + back[key]:
            seen.setdefault(ident(item), item)
        return list(seen.values())

    return {"truncated": back["truncated"] or forward["truncated"],
            "lots": union("lots", lambda lot: lot["id"]),
            "facilities": union("facilities", lambda facility: facility["id"]),
            "events": union("events", lambda e: (e["event_id"], e["from_lot_id"], e["from_facility_id"],
                                                 e["to_lot_id"], e["to_facility_id"])),
            "records": sorted(union("records", lambda r: (r["facility_id"], r["event_id"], r["lot_id"], r["role"])),
                              key=lambda r: (r["occurred_at"], r["event_id"])),
            "distributed": forward["distributed"]}
