"""Field checks from phones (DESIGN.md §5).

The phone makes the check's id when the inspector starts, so an upload can be retried
any number of times and still land once: the same id with the same body answers the
stored check, the same id with a different body is a conflict (as ODK Central treats a
reused instanceID). Concurrent duplicates meet at the primary key (INSERT … ON CONFLICT
DO NOTHING waits for the first to commit) and all answer the one stored row.

Structural errors (unknown template version, items missing or foreign) are refused;
suspicious field data (clock, fix, distance) is stored and flagged, never refused.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from geoalchemy2.shape import to_shape
from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm.attributes import set_committed_value

from backend.common import audit_trail as audit
from backend.common import clock
from backend.common.actor import Actor
from backend.common.digest import content_sha256
from backend.common.domain_errors import Conflict, Forbidden, NotFound, RuleViolation, unknown_reference
from backend.common.geo import to_db
from backend.common.region_codes import scope_prefix
from backend.extensions import db
from backend.facilities.models import Facility
from backend.inspections import rectification
from backend.inspections.models import Check, InspectionTask
from backend.inspections.policy import may_check_at, may_record_checks, visible_checks
from backend.inspections.scoring import clock_skewed, outcome, place, score
from backend.inspections.tasks import complete_task
from backend.inspections.templates import published_version, scored_items

# The device's sending time changes with every retry: it is not part of "the same body".
VOLATILE_FIELDS = ("sent_at",)


@dataclass(frozen=True)
class Submission:
    check: Check
    created: bool


def record_check(actor: Actor, data: dict) -> Submission:
    """Store a check once, however often the phone sends it; complete its task; issue a
    rectification order (责令整改) unless compliant; close the order a follow-up answers."""
    digest = content_sha256(data, ignore=VOLATILE_FIELDS)
    stored = db.session.get(Check, data["id"])
    if stored is not None:
        return Submission(_replayed(actor, stored, digest), created=False)
    require_checker(actor)
    template = published_version(data["template_code"], data["template_version"])
    facility, task = checked_place(actor, data["facility_id"], data.get("task_id"))
    scored, errors = score(scored_items(template), data["results"])
    if errors:
        raise RuleViolation("The results do not match the template version.", code="results_mismatch",
                            errors=errors)

    received_at = clock.now()
    config = current_app.config
    placement = place(data.get("location"), data.get("crs", "wgs84"), data.get("location_accuracy_m"),
                      to_shape(facility.location), config["GEOFENCE_M"], config["LOW_ACCURACY_M"])
    flags = placement.flags
    if clock_skewed(started_at=data["started_at"], finished_at=data["finished_at"], sent_at=data.get("sent_at"),
                    received_at=received_at, tolerance=timedelta(seconds=config["CLOCK_SKEW_S"])):
        flags.append("clock_skew")
    if facility.kind not in template.facility_kinds:
        flags.append("template_kind_mismatch")
    if task is not None and task.status in ("done", "cancelled"):
        flags.append("task_closed")

    check = db.session.scalar(
        insert(Check).values(
            id=data["id"], inspector_id=actor.id, facility_id=facility.id, task_id=task and task.id,
            template_id=template.id, region_code=facility.region_code, cell_id=facility.cell_id,
            results=scored.results, note=data.get("note", ""),
            outcome=outcome(scored.key_failures, scored.general_failures, template.threshold),
            key_failures=scored.key_failures, general_failures=scored.general_failures,
            started_at=data["started_at"], finished_at=data["finished_at"], sent_at=data.get("sent_at"),
            received_at=received_at, location=placement.point and to_db(placement.point),
            location_accuracy_m=data.get("location_accuracy_m"), distance_m=placement.distance_m,
            flags=flags, body_sha256=digest,
        ).on_conflict_do_nothing(index_elements=[Check.id]).returning(Check),
        execution_options={"populate_existing": True},
    )
    if check is None:  # a concurrent upload of the same id committed first
        return Submission(_replayed(actor, db.session.get(Check, data["id"], populate_existing=True), digest),
                          created=False)
    _complete(actor, check, task)
    audit.record(actor, "check.create", "check", check.id, region_code=check.region_code,
                 after={"facility_id": facility.id, "outcome": check.outcome, "flags": flags,
                        "task_id": check.task_id})
    return Submission(check, created=True)


def require_checker(actor: Actor) -> None:
    if not may_record_checks(actor):
        raise Forbidden("Field checks are made by inspectors and supervisors.")


def _replayed(actor: Actor, stored: Check, digest: str) -> Check:
    if stored.inspector_id != actor.id:
        raise Conflict("This check id belongs to another user's check; the phone must make a new id.",
                       code="check_id_taken")
    if stored.body_sha256 != digest:
        raise Conflict("A different check was already stored under this id; the phone must make a new id.",
                       code="check_id_reused")
    return stored


def checked_place(actor: Actor, facility_id: uuid.UUID, task_id: uuid.UUID | None,
                  ) -> tuple[Facility, InspectionTask | None]:
    """The facility and task a check or sample names, both in the caller's reach.

    Inspectors check facilities in their cells, or the facility of a task given to them;
    supervisors anywhere in their region. A referenced id out of reach is answered exactly
    as one that does not exist (422 naming the field), so the answer reveals nothing: a
    facility elsewhere is `unknown_facility`; a task that is absent, of another facility,
    or neither assigned to the caller nor of a facility in its scope is `unknown_task`.
    """
    facility = db.session.get(Facility, facility_id)
    task = db.session.get(InspectionTask, task_id, with_for_update=True) if task_id is not None else None
    if facility is None or not may_check_at(actor, facility, task):
        raise unknown_reference("facility_id", "facility")
    if task_id is not None and (task is None or task.facility_id != facility.id):
        raise unknown_reference("task_id", "task")
    return facility, task


def _complete(actor: Actor, check: Check, task: InspectionTask | None) -> None:
    if task is not None and complete_task(task, completed_at=check.received_at, started_at=check.started_at):
        rectification.close_by_follow_up(actor, task, check)
    if check.outcome != "compliant":
        rectification.issue_order(actor, check)
    else:
        set_committed_value(check, "rectification_order", None)  # known to be none: spare the query
    db.session.flush()


# ---------------------------------------------------------------- reads

def checks_query(actor: Actor, *, facility_id=None, inspector_id=None, task_id=None, region_code=None,
                 outcome: str | None = None, flag: str | None = None, flagged: bool | None = None,
                 received_after: datetime | None = None, received_before: datetime | None = None) -> Select:
    query = visible_checks(actor, select(Check))
    for column, value in ((Check.facility_id, facility_id), (Check.inspector_id, inspector_id),
                          (Check.task_id, task_id), (Check.outcome, outcome)):
        if value is not None:
            query = query.where(column == value)
    if region_code:
        query = query.where(Check.region_code.startswith(scope_prefix(region_code)))
    if flag:
        query = query.where(Check.flags.contains([flag]))
    if flagged is not None:
        query = query.where(Check.flags != [] if flagged else Check.flags == [])
    if received_after:
        query = query.where(Check.received_at >= received_after)
    if received_before:
        query = query.where(Check.received_at < received_before)
    return query.order_by(Check.received_at.desc(), Check.id)


def get_check(actor: Actor, check_id: uuid.UUID) -> Check:
    check = db.session.scalar(visible_checks(actor, select(Check).where(Check.id == check_id)))
    if check is None:
        raise NotFound("No such check.")
    return check
