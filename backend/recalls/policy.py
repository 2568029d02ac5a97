"""Who may see and act on recalls (DESIGN.md §8).

Staff see their region's recalls, inspectors also those they verify a facility of (the
scope crosses counties); a producer's enterprise user sees its own. What an actor may
do to a recall follows from its roles on that recall (`roles_of`), read by the state
machine (`rules.allowed_actions`) and by the predicates below.
"""
from __future__ import annotations

from sqlalchemy import Select, false, or_, select

from backend.common.actor import Actor
from backend.common.region_codes import scope_prefix
from backend.inspections.models import InspectionTask
from backend.recalls.models import Recall, RecallFacility

STEERING = frozenset({"supervisor", "admin"})
REPORTING = STEERING | {"producer"}


def roles_of(actor: Actor, recall: Recall) -> set[str]:
    """The actor's roles on this recall: its own, plus "producer" for the producer's
    enterprise user; staff keep theirs only within their region."""
    roles = {actor.role}
    if actor.role == "enterprise" and recall.producer_facility_id \
            and actor.facility_id == recall.producer_facility_id:
        roles.add("producer")
    if actor.role in ("supervisor", "inspector", "lab") and not actor.covers_region(recall.region_code):
        roles.discard(actor.role)  # staff act only on their region's recalls
    return roles


def visible_recalls(actor: Actor, query: Select) -> Select:
    """Staff see their region's recalls, inspectors also those they verify a facility of
    (the scope crosses counties); a producer its own."""
    if actor.is_admin:
        return query
    in_region = Recall.region_code.startswith(scope_prefix(actor.region_code))
    if actor.role == "inspector":
        verifying = (select(RecallFacility.recall_id).join(InspectionTask, InspectionTask.id == RecallFacility.task_id)
                     .where(InspectionTask.assignee_id == actor.id))
        return query.where(or_(in_region, Recall.id.in_(verifying)))
    if actor.role == "enterprise":
        if actor.facility_id is None:
            return query.where(false())
        return query.where(Recall.producer_facility_id == actor.facility_id)
    return query.where(in_region)


def may_open_recall(actor: Actor) -> bool:
    """Supervisors (and admins) open recalls, of producers in their region."""
    return actor.is_system or actor.has_role("supervisor", "admin")


def may_steer(actor: Actor, recall: Recall) -> bool:
    """Re-grade, refresh the scope, waive a facility: a supervisor of the recall's region."""
    return bool(roles_of(actor, recall) & STEERING)


def may_report_progress(actor: Actor, recall: Recall) -> bool:
    """The producer, or a supervisor of the region, reports progress and adds evidence."""
    return bool(roles_of(actor, recall) & REPORTING)


def may_verify(actor: Actor, recall: Recall, task: InspectionTask | None) -> bool:
    """The inspector given the verification task, or a supervisor of the region."""
    return (task is not None and task.assignee_id == actor.id) or may_steer(actor, recall)


def may_add_evidence(actor: Actor, recall: Recall, task: InspectionTask | None) -> bool:
    """The producer, the verifying inspector or a supervisor of the region."""
    return may_report_progress(actor, recall) or (task is not None and task.assignee_id == actor.id)
