"""Reading recalls: lists with the overdue filter, one recall with its scope and progress,
and the public notices (no personal data)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select

from backend.common import clock
from backend.common.actor import Actor
from backend.extensions import db
from backend.facilities.models import Facility
from backend.recalls import rules
from backend.recalls.models import Recall, RecallAction, RecallFacility
from backend.recalls.overdue import overdue_condition
from backend.recalls.policy import visible_recalls
from backend.traceability.models import Lot, Product


def recalls_query(actor: Actor, *, status: str | None = None, level: int | None = None,
                  overdue: bool | None = None) -> Select:
    query = visible_recalls(actor, select(Recall)).order_by(Recall.created_at.desc(), Recall.id)
    if status:
        query = query.where(Recall.status == status)
    if level:
        query = query.where(Recall.level == level)
    if overdue is not None:
        late = overdue_condition(clock.now())
        query = query.where(late if overdue else ~late)
    return query


def summary(recall: Recall) -> dict:
    """Scope, progress, effectiveness and time remaining, for GET /recalls/{id}."""
    rows = db.session.execute(select(RecallFacility, Facility.name, Facility.cell_id)
                              .join(Facility, Facility.id == RecallFacility.facility_id)
                              .where(RecallFacility.recall_id == recall.id).order_by(Facility.name)).all()
    distributed = sum((row.RecallFacility.distributed for row in rows), 0)
    recovered = sum((row.RecallFacility.recovered + row.RecallFacility.destroyed for row in rows), 0)
    now = clock.now()
    return {
        "scope": [{"id": row.RecallFacility.id, "facility_id": row.RecallFacility.facility_id, "name": row.name,
                   "cell_id": row.cell_id,
                   "distributed": float(row.RecallFacility.distributed), "unit": row.RecallFacility.unit,
                   "recovered": float(row.RecallFacility.recovered), "destroyed": float(row.RecallFacility.destroyed),
                   "status": row.RecallFacility.status, "task_id": row.RecallFacility.task_id,
                   "note": row.RecallFacility.note} for row in rows],
        "progress": {"facilities": len(rows), "verified": sum(r.RecallFacility.status == "verified" for r in rows),
                     "waived": sum(r.RecallFacility.status == "waived" for r in rows),
                     "distributed": float(distributed), "recovered_or_destroyed": float(recovered),
                     "effectiveness": round(float(recovered / distributed), 4) if distributed else None},
        "remaining_seconds": {
            "start": _remaining(recall.start_deadline, now) if recall.status == "initiated" else None,
            "complete": _remaining(recall.complete_deadline, now) if recall.status in rules.ACTIVE else None},
        "overdue": bool(db.session.scalar(select(overdue_condition(now)).where(Recall.id == recall.id))),
        "actions": [{"action": a.action, "from": a.from_status, "to": a.to_status, "at": a.at, "note": a.note}
                    for a in db.session.scalars(select(RecallAction).where(RecallAction.recall_id == recall.id)
                                                .order_by(RecallAction.id))],
    }


def _remaining(deadline: datetime | None, now: datetime) -> int | None:
    return int((deadline - now).total_seconds()) if deadline else None


def public_recalls() -> Select:
    """Recalls the public may read: initiated or later, notices only."""
    return (select(Recall).where(Recall.status.in_(("initiated", "in_progress", "completed", "closed")))
            .order_by(Recall.initiated_at.desc(), Recall.id))


def public_notice(recall: Recall) -> dict:
    products = db.session.execute(select(Lot.lot_code, Product.name).join(Product, Product.id == Lot.product_id)
                                  .where(Lot.id.in_([lot.lot_id for lot in recall.lots]))).all()
    producer = db.session.get(Facility, recall.producer_facility_id) if recall.producer_facility_id else None
    return {"number": recall.number, "level": recall.level, "status": recall.status,
            "producer": producer.name if producer else None,
            "products": [{"product": name, "lot_code": code} for code, name in products],
            "hazard": recall.hazard, "notice": recall.notice, "initiated_at": recall.initiated_at}
