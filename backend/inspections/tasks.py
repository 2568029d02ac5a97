"""Inspection plans and tasks (DESIGN.md §5).

A plan for a region and year turns the minimum visits per risk level (风险分级管理办法)
into routine tasks, spread over the year and staggered between facilities so the work
does not pile up on one day, each assigned to the lead of the facility's cell. Open
tasks that nobody has started follow their cell's new lead; started ones stay.
"""
from __future__ import annotations

import uuid
import zlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, func, insert, select, update

from backend.common import audit_trail as audit
from backend.common import clock
from backend.common.actor import Actor
from backend.common.domain_errors import Conflict, Forbidden, NotFound
from backend.common.outbox import emit
from backend.common.region_codes import is_within, scope_prefix
from backend.extensions import db
from backend.facilities.models import Facility
from backend.inspections.models import InspectionPlan, InspectionTask
from backend.inspections.policy import may_manage_tasks, visible_tasks
from backend.regions.cells import require_manager_of
from backend.regions.models import Assignment
from backend.regions.service import require_region

LOCAL = ZoneInfo("Asia/Shanghai")


def due_dates(year: int, visits: int, facility_id: uuid.UUID) -> list[datetime]:
    """`visits` due dates spread evenly over the year (Asia/Shanghai), each at the end of
    its period, shifted by a per-facility offset so facilities do not all fall due together."""
    start = datetime(year, 1, 1, tzinfo=LOCAL)
    length = datetime(year + 1, 1, 1, tzinfo=LOCAL) - start
    period = length / visits
    offset_days = zlib.crc32(facility_id.bytes) % max(int(period.days * 0.5), 1)  # up to half a period earlier
    return [start + period * (k + 1) - timedelta(days=offset_days, seconds=1) for k in range(visits)]


def visits_in_year(rate: float, year: int, facility_id: uuid.UUID) -> int:
    """Visits a facility is due in `year` at `rate` visits a year. A rate of 1/N (0.5: once
    every 2 years) gives one visit every N-th year, the years chosen by the facility's id,
    so each facility is visited every N years and about 1/N of them fall due each year."""
    if rate >= 1 or rate == 0:
        return int(rate)
    every = round(1 / rate)
    return 1 if (year + zlib.crc32(facility_id.bytes)) % every == 0 else 0


def current_leads(cell_ids: set[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    rows = db.session.execute(select(Assignment.cell_id, Assignment.inspector_id).where(
        Assignment.cell_id.in_(cell_ids), Assignment.role == "lead", Assignment.valid_to.is_(None)))
    return dict(rows.all())


def create_plan(actor: Actor, *, region_code: str, year: int,
                visits_per_level: dict[str, float] | None = None) -> InspectionPlan:
    """One plan per region and year: a task per required visit of every active facility.
    The plan keeps its own visits per level (fractions: one visit every N years); workload
    balancing of the region that year uses them."""
    require_manager_of(actor, region_code)
    require_region(region_code)
    visits = visits_per_level or current_app.config["VISITS_PER_YEAR"]
    if db.session.scalar(select(InspectionPlan.id).where(InspectionPlan.region_code == region_code,
                                                         InspectionPlan.year == year)):
        raise Conflict(f"Region {region_code} already has a plan for {year}.", code="plan_exists")
    plan = InspectionPlan(region_code=region_code, year=year, visits_per_level=visits, created_by=actor.id)
    db.session.add(plan)
    db.session.flush()
    facilities = db.session.execute(select(Facility.id, Facility.cell_id, Facility.region_code, Facility.risk_level)
                                    .where(Facility.region_code.startswith(scope_prefix(region_code)),
                                           Facility.status == "active")).all()
    leads = current_leads({row.cell_id for row in facilities if row.cell_id})
    tasks = [
        InspectionTask(kind="routine", facility_id=row.id, cell_id=row.cell_id, region_code=row.region_code,
                       assignee_id=leads.get(row.cell_id), plan_id=plan.id, sequence=sequence, due_at=due)
        for row in facilities
        if (count := visits_in_year(visits[row.risk_level], year, row.id)) > 0
        for sequence, due in enumerate(due_dates(year, count, row.id), start=1)
    ]
    db.session.add_all(tasks)
    plan.tasks_created = len(tasks)
    db.session.flush()
    audit.record(actor, "plan.create", "inspection_plan", plan.id,
                 after={"region_code": region_code, "year": year, "tasks": len(tasks)}, region_code=region_code)
    return plan


def tasks_query(actor: Actor, *, assignee: str | None = None, status: str | None = None, kind: str | None = None,
                due_after: datetime | None = None, due_before: datetime | None = None,
                overdue: bool | None = None, near=None) -> Select:
    """Tasks in scope; `assignee=me` for the phone's list; `near` orders by distance."""
    query = visible_tasks(actor, select(InspectionTask))
    if assignee == "me":
        query = query.where(InspectionTask.assignee_id == actor.id)
    elif assignee:
        query = query.where(InspectionTask.assignee_id == uuid.UUID(assignee))
    for column, value in ((InspectionTask.status, status), (InspectionTask.kind, kind)):
        if value:
            query = query.where(column == value)
    if due_after:
        query = query.where(InspectionTask.due_at >= due_after)
    if due_before:
        query = query.where(InspectionTask.due_at < due_before)
    if overdue is not None:
        late = overdue_filter(clock.now())
        query = query.where(late if overdue else ~late)
    if near is None:
        return query.order_by(InspectionTask.due_at, InspectionTask.id)
    centre = func.ST_GeogFromText(near.wkt)
    return query.join(Facility, Facility.id == InspectionTask.facility_id).order_by(
        func.ST_Distance(func.geography(Facility.location), centre), InspectionTask.id)


def overdue_filter(at: datetime):
    """Open or in progress past `due_at` (DESIGN.md §5); `InspectionTask.is_overdue` in SQL."""
    return InspectionTask.status.in_(("open", "in_progress")) & (InspectionTask.due_at < at)


def escalate_overdue_tasks(limit: int) -> int:
    """Tell the region's supervisors (`task.overdue`) of up to `limit` overdue tasks not yet
    escalated, each once; the number escalated. The worker runs it and commits."""
    moment = clock.now()
    task = InspectionTask
    due = (select(task.id).where(overdue_filter(moment), task.escalated_at.is_(None))
           .order_by(task.due_at).limit(limit).with_for_update(skip_locked=True))
    rows = db.session.execute(
        update(task).where(task.id.in_(due), task.facility_id == Facility.id).values(escalated_at=moment)
        .returning(task.id, task.kind, task.status, task.due_at, task.region_code, task.cell_id, task.assignee_id,
                   task.facility_id, Facility.name)
        .execution_options(synchronize_session=False)).all()
    for row in rows:
        emit("task.overdue", {"task_id": row.id, "kind": row.kind, "status": row.status, "due_at": row.due_at,
                              "region_code": row.region_code, "cell_id": row.cell_id, "assignee_id": row.assignee_id,
                              "facility_id": row.facility_id, "facility_name": row.name})
        audit.record(Actor.system(), "task.escalate", "inspection_task", row.id, after={"escalated_at": moment},
                     region_code=row.region_code)
    return len(rows)


def get_task(actor: Actor, task_id: uuid.UUID) -> InspectionTask:
    task = db.session.scalar(visible_tasks(actor, select(InspectionTask).where(InspectionTask.id == task_id)))
    if task is None:
        raise NotFound("No such task.")
    return task


def frequencies_of_plan(_sender, region_code: str, year: int, **_) -> dict[str, float] | None:
    """The visits per level of the most specific plan covering `region_code` in `year`."""
    plans = db.session.execute(select(InspectionPlan.region_code, InspectionPlan.visits_per_level)
                               .where(InspectionPlan.year == year)).all()
    covering = [plan for plan in plans if is_within(region_code, plan.region_code)]
    return max(covering, key=lambda plan: len(plan.region_code)).visits_per_level if covering else None


def follow_new_lead(_sender, cell_id: uuid.UUID, new_lead_id: uuid.UUID | None, **_):
    """Open tasks nobody has started move to the cell's new lead (DESIGN.md §3)."""
    db.session.execute(
        update(InspectionTask)
        .where(InspectionTask.cell_id == cell_id, InspectionTask.status == "open",
               InspectionTask.started_at.is_(None))
        .values(assignee_id=new_lead_id, row_version=InspectionTask.row_version + 1),
        execution_options={"synchronize_session": "fetch"},
    )


def follow_moved_facilities(_sender, facility_ids: list[uuid.UUID], **_):
    """Open tasks nobody has started move with their facility: its new cell, that cell's lead."""
    new_lead = (select(Assignment.inspector_id)
                .where(Assignment.cell_id == Facility.cell_id, Assignment.role == "lead", Assignment.valid_to.is_(None))
                .scalar_subquery())
    db.session.execute(
        update(InspectionTask)
        .where(InspectionTask.facility_id == Facility.id, Facility.id.in_(facility_ids),
               InspectionTask.status == "open", InspectionTask.started_at.is_(None),
               InspectionTask.cell_id.is_distinct_from(Facility.cell_id))
        .values(cell_id=Facility.cell_id, region_code=Facility.region_code, assignee_id=new_lead,
                row_version=InspectionTask.row_version + 1),
        execution_options={"synchronize_session": "fetch"},
    )


# ---------------------------------------------------------------- opening tasks
# The inspections domain owns `inspection_tasks`: other domains open, complete and withdraw
# tasks through these functions, never by writing the table (docs/architecture.md, "Owners").

def open_task(*, kind: str, facility_id: uuid.UUID, cell_id: uuid.UUID | None, region_code: str,
              assignee_id: uuid.UUID | None, due_at: datetime) -> InspectionTask:
    """One open task, added to the session (its id is set at once; flushed with the caller's work)."""
    task = InspectionTask(id=uuid.uuid4(), kind=kind, facility_id=facility_id, cell_id=cell_id,
                          region_code=region_code, assignee_id=assignee_id, due_at=due_at)
    db.session.add(task)
    return task


def open_tasks(rows: list[dict]) -> list[uuid.UUID]:
    """Open tasks in one statement (a recall's scope can reach thousands of facilities). Each row
    names `kind`, `facility_id`, `cell_id`, `region_code`, `assignee_id` and `due_at`; the ids
    come back in the rows' order."""
    if not rows:
        return []
    now = clock.now()
    ids = [uuid.uuid4() for _ in rows]
    db.session.execute(insert(InspectionTask), [
        {"id": task_id, "kind": row["kind"], "status": "open", "facility_id": row["facility_id"],
         "cell_id": row["cell_id"], "region_code": row["region_code"], "assignee_id": row["assignee_id"],
         "sequence": 1, "due_at": row["due_at"], "created_at": now, "updated_at": now, "row_version": 1}
        for task_id, row in zip(ids, rows, strict=True)
    ])
    return ids


# ---------------------------------------------------------------- state changes

def complete_task(task: InspectionTask, *, completed_at: datetime, started_at: datetime | None = None) -> bool:
    """The work a task asked for was done (a check, a recall verification): open or in
    progress → done. A task already done or cancelled is left as it is (False). The caller
    has decided that the actor may do the work."""
    if task.status not in ("open", "in_progress"):
        return False
    task.status, task.completed_at = "done", completed_at
    task.started_at = task.started_at or started_at or completed_at
    return True


def withdraw_task(task: InspectionTask) -> bool:
    """The work is no longer needed because the domain that asked for it says so (a recall
    facility waived): open or in progress → cancelled; a settled task is left as it is
    (False). Unlike `cancel_task`, the caller has authorised it under its own rules."""
    if task.status not in ("open", "in_progress"):
        return False
    task.status = "cancelled"
    return True


def _locked(task: InspectionTask) -> InspectionTask:
    db.session.refresh(task, with_for_update=True)  # two phones, or a phone and a supervisor, at once
    return task


def start_task(actor: Actor, task: InspectionTask) -> InspectionTask:
    """The assignee starts work: open → in_progress. A started task stays with its
    inspector when the cell changes hands. Starting twice is harmless (phones retry)."""
    if task.assignee_id != actor.id:
        raise Forbidden("Only the inspector the task is assigned to can start it.", code="not_assignee")
    task = _locked(task)
    if task.status == "in_progress":
        return task
    if task.status != "open":
        raise Conflict(f"A {task.status} task cannot be started.", code="illegal_transition",
                       allowed=_allowed(task))
    task.status, task.started_at = "in_progress", clock.now()
    audit.record(actor, "task.start", "inspection_task", task.id, region_code=task.region_code,
                 after={"status": task.status})
    db.session.flush()
    return task


def cancel_task(actor: Actor, task: InspectionTask, reason: str) -> InspectionTask:
    """A supervisor of the region cancels work that is no longer needed (facility closed…)."""
    if not may_manage_tasks(actor) or not actor.covers_region(task.region_code):
        raise Forbidden("Only supervisors of the task's region cancel tasks.")
    task = _locked(task)
    if task.status not in ("open", "in_progress"):
        raise Conflict(f"A {task.status} task cannot be cancelled.", code="illegal_transition",
                       allowed=_allowed(task))
    before = task.status
    task.status = "cancelled"
    audit.record(actor, "task.cancel", "inspection_task", task.id, region_code=task.region_code,
                 before={"status": before}, after={"status": task.status, "reason": reason})
    db.session.flush()
    return task


def _allowed(task: InspectionTask) -> list[str]:
    return {"open": ["start", "cancel"], "in_progress": ["cancel"]}.get(task.status, [])
