"""Demo field work, told relative to "now" so `make run` shows a plan under way on any day.

Of the demo county's routine tasks already past due (last year's plan and this year's,
`seeds.load_plan`), counted back from now:
- the newest OVERDUE are left open: a handful of overdue tasks for the worker to escalate;
- the next VISITS get a field check through the service the phones use, check k (0 = the
  most recent) finished 12·(k+1) hours ago — so supervisors see outcomes, flags,
  rectification orders, and a few follow-ups already past their deadline;
- every older one was visited before the demo's window: it is closed as done in one
  statement (no check row), so it is neither overdue nor escalated.
The checks' results, flags and times follow from k and now alone (not from random ids),
so a given day always tells the same story; the counts do not depend on the day.
Idempotent: once the demo county has checks, nothing more is added.
"""
from __future__ import annotations

import uuid
import zlib
from datetime import timedelta

from geoalchemy2.shape import to_shape
from shapely import Point
from sqlalchemy import select, update

from backend.auth.models import User
from backend.common import audit_trail as audit
from backend.common import clock
from backend.common.actor import Actor
from backend.extensions import db
from backend.facilities.models import Facility
from backend.inspections.checks import record_check
from backend.inspections.models import Check, ChecklistTemplate, InspectionTask
from seeds.grid_demo import DEMO_COUNTY

NAMESPACE = uuid.UUID("8f3c0a52-5a7e-4f0e-9a4e-2f1b6d1c0b11")
OVERDUE = 5  # the newest past-due routine tasks, left open
VISITS = 40  # the next ones, checked by the demo
SPACING = timedelta(hours=12)  # between two demo checks, going back from now


def _results(template: ChecklistTemplate, roll: int) -> list[dict]:
    """Mostly compliant; about one in four with general failures, one in ten a key failure."""
    general = [item.code for item in template.items if not item.key_item]
    key = [item.code for item in template.items if item.key_item]
    failed = set()
    if roll % 10 == 0 and key:
        failed.add(key[roll % len(key)])
    if roll % 4 == 1:
        failed.update(general[(roll // 4) % len(general)::len(general) // 2 or 1][:2])
    return [{"item": item.code, "result": "fail" if item.code in failed else "pass",
             "note": "现场发现问题，已告知经营者" if item.code in failed else ""} for item in template.items]


def _roll(k: int) -> int:
    # Chosen so that the 40 visits hold every outcome and every kind of flag (tests check it).
    return zlib.crc32(f"demo-check:{k}".encode())


def load_checks() -> int:
    """Tell the county's field work up to now (see the module); the number of checks made."""
    if db.session.scalar(select(Check.id).where(Check.region_code.startswith(DEMO_COUNTY)).limit(1)):
        return 0
    now = clock.now()
    templates = db.session.scalars(select(ChecklistTemplate).where(ChecklistTemplate.status == "published")
                                   .order_by(ChecklistTemplate.code, ChecklistTemplate.version)).all()
    past = db.session.execute(
        select(InspectionTask, Facility, User)
        .join(Facility, Facility.id == InspectionTask.facility_id)
        .join(User, User.id == InspectionTask.assignee_id)
        .where(InspectionTask.kind == "routine", InspectionTask.status == "open", InspectionTask.due_at < now,
               InspectionTask.region_code.startswith(DEMO_COUNTY))
        .order_by(InspectionTask.due_at.desc(), Facility.uscc, InspectionTask.sequence)).all()
    made, older = 0, []
    for task, facility, user in past[OVERDUE:]:
        template = next((t for t in templates if facility.kind in t.facility_kinds), None)
        if made == VISITS or template is None:
            older.append(task.id)
            continue
        roll = _roll(made)
        finished = now - SPACING * (made + 1) - timedelta(minutes=roll % 120)
        place = to_shape(facility.location)
        # Every eighth visit the phone had no fix; every eleventh it was far off (flagged).
        offset = 0.02 if roll % 11 == 0 else 0.0004
        location = None if roll % 8 == 0 else Point(place.x + offset, place.y)
        actor = Actor(id=user.id, username=user.username, role=user.role, region_code=user.region_code)
        record_check(actor, {
            "id": uuid.uuid5(NAMESPACE, f"check:{task.id}"), "facility_id": facility.id, "task_id": task.id,
            "template_code": template.code, "template_version": template.version,
            "results": _results(template, roll), "note": "", "started_at": finished - timedelta(minutes=25),
            "finished_at": finished, "location": location, "location_accuracy_m": 6.0 if location else None,
            "crs": "wgs84"})
        made += 1
    _close_earlier_visits(older)
    return made


def _close_earlier_visits(task_ids: list[uuid.UUID]) -> None:
    """Tasks visited before the demo's window: done three days before they fell due."""
    if not task_ids:
        return
    db.session.execute(
        update(InspectionTask).where(InspectionTask.id.in_(task_ids))
        .values(status="done", started_at=InspectionTask.due_at - timedelta(days=3, minutes=30),
                completed_at=InspectionTask.due_at - timedelta(days=3), row_version=InspectionTask.row_version + 1)
        .execution_options(synchronize_session=False))
    audit.record(Actor.system(), "task.demo_history", "inspection_tasks", DEMO_COUNTY, region_code=DEMO_COUNTY,
                 after={"status": "done", "tasks": len(task_ids), "note": "demo: visits before the demo's window"})
