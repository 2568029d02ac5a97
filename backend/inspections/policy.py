"""Who may see and do what with tasks, checks, rectification orders, attachments and
checklist templates (DESIGN.md §5).

Checks and orders follow the facility-scope ladder (`facilities.policy.facility_scoped`),
an inspector also seeing what it made itself; tasks are an inspector's own or its
region's for supervisors; an attachment is seen exactly where its owner is.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Select, and_, or_, select

from backend.common.actor import Actor
from backend.common.domain_errors import Forbidden
from backend.common.region_codes import scope_prefix
from backend.facilities.models import Facility
from backend.facilities.policy import CHECKERS, facility_scoped, may_check
from backend.inspections.models import Attachment, Check, ChecklistTemplate, InspectionTask, RectificationOrder

TASK_MANAGERS = ("admin", "supervisor")


# ---------------------------------------------------------------- checks and orders

def may_record_checks(actor: Actor) -> bool:
    """Field checks (and samples) are made by inspectors and supervisors."""
    return actor.has_role(*CHECKERS)


def may_check_at(actor: Actor, facility: Facility, task: InspectionTask | None) -> bool:
    """A check or sample at `facility`: in the checker's scope (`may_check`), or the
    facility of a task given to the caller."""
    assigned = task is not None and task.facility_id == facility.id and task.assignee_id == actor.id
    return assigned or may_check(actor, facility)


def visible_checks(actor: Actor, query: Select) -> Select:
    """Inspectors: their own checks and those of facilities in their cells; supervisors
    and labs their region; an enterprise its own facility's checks."""
    return facility_scoped(actor, query, facility_id=Check.facility_id, region_code=Check.region_code,
                           own=Check.inspector_id)


def visible_orders(actor: Actor, query: Select) -> Select:
    """As checks: inspectors their cells' facilities and the orders they issued; an
    enterprise its own; supervisors and labs their region."""
    return facility_scoped(actor, query, facility_id=RectificationOrder.facility_id,
                           region_code=RectificationOrder.region_code, own=RectificationOrder.issued_by)


# ---------------------------------------------------------------- tasks

def visible_tasks(actor: Actor, query: Select) -> Select:
    """Inspectors see the tasks assigned to them; supervisors and admins those of their region."""
    if actor.role == "inspector":
        return query.where(InspectionTask.assignee_id == actor.id)
    if actor.is_system or actor.has_role(*TASK_MANAGERS):
        return query if actor.role == "admin" else query.where(
            InspectionTask.region_code.startswith(scope_prefix(actor.region_code)))
    raise Forbidden("Inspection tasks are for inspectors and supervisors.")


def may_manage_tasks(actor: Actor) -> bool:
    """Admins and supervisors plan and cancel tasks (of their region: `covers_region`)."""
    return actor.has_role(*TASK_MANAGERS)


# ---------------------------------------------------------------- templates

def may_edit_templates(actor: Actor) -> bool:
    return actor.is_admin


def may_read_templates(actor: Actor) -> bool:
    return actor.is_system or actor.is_staff


def visible_templates(actor: Actor, query: Select) -> Select:
    """Drafts are the admins' business; everyone else sees published versions."""
    return query if actor.role == "admin" else query.where(ChecklistTemplate.status == "published")


# ---------------------------------------------------------------- attachments

@dataclass(frozen=True)
class OwnerKind:
    """What an attachment may belong to: how to find one in the actor's scope, who may attach
    to it, and its region. Domains register their own (recall evidence: backend/recalls)."""

    model: type
    visible: Callable[[Actor, Select], Select]  # narrows a select over `model` to the actor's scope
    may_attach: Callable[[Actor, object], bool]
    region_of: Callable[[object], str]
    forbidden: str


def may_attach_to_check(actor: Actor, check: Check) -> bool:
    """Only the check's inspector or a supervisor of its region attaches files to it."""
    return check.inspector_id == actor.id or (actor.role == "supervisor" and actor.covers_region(check.region_code))


OWNERS: dict[str, OwnerKind] = {
    "check": OwnerKind(Check, visible_checks, may_attach_to_check, lambda check: check.region_code,
                       "Only the check's inspector or a supervisor of its region may attach files to it."),
}


def register_owner(name: str, kind: OwnerKind) -> None:
    OWNERS[name] = kind


def visible_attachments(actor: Actor, query: Select) -> Select:
    """An attachment is visible exactly where its owner is."""
    return query.where(or_(*(and_(Attachment.owner_type == name,
                                  Attachment.owner_id.in_(kind.visible(actor, select(kind.model.id))))
                             for name, kind in OWNERS.items())))
