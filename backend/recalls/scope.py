"""A recall's scope (DESIGN.md §8): every facility that holds or received the recalled lots
or products made from them — the forward trace — with the quantity it received, and a
`recall_verification` task for each in its own cell, assigned to the cell's lead, so the
grid does the legwork. Refreshing adds facilities reached by newer trace events and never
duplicates one already in scope. Rows and tasks are written in bulk (a national brand can
reach thousands of shops).
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal

from flask import current_app
from sqlalchemy import insert, select

from backend.common import clock
from backend.extensions import db
from backend.facilities.models import Facility
from backend.inspections.tasks import current_leads, open_tasks
from backend.recalls.models import Recall, RecallFacility
from backend.traceability.models import Holding
from backend.traceability.trace import walk


def reached(recall: Recall) -> dict[uuid.UUID, tuple[Decimal, str]]:
    """facility → (quantity received, or held when it received none), unit; one trace per lot."""
    scope: dict[uuid.UUID, list] = defaultdict(lambda: [Decimal(0), None])
    lot_ids = [lot.lot_id for lot in recall.lots]
    depth, nodes = current_app.config["TRACE_MAX_DEPTH"], current_app.config["TRACE_MAX_NODES"]
    for lot_id in lot_ids:
        found = walk(lot_id, "forward", depth, nodes)
        for facility in found["facilities"]:
            scope[uuid.UUID(facility["id"])]  # noqa: B018 - in scope even if it received nothing (the producer)
        for row in found["distributed"]:
            entry = scope[uuid.UUID(row["facility_id"])]
            entry[0] += Decimal(str(row["quantity"]))
            entry[1] = entry[1] or row["unit"]
    held = db.session.execute(select(Holding.facility_id, Holding.quantity, Holding.unit)
                              .where(Holding.lot_id.in_(lot_ids), Holding.facility_id.in_(list(scope))))
    for facility_id, quantity, unit in held:
        entry = scope[facility_id]
        if entry[0] == 0 and quantity > 0:
            entry[0] += quantity
        entry[1] = entry[1] or unit
    return {facility_id: (quantity, unit or "") for facility_id, (quantity, unit) in scope.items()}


def extend_scope(recall: Recall) -> int:
    """Add the facilities not yet in scope, each with its verification task; returns how many."""
    known = set(db.session.scalars(select(RecallFacility.facility_id).where(RecallFacility.recall_id == recall.id)))
    new = {facility_id: value for facility_id, value in reached(recall).items() if facility_id not in known}
    if not new:
        return 0
    places = db.session.execute(select(Facility.id, Facility.cell_id, Facility.region_code)
                                .where(Facility.id.in_(list(new)))).all()
    leads = current_leads({place.cell_id for place in places if place.cell_id})
    now = clock.now()
    task_ids = open_tasks([{"kind": "recall_verification", "facility_id": place.id, "cell_id": place.cell_id,
                            "region_code": place.region_code, "assignee_id": leads.get(place.cell_id),
                            "due_at": recall.complete_deadline or now} for place in places])
    rows = []
    for place, task_id in zip(places, task_ids, strict=True):
        quantity, unit = new[place.id]
        rows.append({"id": uuid.uuid4(), "recall_id": recall.id, "facility_id": place.id, "unit": unit,
                     "distributed": quantity, "recovered": 0, "destroyed": 0, "task_id": task_id,
                     "status": "pending", "updated_at": now})
    db.session.execute(insert(RecallFacility), rows)
    return len(rows)
