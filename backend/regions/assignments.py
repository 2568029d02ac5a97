"""Who is responsible for each cell, with full history (DESIGN.md §3, 责任追究).

A change closes the current row and opens a new one in the same transaction; rows are
never rewritten. The cell row is locked while its staff changes, and the database's
exclusion constraint guarantees one lead at a time whatever happens.
"""
from __future__ import annotations

import math
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from geoalchemy2.shape import to_shape
from sqlalchemy import case, func, or_, select

from backend.auth.models import User
from backend.calendar.service import LOCAL
from backend.common import audit_trail as audit
from backend.common import clock
from backend.common.actor import Actor
from backend.common.domain_errors import Conflict, NotFound, RuleViolation
from backend.common.region_codes import is_within
from backend.common.signals import lead_changed, plan_frequencies
from backend.extensions import db
from backend.facilities.models import Facility
from backend.regions.cells import get_cell, locate, require_manager_of
from backend.regions.models import Assignment, Cell
from backend.regions.policy import may_manage_grid, visible_cells
from grid.balance import CellLoad, balance

ACTIONS = ("set_lead", "add_member", "remove")


@dataclass
class Move:
    cell_id: uuid.UUID
    action: str
    inspector_id: uuid.UUID
    reason: str


# ---------------------------------------------------------------- reading

def assignment_history(actor: Actor, cell_id: uuid.UUID, at: datetime | None = None) -> list[Assignment]:
    """All assignments of a cell, oldest first; with `at`, those in force at that moment."""
    cell = get_cell(actor, cell_id)
    query = select(Assignment).where(Assignment.cell_id == cell.id).order_by(Assignment.valid_from, Assignment.role)
    if at is not None:
        query = query.where(Assignment.valid_from <= at, or_(Assignment.valid_to.is_(None), Assignment.valid_to > at))
    return list(db.session.scalars(query))


def current_assignments(cell_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Assignment]]:
    """Current staff of many cells in one query."""
    rows = db.session.scalars(
        select(Assignment).where(Assignment.cell_id.in_(cell_ids), Assignment.valid_to.is_(None))
        .order_by(Assignment.role, Assignment.valid_from)
    )
    staff: dict[uuid.UUID, list[Assignment]] = defaultdict(list)
    for row in rows:
        staff[row.cell_id].append(row)
    return staff


def locate_with_staff(actor: Actor, point) -> dict:
    """The active cell covering a point, with its current lead and members."""
    cell = locate(actor, point)
    lead = next((row.inspector for row in cell.staff if row.role == "lead"), None)
    return {"cell": cell, "lead": lead, "members": [row.inspector for row in cell.staff if row.role == "member"]}


# ---------------------------------------------------------------- changing

def _inspector_for(cell: Cell, inspector_id: uuid.UUID) -> User:
    inspector = db.session.get(User, inspector_id)
    if inspector is None or inspector.role != "inspector":
        raise RuleViolation("No such inspector.", code="unknown_inspector", field="inspector_id")
    if not inspector.is_active:
        raise RuleViolation(f"Inspector {inspector.username} is deactivated.", code="inactive_inspector",
                            field="inspector_id")
    if not is_within(cell.region_code, inspector.region_code):
        raise RuleViolation(f"Inspector {inspector.username} works in region {inspector.region_code}, "
                            f"not in {cell.region_code}.", code="inspector_outside_region", field="inspector_id")
    return inspector


def _close(row: Assignment, actor: Actor, moment: datetime, reason: str) -> None:
    row.valid_to, row.ended_by, row.end_reason = moment, actor.id, reason


def change_assignment(actor: Actor, move: Move) -> list[Assignment]:
    """Apply one move to a cell: set its lead, add a member, or remove someone.

    Returns the cell's current staff afterwards. A retired cell cannot be staffed.
    """
    cell = db.session.scalar(visible_cells(actor, select(Cell).where(Cell.id == move.cell_id)).with_for_update(of=Cell))
    if cell is None:
        raise NotFound("No such cell.")
    require_manager_of(actor, cell.region_code)
    if cell.status != "active":
        raise Conflict(f"Cell {cell.code} is retired and cannot be staffed.", code="cell_retired")
    if move.action not in ACTIONS:
        raise RuleViolation(f"Unknown action {move.action!r}.", code="unknown_action", field="action")
    if not move.reason.strip():
        raise RuleViolation("A reason is required for every change of responsibility.", code="reason_required",
                            field="reason")
    inspector = _inspector_for(cell, move.inspector_id)
    moment = clock.now()
    current = {row.inspector_id: row for row in current_assignments([cell.id]).get(cell.id, [])}
    old_lead = next((row.inspector_id for row in current.values() if row.role == "lead"), None)
    mine = current.get(inspector.id)

    if move.action == "remove":
        if mine is None:
            raise Conflict(f"{inspector.username} is not assigned to cell {cell.code}.", code="not_assigned")
        _close(mine, actor, moment, move.reason)
    elif move.action == "add_member":
        if mine is not None:
            raise Conflict(f"{inspector.username} is already {mine.role} of cell {cell.code}.",
                           code="already_assigned")
        db.session.add(_open(cell, inspector, "member", actor, moment, move.reason))
    else:  # set_lead
        if mine is not None and mine.role == "lead":
            return list(current.values())  # already the lead: nothing changes
        for row in current.values():
            if row.role == "lead" or row.inspector_id == inspector.id:
                _close(row, actor, moment, move.reason)
        db.session.flush()  # close before open: the exclusion constraint sees periods in order
        db.session.add(_open(cell, inspector, "lead", actor, moment, move.reason))
    db.session.flush()
    audit.record(actor, f"assignment.{move.action}", "cell", cell.id,
                 after={"inspector_id": inspector.id, "reason": move.reason}, region_code=cell.region_code)
    new_lead = inspector.id if move.action == "set_lead" else (None if mine and mine.role == "lead" else old_lead)
    if new_lead != old_lead:
        lead_changed.send(None, cell_id=cell.id, old_lead_id=old_lead, new_lead_id=new_lead, actor=actor)
    return current_assignments([cell.id]).get(cell.id, [])


def _open(cell: Cell, inspector: User, role: str, actor: Actor, moment: datetime, reason: str) -> Assignment:
    return Assignment(cell_id=cell.id, inspector_id=inspector.id, role=role, valid_from=moment,
                      assigned_by=actor.id, reason=reason)


def apply_moves(actor: Actor, moves: list[Move]) -> int:
    """Many moves at once, all or none: the first refusal names its move and undoes the rest."""
    with db.session.begin_nested():
        for index, move in enumerate(moves):
            try:
                change_assignment(actor, move)
            except (RuleViolation, Conflict, NotFound) as error:
                error.detail = f"Move {index}: {error.detail}"
                error.extra["move"] = index
                raise
    return len(moves)


# ---------------------------------------------------------------- workload and balancing

def visits_per_year(region_code: str | None = None, year: int | None = None) -> dict[str, float]:
    """Visits per risk level: those of the region's inspection plan for the year when there
    is one (the plan keeps its own), else VISITS_PER_YEAR. A rate below 1 counts as its
    average (0.5: a visit every other year)."""
    if region_code is not None:
        year = year or clock.now().astimezone(LOCAL).year
        for _, answer in plan_frequencies.send(None, region_code=region_code, year=year):
            if answer:
                return answer
    return current_app.config["VISITS_PER_YEAR"]


def _required_visits(visits: dict[str, float]):
    return func.sum(case(*[(Facility.risk_level == level, float(n)) for level, n in visits.items()], else_=0.0))


def cell_workloads(cell_ids: list[uuid.UUID], visits: dict[str, float] | None = None) -> dict[uuid.UUID, float]:
    """Required routine visits per year of the active facilities in each cell (DESIGN.md §4)."""
    rows = db.session.execute(
        select(Facility.cell_id, _required_visits(visits or visits_per_year()))
        .where(Facility.cell_id.in_(cell_ids), Facility.status == "active")
        .group_by(Facility.cell_id)
    ).all()
    loads = {cell_id: 0.0 for cell_id in cell_ids}
    loads.update({cell_id: float(total or 0) for cell_id, total in rows})
    return loads


@dataclass
class BalanceResult:
    region_code: str
    loads: dict[str, float]
    cells: dict[str, list[str]]
    spread_max_mean: float
    spread_max_min: float | None
    contiguous: bool
    applied: bool
    changes: int


def balance_region(actor: Actor, *, region_code: str, inspector_ids: list[uuid.UUID], apply: bool,
                   reason: str = "workload balancing", year: int | None = None) -> BalanceResult:
    """Propose (and on request apply) leads for a region's cells that even out workload
    while keeping each inspector's cells contiguous. Workload counts the visits of the
    region's plan for `year` (default: this year) when there is one."""
    require_manager_of(actor, region_code)
    if not inspector_ids or len(set(inspector_ids)) != len(inspector_ids):
        raise RuleViolation("Give one or more distinct inspectors.", code="bad_inspector_list", field="inspector_ids")
    cells = db.session.scalars(
        select(Cell).where(Cell.region_code == region_code, Cell.status == "active").order_by(Cell.code)
    ).all()
    if not cells:
        raise RuleViolation(f"Region {region_code} has no active cells to balance.", code="no_cells")
    inspectors = {inspector_id: _inspector_for(cells[0], inspector_id) for inspector_id in inspector_ids}
    loads = cell_workloads([cell.id for cell in cells], visits_per_year(region_code, year))
    proposal = balance([CellLoad(str(cell.id), to_shape(cell.boundary), loads[cell.id]) for cell in cells],
                       [str(inspector_id) for inspector_id in inspector_ids])
    by_inspector: dict[str, list[str]] = defaultdict(list)
    codes = {str(cell.id): cell.code for cell in cells}
    for cell_id, inspector_id in proposal.assignment.items():
        by_inspector[inspectors[uuid.UUID(inspector_id)].username].append(codes[cell_id])
    changes = 0
    if apply:
        staff = current_assignments([cell.id for cell in cells])
        for cell in cells:
            lead = uuid.UUID(proposal.assignment[str(cell.id)])
            if not any(row.role == "lead" and row.inspector_id == lead for row in staff.get(cell.id, [])):
                change_assignment(actor, Move(cell.id, "set_lead", lead, reason))
                changes += 1
    return BalanceResult(
        region_code=region_code,
        loads={inspectors[uuid.UUID(i)].username: load for i, load in proposal.loads.items()},
        cells={name: sorted(codes_) for name, codes_ in by_inspector.items()},
        spread_max_mean=proposal.spread_max_mean,
        # max/min is infinite when someone gets no work: JSON has no infinity, so null
        spread_max_min=None if math.isinf(proposal.spread_max_min) else proposal.spread_max_min,
        contiguous=proposal.contiguous,
        applied=apply,
        changes=changes,
    )


def inspector_workload(actor: Actor, inspector_id: uuid.UUID) -> dict:
    """An inspector's current cells, their facilities by kind and risk, and visits required per year."""
    inspector = db.session.get(User, inspector_id)
    manages = may_manage_grid(actor)
    visible = inspector is not None and inspector.role == "inspector" and (
        actor.id == inspector_id or (manages and actor.covers_region(inspector.region_code)))
    if not visible:
        raise NotFound("No such inspector.")
    rows = db.session.execute(
        select(Cell.id, Cell.code, Assignment.role)
        .join(Assignment, Assignment.cell_id == Cell.id)
        .where(Assignment.inspector_id == inspector_id, Assignment.valid_to.is_(None))
        .order_by(Cell.code)
    ).all()
    cell_ids = [row.id for row in rows]
    facilities = db.session.execute(
        select(Facility.kind, Facility.risk_level, func.count())
        .where(Facility.cell_id.in_(cell_ids), Facility.status == "active")
        .group_by(Facility.kind, Facility.risk_level)
    ).all()
    by_kind: Counter[str] = Counter()
    by_risk: Counter[str] = Counter()
    for kind, risk, count in facilities:
        by_kind[kind] += count
        by_risk[risk] += count
    visits = visits_per_year(inspector.region_code)
    return {
        "inspector_id": inspector_id,
        "username": inspector.username,
        "cells": [{"id": row.id, "code": row.code, "role": row.role} for row in rows],
        "facilities_by_kind": dict(by_kind),
        "facilities_by_risk_level": dict(by_risk),
        "facilities": sum(by_kind.values()),
        "required_visits_per_year": sum(visits[risk] * count for risk, count in by_risk.items()),
        "visits_per_risk_level": visits,
    }
