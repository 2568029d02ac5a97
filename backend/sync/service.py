"""The phones' delta feed (DESIGN.md §9): an inspector's cells with geometry, the
facilities in them (and those of tasks given to them elsewhere), their tasks, the
published checklists, and tombstones for what left their view.

No change is missed when transactions commit out of order: a row is new to the phone
exactly when the transaction that last wrote it is not visible in the snapshot the
previous round ended with (see backend/common/changes.py). Every stage is one indexed
query whose cost follows the number of changes, not the size of the tables.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, cast, exists, func, literal, not_, or_, select, union
from sqlalchemy.orm import selectinload
from sqlalchemy.types import UserDefinedType

from backend.common.actor import Actor
from backend.common.domain_errors import Forbidden
from backend.extensions import db
from backend.facilities.models import Facility
from backend.inspections.models import ChecklistTemplate, InspectionTask
from backend.regions.models import Assignment, Cell
from backend.regions.policy import current_cell_ids
from backend.sync.cursor import Cursor
from backend.sync.models import SyncTombstone
from backend.sync.policy import may_sync

STAGES = ("templates", "cells", "facilities", "tasks", "tombstones")
OPEN = ("open", "in_progress")


class PgSnapshot(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **_) -> str:
        return "pg_snapshot"


@dataclass
class Page:
    templates: list = field(default_factory=list)
    cells: list = field(default_factory=list)
    facilities: list = field(default_factory=list)
    tasks: list = field(default_factory=list)
    tombstones: list = field(default_factory=list)
    cursor: Cursor = field(default_factory=Cursor)
    has_more: bool = False
    full: bool = False


def _changed(column, since: str | None) -> ColumnElement[bool]:
    """Written by a transaction the `since` snapshot did not see (all rows when None)."""
    if since is None:
        return literal(True)
    snapshot = cast(literal(since), PgSnapshot)
    return and_(column >= func.pg_snapshot_xmin(snapshot), not_(func.pg_visible_in_snapshot(column, snapshot)))


class _Scope:
    """What one inspector's phone holds, as subqueries."""

    def __init__(self, actor: Actor, since: str | None):
        self.actor, self.since = actor, since
        self.cells = current_cell_ids(actor.id)
        self.my_tasks = InspectionTask.assignee_id == actor.id
        self.task_facilities = select(InspectionTask.facility_id).where(self.my_tasks, InspectionTask.status.in_(OPEN))
        # A union of two index lookups, not an OR the planner would answer by scanning the table.
        self.facility_ids = union(select(Facility.id).where(Facility.cell_id.in_(self.cells)), self.task_facilities)
        # Cells given to the inspector since the cursor: everything in them is new to the phone.
        self.gained_cells = select(Assignment.cell_id).where(
            Assignment.inspector_id == actor.id, Assignment.valid_to.is_(None), _changed(Assignment.changed_xid, since))

    def templates(self) -> Select:
        return (select(ChecklistTemplate).options(selectinload(ChecklistTemplate.items))
                .where(ChecklistTemplate.status == "published", _changed(ChecklistTemplate.changed_xid, self.since)))

    def cells_query(self) -> Select:
        query = select(Cell).where(Cell.id.in_(self.cells))
        if self.since is None:
            return query
        return query.where(or_(_changed(Cell.changed_xid, self.since), Cell.id.in_(self.gained_cells)))

    def facilities_query(self) -> Select:
        if self.since is None:
            return select(Facility).where(Facility.id.in_(self.facility_ids))
        # Start from what changed (three index-driven sources, united) and test each row
        # for scope, so an empty sync never builds the inspector's whole scope.
        touched = union(
            select(Facility.id).where(_changed(Facility.changed_xid, self.since)),
            select(Facility.id).where(Facility.cell_id.in_(self.gained_cells)),
            select(InspectionTask.facility_id).where(self.my_tasks, _changed(InspectionTask.changed_xid, self.since)),
        )
        task_here = exists().where(InspectionTask.facility_id == Facility.id, self.my_tasks,
                                   InspectionTask.status.in_(OPEN))
        return select(Facility).where(Facility.id.in_(touched), or_(Facility.cell_id.in_(self.cells), task_here))

    def tasks_query(self) -> Select:
        query = select(InspectionTask).where(self.my_tasks)
        if self.since is None:
            return query.where(InspectionTask.status.in_(OPEN))
        return query.where(_changed(InspectionTask.changed_xid, self.since))

    def tombstones_query(self) -> Select:
        if self.since is None:
            return select(SyncTombstone).where(literal(False))  # a full sync replaces everything
        mine = or_(SyncTombstone.user_id == self.actor.id, SyncTombstone.cell_id.in_(self.cells))
        # Something that left and came back (a task handed back, a facility moved between
        # two of my cells) is still in view: its upsert says all, no tombstone needed.
        still_seen = or_(
            and_(SyncTombstone.entity_type == "cell", SyncTombstone.entity_id.in_(self.cells)),
            and_(SyncTombstone.entity_type == "task", SyncTombstone.entity_id.in_(
                select(InspectionTask.id).where(self.my_tasks))),
            and_(SyncTombstone.entity_type == "facility", SyncTombstone.entity_id.in_(self.facility_ids)),
        )
        return select(SyncTombstone).where(_changed(SyncTombstone.changed_xid, self.since), mine, not_(still_seen))


def _keyed(stage: str, scope: _Scope) -> tuple[Select, object]:
    query, key = {
        "templates": (scope.templates(), ChecklistTemplate.id),
        "cells": (scope.cells_query(), Cell.id),
        "facilities": (scope.facilities_query(), Facility.id),
        "tasks": (scope.tasks_query(), InspectionTask.id),
        "tombstones": (scope.tombstones_query(), SyncTombstone.id),
    }[stage]
    return query.order_by(key), key


def sync(actor: Actor, cursor: Cursor, limit: int) -> Page:
    """One page of changes since the cursor; `has_more` until the round is complete."""
    if not may_sync(actor):
        raise Forbidden("Sync serves inspectors' phones.")
    upto = cursor.upto or db.session.scalar(select(cast(func.pg_current_snapshot(), db.String)))
    scope = _Scope(actor, cursor.since)
    page = Page(full=cursor.since is None)
    remaining = limit
    for index in range(cursor.stage, len(STAGES)):
        stage = STAGES[index]
        if remaining == 0:
            page.cursor, page.has_more = Cursor(cursor.since, upto, index, None), True
            return page
        query, key = _keyed(stage, scope)
        after = cursor.after if index == cursor.stage else None
        if after is not None:
            query = query.where(key > (int(after) if stage == "tombstones" else uuid.UUID(after)))
        rows = db.session.scalars(query.limit(remaining + 1)).unique().all()
        if len(rows) > remaining:
            rows = rows[:remaining]
            getattr(page, stage).extend(rows)
            page.cursor, page.has_more = Cursor(cursor.since, upto, index, str(rows[-1].id)), True
            return page
        getattr(page, stage).extend(rows)
        remaining -= len(rows)
    page.cursor = Cursor(since=upto)
    return page
