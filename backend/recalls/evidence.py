"""Evidence of a recall's progress at one facility (photos of the removal, destruction
certificates) is an attachment owned by its scope row (owner_type `recall_facility`):
visible wherever the recall is, added by the producer, the verifying inspector or a
supervisor of the region."""
from __future__ import annotations

from sqlalchemy import Select

from backend.common.actor import Actor
from backend.extensions import db
from backend.inspections.models import InspectionTask
from backend.inspections.policy import OwnerKind, register_owner
from backend.recalls.models import Recall, RecallFacility
from backend.recalls.policy import may_add_evidence, visible_recalls


def _visible(actor: Actor, query: Select) -> Select:
    return visible_recalls(actor, query.join(Recall, Recall.id == RecallFacility.recall_id))


def _may_attach(actor: Actor, row: RecallFacility) -> bool:
    recall = db.session.get(Recall, row.recall_id)
    task = db.session.get(InspectionTask, row.task_id) if row.task_id else None
    return may_add_evidence(actor, recall, task)


def register_evidence_owner() -> None:
    """Make a recall's scope row an attachment owner; the recalls domain's `register` calls it."""
    register_owner("recall_facility", OwnerKind(
        RecallFacility, _visible, _may_attach, lambda row: db.session.get(Recall, row.recall_id).region_code,
        "Evidence is added by the producer, the verifying inspector or a supervisor of the region."))
