"""Recall cases (DESIGN.md §8): creation, transitions, level and deadlines, scope.

Every transition locks the recall's row, so two supervisors pressing buttons together
cannot both win; an action the state or the role does not allow is a 409 listing the
actions that are allowed. The outbox event of a transition is written in its transaction.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from backend.common import audit_trail as audit
from backend.common import clock
from backend.common.actor import Actor
from backend.common.domain_errors import Conflict, Forbidden, NotFound, RuleViolation, unknown_reference
from backend.common.outbox import emit
from backend.extensions import db
from backend.facilities.models import Facility
from backend.recalls import rules
from backend.recalls.models import Recall, RecallAction, RecallFacility, RecallLot
from backend.recalls.policy import may_open_recall, may_steer, roles_of, visible_recalls
from backend.recalls.scope import extend_scope
from backend.traceability.models import Lot


def get_recall(actor: Actor, recall_id: uuid.UUID, *, lock: bool = False) -> Recall:
    query = visible_recalls(actor, select(Recall).where(Recall.id == recall_id))
    recall = db.session.scalar(query.with_for_update(of=Recall) if lock else query)
    if recall is None:
        raise NotFound("No such recall.")
    if lock:
        db.session.refresh(recall)
    return recall


def create_recall(actor: Actor, *, producer_facility_id: uuid.UUID, lot_ids: list[uuid.UUID], reason: str,
                  trigger: str = "manual", kind: str | None = None, level: int | None = None,
                  hazard: str | None = None, notice: str | None = None) -> Recall:
    """A proposed recall of a producer's lots (a supervisor's own, or from a complaint).
    A producer outside the caller's region is answered as absent (422), not 403."""
    if not may_open_recall(actor):
        raise Forbidden("Supervisors of the producer's region open recalls.")
    producer = db.session.get(Facility, producer_facility_id)
    if producer is None or not actor.covers_region(producer.region_code):
        raise unknown_reference("producer_facility_id", "facility")
    lots = db.session.scalars(select(Lot).where(Lot.id.in_(lot_ids))).all()
    unknown = set(lot_ids) - {lot.id for lot in lots}
    foreign = [lot.lot_code for lot in lots if lot.facility_id != producer.id]
    if unknown or foreign:
        raise RuleViolation("Every recalled lot must exist and be the producer's own.", code="wrong_lots",
                            field="lot_ids", unknown=sorted(map(str, unknown)) or None, foreign=foreign or None)
    recall = Recall(trigger=trigger, kind=kind, level=level, producer_facility_id=producer.id,
                    region_code=producer.region_code, reason=reason, hazard=hazard, notice=notice,
                    created_by=actor.id, lots=[RecallLot(lot_id=lot.id) for lot in lots])
    db.session.add(recall)
    db.session.flush()
    _log(actor, recall, "propose", "proposed", "proposed", reason)
    emit("recall.proposed", {"recall_id": recall.id, "region_code": recall.region_code, "reason": reason})
    return recall


def propose_recall_from_sample(actor: Actor, *, sample_id: uuid.UUID, sample_no: str, product_name: str,
                               lot: Lot) -> uuid.UUID | None:
    """An unqualified sample of a known lot proposes a recall of that lot (DESIGN.md §6, §8),
    in the verdict's transaction; at most one per sample (unique `sample_id`), so issuing or
    amending a verdict again proposes nothing new (None)."""
    recall_id = db.session.scalar(insert(Recall).values(
        id=uuid.uuid4(), status="proposed", trigger="sample", sample_id=sample_id,
        producer_facility_id=lot.facility_id, region_code=lot.region_code, created_by=actor.id,
        reason=f"Unqualified sample {sample_no}: {product_name}, lot {lot.lot_code}",
        created_at=clock.now(), row_version=1,
    ).on_conflict_do_nothing(index_elements=[Recall.sample_id]).returning(Recall.id))
    if recall_id is not None:
        db.session.add(RecallLot(recall_id=recall_id, lot_id=lot.id))
        audit.record(actor, "recall.propose", "recall", recall_id, region_code=lot.region_code,
                     after={"status": "proposed", "trigger": "sample", "sample_id": sample_id, "lot_id": lot.id})
        emit("recall.proposed", {"recall_id": recall_id, "region_code": lot.region_code,
                                 "reason": f"Unqualified sample {sample_no}"})
    return recall_id


def transition(actor: Actor, recall: Recall, action: str, *, note: str | None = None, level: int | None = None,
               kind: str | None = None, hazard: str | None = None, notice: str | None = None) -> Recall:
    """Apply one action of the state machine (the recall is locked by the caller)."""
    roles = roles_of(actor, recall)
    allowed = rules.allowed_actions(recall.status, roles)
    if action not in allowed:
        raise Conflict(f"'{action}' is not possible on a {recall.status} recall for you.",
                       code="illegal_transition", allowed=allowed)
    before = recall.status
    if action == "initiate":
        _initiate(recall, level=level or recall.level, kind=kind or recall.kind, hazard=hazard or recall.hazard,
                  notice=notice or recall.notice)
    if action == "complete":
        _require_all_verified(recall)
    if action in ("reject", "cancel") and not note:
        raise RuleViolation("Give the reason.", code="reason_required", field="note")
    recall.status = rules.TRANSITIONS[action][1]
    now = clock.now()
    if action == "complete":
        recall.completed_at = now
    if action == "close":
        recall.closed_at = now
    _log(actor, recall, action, before, recall.status, note)
    if action != "initiate":  # initiation has its own message, with the deadlines
        emit("recall.transition", {"recall_id": recall.id, "number": recall.number, "action": action,
                                   "status": recall.status, "region_code": recall.region_code,
                                   "producer_facility_id": recall.producer_facility_id})
    db.session.flush()
    return recall


def _initiate(recall: Recall, *, level: int | None, kind: str | None, hazard: str | None,
              notice: str | None) -> None:
    missing = [name for name, value in (("level", level), ("kind", kind), ("notice", notice)) if not value]
    if missing:
        raise RuleViolation(f"Initiating needs {', '.join(missing)}.", code="incomplete_recall", field=missing[0])
    recall.level, recall.kind, recall.hazard, recall.notice = level, kind, hazard, notice
    recall.initiated_at = clock.now()
    recall.start_deadline, recall.complete_deadline = _deadlines(level, recall.initiated_at)
    recall.number = recall.number or _number(recall)
    extend_scope(recall)
    emit("recall.initiated", {"recall_id": recall.id, "number": recall.number, "level": level,
                              "region_code": recall.region_code, "producer_facility_id": recall.producer_facility_id,
                              "start_deadline": recall.start_deadline, "complete_deadline": recall.complete_deadline})


def _deadlines(level: int, initiated_at: datetime) -> tuple[datetime, datetime]:
    config = current_app.config
    return rules.deadlines(level, initiated_at, start_hours=config["RECALL_START_HOURS"],
                           complete_working_days=config["RECALL_COMPLETE_WORKING_DAYS"])


def _number(recall: Recall) -> str:
    year = recall.initiated_at.year
    db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"recall-number:{recall.region_code}"))))
    count = db.session.scalar(select(func.count()).select_from(Recall).where(
        Recall.region_code == recall.region_code, Recall.number.like(f"ZH-{recall.region_code}-{year}-%")))
    return f"ZH-{recall.region_code}-{year}-{count + 1:04d}"


def _require_all_verified(recall: Recall) -> None:
    pending = db.session.scalar(select(func.count()).select_from(RecallFacility).where(
        RecallFacility.recall_id == recall.id, RecallFacility.status == "pending"))
    if pending:
        raise Conflict(f"{pending} facilities are neither verified nor waived.", code="verification_pending",
                       pending=pending)


def change_level(actor: Actor, recall: Recall, level: int, note: str) -> Recall:
    """A supervisor re-grades the recall; its deadlines follow from the original initiation."""
    if level not in (1, 2, 3):
        raise RuleViolation("The level is 1, 2 or 3.", code="invalid_level", field="level")
    if not may_steer(actor, recall) or recall.status not in ("proposed", *rules.ACTIVE):
        raise Conflict("Only a supervisor changes the level of an open recall.", code="illegal_transition",
                       allowed=rules.allowed_actions(recall.status, roles_of(actor, recall)))
    before = recall.level
    recall.level = level
    if recall.initiated_at:
        recall.start_deadline, recall.complete_deadline = _deadlines(level, recall.initiated_at)
    _log(actor, recall, "change_level", recall.status, recall.status, f"{before} → {level}: {note}")
    db.session.flush()
    return recall


def refresh_scope(actor: Actor, recall: Recall) -> int:
    if not may_steer(actor, recall) or recall.status not in rules.ACTIVE:
        raise Conflict("The scope of an initiated recall is refreshed by a supervisor.", code="illegal_transition",
                       allowed=rules.allowed_actions(recall.status, roles_of(actor, recall)))
    added = extend_scope(recall)
    _log(actor, recall, "refresh_scope", recall.status, recall.status, f"{added} facilities added")
    return added


def _log(actor: Actor, recall: Recall, action: str, before: str, after: str, note: str | None) -> None:
    db.session.add(RecallAction(recall_id=recall.id, action=action, from_status=before, to_status=after,
                                actor_id=actor.id, note=note, at=clock.now()))
    audit.record(actor, f"recall.{action}", "recall", recall.id, region_code=recall.region_code,
                 before={"status": before}, after={"status": after, "note": note, "level": recall.level})
