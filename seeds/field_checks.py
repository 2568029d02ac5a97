"""Demo field checks: the first of this year's routine visits already made, through the
same service the phones use, so supervisors see outcomes, flags and rectification orders.

Deterministic (the check ids and results follow from the task ids) and idempotent: once
the demo county has checks, nothing more is added.
"""
from __future__ import annotations

import uuid
import zlib
from datetime import timedelta

from geoalchemy2.shape import to_shape
from shapely import Point
from sqlalchemy import select

from backend.auth.actor import Actor
from backend.auth.models import User
from backend.common import clock
from backend.extensions import db
from backend.facilities.models import Facility
from backend.inspections.checks import record_check
from backend.inspections.models import Check, ChecklistTemplate, InspectionTask
from seeds.grid_demo import DEMO_COUNTY

NAMESPACE = uuid.UUID("8f3c0a52-5a7e-4f0e-9a4e-2f1b6d1c0b11")
VISITS = 40


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


def load_checks() -> int:
    """Visit the earliest due open routine tasks of the demo plan (up to VISITS)."""
    if db.session.scalar(select(Check.id).where(Check.region_code.startswith(DEMO_COUNTY)).limit(1)):
        return 0
    now = clock.now()
    templates = db.session.scalars(select(ChecklistTemplate).where(ChecklistTemplate.status == "published")).all()
    tasks = db.session.execute(
        select(InspectionTask, Facility, User)
        .join(Facility, Facility.id == InspectionTask.facility_id)
        .join(User, User.id == InspectionTask.assignee_id)
        .where(InspectionTask.kind == "routine", InspectionTask.status == "open", InspectionTask.due_at < now)
        .order_by(InspectionTask.due_at, InspectionTask.id).limit(VISITS)).all()
    made = 0
    for task, facility, user in tasks:
        template = next((t for t in templates if facility.kind in t.facility_kinds), None)
        if template is None:
            continue
        roll = zlib.crc32(task.id.bytes)
        finished = task.due_at - timedelta(days=roll % 20 + 1, minutes=roll % 300)
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
    return made
