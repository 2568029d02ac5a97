"""Overdue recalls (食品召回管理办法; DESIGN.md §8): not started by the start deadline, or
not completed by the completion deadline. The list's `overdue` filter and the worker's
escalation read the same two rules from here.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, or_, select, update

from backend.common import audit_trail as audit
from backend.common import clock
from backend.common.actor import Actor
from backend.common.outbox import emit
from backend.extensions import db
from backend.recalls import rules
from backend.recalls.models import Recall


def started_late(at: datetime):
    return and_(Recall.status == "initiated", Recall.start_deadline < at)


def completed_late(at: datetime):
    return and_(Recall.status.in_(rules.ACTIVE), Recall.complete_deadline < at)


def overdue_condition(at: datetime):
    """Not started by the start deadline, or not completed by the completion deadline."""
    return or_(started_late(at), completed_late(at))


def escalate_overdue_recalls(limit: int) -> int:
    """Two deadlines (食品召回管理办法): an `initiated` recall past its start deadline, and an
    initiated or in-progress recall past its completion deadline. One `escalated_at` serves
    both: a recall escalated before its completion deadline is escalated again once that
    passes; when both have passed at once, one escalation names the completion."""
    moment = clock.now()
    late_start = and_(started_late(moment), Recall.escalated_at.is_(None))
    late_complete = and_(completed_late(moment),
                         or_(Recall.escalated_at.is_(None), Recall.escalated_at < Recall.complete_deadline))
    due = select(Recall.id).where(or_(late_start, late_complete)).order_by(Recall.created_at).limit(limit) \
        .with_for_update(skip_locked=True)
    stage = case((Recall.complete_deadline < moment, "complete"), else_="start")
    rows = db.session.execute(
        update(Recall).where(Recall.id.in_(due)).values(escalated_at=moment)
        .returning(Recall.id, Recall.number, Recall.level, Recall.status, Recall.region_code,
                   Recall.producer_facility_id, Recall.start_deadline, Recall.complete_deadline, stage.label("stage"))
        .execution_options(synchronize_session=False)).all()
    for row in rows:
        deadline = row.complete_deadline if row.stage == "complete" else row.start_deadline
        emit("recall.overdue", {"recall_id": row.id, "number": row.number, "level": row.level, "status": row.status,
                                "region_code": row.region_code, "producer_facility_id": row.producer_facility_id,
                                "stage": row.stage, "deadline": deadline})
        audit.record(Actor.system(), "recall.escalate", "recall", row.id,
                     after={"escalated_at": moment, "stage": row.stage}, region_code=row.region_code)
    return len(rows)
