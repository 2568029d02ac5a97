"""Rectification orders (责令整改, DESIGN.md §5).

A check that is not compliant orders the business to put the failed items right within
RECTIFICATION_DAYS (default 15) and schedules a follow-up task (复查) at the deadline,
for the lead of the facility's cell (the checking inspector when the cell has none). The
follow-up check closes the order: rectified when it is compliant, not rectified
otherwise — and being a check itself, a failing follow-up issues a fresh order.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, select

from backend.common import audit_trail as audit
from backend.common import clock
from backend.common.actor import Actor
from backend.common.domain_errors import NotFound
from backend.common.region_codes import scope_prefix
from backend.extensions import db
from backend.inspections.models import Check, InspectionTask, RectificationOrder
from backend.inspections.policy import visible_orders
from backend.inspections.tasks import current_leads, open_task


def issue_order(actor: Actor, check: Check) -> RectificationOrder:
    """Order the failed items rectified; the follow-up task falls due at the deadline."""
    # The order is written on site: date it from the device, unless its clock is unreliable.
    issued_on = check.received_at if "clock_skew" in check.flags else check.finished_at
    deadline = issued_on + timedelta(days=current_app.config["RECTIFICATION_DAYS"])
    lead = current_leads({check.cell_id}).get(check.cell_id) if check.cell_id else None
    task = open_task(kind="follow_up", facility_id=check.facility_id, cell_id=check.cell_id,
                     region_code=check.region_code, assignee_id=lead or check.inspector_id, due_at=deadline)
    db.session.flush()
    failed = [result["item"] for result in check.results if result["result"] == "fail"]
    order = RectificationOrder(id=uuid.uuid4(), check=check, facility_id=check.facility_id,
                               region_code=check.region_code, failed_items=failed, deadline=deadline,
                               follow_up_task_id=task.id, issued_by=check.inspector_id, issued_at=issued_on)
    db.session.add(order)
    audit.record(actor, "rectification.issue", "rectification_order", order.id, region_code=check.region_code,
                 after={"check_id": check.id, "deadline": deadline, "failed_items": failed,
                        "follow_up_task_id": task.id})
    return order


def close_by_follow_up(actor: Actor, task: InspectionTask, check: Check) -> RectificationOrder | None:
    """The follow-up check of an order decides it: rectified if compliant, else not."""
    if task.kind != "follow_up":
        return None
    order = db.session.scalar(select(RectificationOrder).where(RectificationOrder.follow_up_task_id == task.id)
                              .with_for_update())
    if order is None or order.status != "open":
        return order
    order.status = "rectified" if check.outcome == "compliant" else "not_rectified"
    order.closing_check_id = check.id
    order.closed_at = check.received_at
    audit.record(actor, "rectification.close", "rectification_order", order.id, region_code=order.region_code,
                 after={"status": order.status, "closing_check_id": check.id})
    return order


# ---------------------------------------------------------------- reads

def orders_query(actor: Actor, *, status: str | None = None, facility_id: uuid.UUID | None = None,
                 region_code: str | None = None, overdue: bool | None = None,
                 deadline_before: datetime | None = None) -> Select:
    query = visible_orders(actor, select(RectificationOrder))
    if status:
        query = query.where(RectificationOrder.status == status)
    if facility_id:
        query = query.where(RectificationOrder.facility_id == facility_id)
    if region_code:
        query = query.where(RectificationOrder.region_code.startswith(scope_prefix(region_code)))
    if overdue is not None:
        late = (RectificationOrder.status == "open") & (RectificationOrder.deadline < clock.now())
        query = query.where(late if overdue else ~late)
    if deadline_before:
        query = query.where(RectificationOrder.deadline < deadline_before)
    return query.order_by(RectificationOrder.deadline, RectificationOrder.id)


def get_order(actor: Actor, order_id: uuid.UUID) -> RectificationOrder:
    query = select(RectificationOrder).where(RectificationOrder.id == order_id)
    order = db.session.scalar(visible_orders(actor, query))
    if order is None:
        raise NotFound("No such rectification order.")
    return order
