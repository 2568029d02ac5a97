"""Progress of a recall, facility by facility (DESIGN.md §8): the producer reports what was
recovered and destroyed (never more than the facility received); the inspector of the
facility's cell verifies it on site (their task is then done); a supervisor may waive a
facility with a reason. Completion needs every facility verified or waived.
"""
from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select

from backend.common import audit_trail as audit
from backend.common import clock
from backend.common.actor import Actor
from backend.common.domain_errors import Conflict, Forbidden, RuleViolation
from backend.extensions import db
from backend.inspections.models import InspectionTask
from backend.inspections.tasks import complete_task, withdraw_task
from backend.recalls import rules
from backend.recalls.models import Recall, RecallFacility
from backend.recalls.policy import may_report_progress, may_steer, may_verify


def _in_scope(recall: Recall, facility_id: uuid.UUID) -> RecallFacility:
    row = db.session.scalar(select(RecallFacility).where(RecallFacility.recall_id == recall.id,
                                                         RecallFacility.facility_id == facility_id)
                            .with_for_update())
    if row is None:
        raise RuleViolation("The facility is not in this recall's scope.", code="not_in_scope", field="facility_id")
    if recall.status not in rules.ACTIVE:
        raise Conflict(f"Progress is reported while the recall is under way; it is {recall.status}.",
                       code="recall_not_active")
    return row


def _set_quantities(row: RecallFacility, recovered: Decimal | None, destroyed: Decimal | None) -> None:
    recovered = row.recovered if recovered is None else recovered
    destroyed = row.destroyed if destroyed is None else destroyed
    if recovered + destroyed > row.distributed:
        raise RuleViolation(f"Recovered and destroyed ({recovered + destroyed} {row.unit}) exceed what the facility "
                            f"received ({row.distributed} {row.unit}).", code="above_distributed",
                            field="recovered")
    row.recovered, row.destroyed = recovered, destroyed


def report_progress(actor: Actor, recall: Recall, facility_id: uuid.UUID, *, recovered: Decimal | None = None,
                    destroyed: Decimal | None = None, note: str | None = None) -> RecallFacility:
    """Totals so far at one facility, as the producer reports them (a resend is harmless)."""
    if not may_report_progress(actor, recall):
        raise Forbidden("The producer (or a supervisor) reports recall progress.")
    row = _in_scope(recall, facility_id)
    _set_quantities(row, recovered, destroyed)
    row.note = note or row.note
    _audit(actor, recall, "recall.progress", row)
    return row


def verify_facility(actor: Actor, recall: Recall, facility_id: uuid.UUID, *, recovered: Decimal | None = None,
                    destroyed: Decimal | None = None, note: str | None = None) -> RecallFacility:
    """The inspector saw it on site: quantities confirmed (or corrected), the task done."""
    row = _in_scope(recall, facility_id)
    task = db.session.get(InspectionTask, row.task_id) if row.task_id else None
    if not may_verify(actor, recall, task):
        raise Forbidden("The inspector given the verification task (or a supervisor) verifies.")
    _set_quantities(row, recovered, destroyed)
    row.status, row.note = "verified", note or row.note
    if task is not None:
        complete_task(task, completed_at=clock.now())
    _audit(actor, recall, "recall.verify", row)
    return row


def waive_facility(actor: Actor, recall: Recall, facility_id: uuid.UUID, reason: str) -> RecallFacility:
    if not may_steer(actor, recall):
        raise Forbidden("Only a supervisor waives a facility's verification.")
    row = _in_scope(recall, facility_id)
    row.status, row.note = "waived", reason
    task = db.session.get(InspectionTask, row.task_id) if row.task_id else None
    if task is not None:
        withdraw_task(task)
    _audit(actor, recall, "recall.waive", row)
    return row


def _audit(actor: Actor, recall: Recall, action: str, row: RecallFacility) -> None:
    db.session.flush()
    audit.record(actor, action, "recall", recall.id, region_code=recall.region_code,
                 after={"facility_id": row.facility_id, "recovered": row.recovered, "destroyed": row.destroyed,
                        "status": row.status, "note": row.note})
