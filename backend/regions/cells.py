"""Grid cells (DESIGN.md §3): drawing, importing, generating, retiring and locating them.

Rules: cells of one region never overlap (1 m² tolerance) and lie inside the region;
cells are never deleted — a redraw retires old cells and creates new ones, so history
stays true; every point of a covered region belongs to exactly one cell (ST_Covers, the
lowest code on a shared edge).
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from geoalchemy2.shape import to_shape
from shapely import MultiPolygon, Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import joinedload, selectinload

from backend.common import audit_trail as audit
from backend.common import clock
from backend.common.actor import Actor
from backend.common.domain_errors import Conflict, Forbidden, NotFound, RuleViolation
from backend.common.geo import as_multipolygon, to_db
from backend.common.region_codes import scope_prefix
from backend.common.signals import cells_changed
from backend.extensions import db
from backend.regions.models import Assignment, Cell, Region
from backend.regions.policy import current_cell_ids, may_manage_grid, may_see_cells, sees_cell_at, visible_cells
from backend.regions.service import get_region
from grid.crs import area_m2
from grid.generate import hex_cells, square_cells
from grid.validate import validate_cells

OVERLAP_TOLERANCE_M2 = 1.0


@dataclass
class Overlap:
    cell_code: str
    area_m2: float
    geometry: dict


@dataclass
class Generated:
    """Cells proposed for a region; saved only when committed."""

    region_code: str
    method: str
    geometries: list[BaseGeometry]
    cells: list[Cell] = field(default_factory=list)
    retired: int = 0


# ---------------------------------------------------------------- scope

def require_manager_of(actor: Actor, region_code: str) -> None:
    """Only admins and supervisors of the region draw and staff its grid."""
    if not may_manage_grid(actor):
        raise Forbidden("Only administrators and supervisors manage the grid.")
    if not actor.covers_region(region_code):
        raise Forbidden(f"Region {region_code} is outside your region {actor.region_code}.")


def get_cell(actor: Actor, cell_id: uuid.UUID) -> Cell:
    cell = db.session.scalar(visible_cells(actor, select(Cell).where(Cell.id == cell_id)))
    if cell is None:
        raise NotFound("No such cell.")
    return cell


def cells_query(actor: Actor, *, region_code: str | None = None, inspector_id: uuid.UUID | None = None,
                status: str | None = None, bbox: Sequence[float] | None = None) -> Select:
    query = visible_cells(actor, select(Cell)).options(selectinload(Cell.assignments)).order_by(Cell.code)
    if region_code:
        query = query.where(Cell.region_code.startswith(scope_prefix(region_code)))
    if inspector_id:
        query = query.where(Cell.id.in_(current_cell_ids(inspector_id)))
    if status:
        query = query.where(Cell.status == status)
    if bbox:
        query = query.where(func.ST_Intersects(Cell.boundary, func.ST_MakeEnvelope(*bbox, 4326)))
    return query


def region_cells(actor: Actor, region_code: str, *, status: str, limit: int) -> dict:
    """Every cell of a region (and the regions under it) the actor may see, as one
    FeatureCollection: a map needs a county whole, not a page of it. Bounded by `limit`
    (REGION_CELLS_MAX); past it the caller pages `/cells` by `bbox` or uses tiles."""
    region = get_region(actor, region_code)
    query = cells_query(actor, region_code=region.code, status=status)
    found = db.session.scalars(query.limit(limit + 1)).all()
    if len(found) > limit:
        raise RuleViolation(f"The region has more than {limit} cells; page /cells by bbox instead.",
                            code="too_many_cells", field="code")
    return {"type": "FeatureCollection", "features": found}


# ---------------------------------------------------------------- locate

def locate_cell(point: Point, *options) -> Cell | None:
    """The active cell covering a WGS-84 point; on a shared edge, the lowest code."""
    return db.session.scalar(
        select(Cell).options(*options)
        .where(Cell.status == "active", func.ST_Covers(Cell.boundary, to_db(point)))
        .order_by(Cell.code)
        .limit(1)
    )


def require_cell_viewer(actor: Actor) -> None:
    """Answers that name a cell or its inspectors are for roles that see cells at all
    (visible_cells): an enterprise sees none, so such an action is not for it (403)."""
    if not may_see_cells(actor):
        raise Forbidden("Grid cells and their inspectors are for supervision staff.")


def locate(actor: Actor, point: Point) -> Cell:
    """The cell at a point with its staff and their accounts, in one query.

    For staff who see cells (an inspector too: its phone asks whose cell it stands in),
    within their region; never for an enterprise."""
    require_cell_viewer(actor)
    cell = locate_cell(point, joinedload(Cell.assignments).joinedload(Assignment.inspector))
    if cell is None or not sees_cell_at(actor, cell.region_code):
        raise NotFound("No active cell covers this point.", code="no_cell_here")
    return cell


# ---------------------------------------------------------------- writes

def _lock_region(region_code: str) -> None:
    """Serialise grid edits of one region, so overlap checks and code serials are race-free."""
    db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"cells:{region_code}"})


def _region_with_boundary(region_code: str) -> tuple[Region, MultiPolygon]:
    region = db.session.get(Region, region_code)
    if region is None:
        raise RuleViolation(f"Unknown region {region_code}.", code="unknown_region", field="region_code")
    if region.boundary is None:
        raise RuleViolation(f"Region {region_code} has no boundary to draw cells in.", code="region_without_boundary")
    return region, to_shape(region.boundary)


def _check_inside(boundary: MultiPolygon, region_shape: BaseGeometry, region_code: str) -> None:
    outside = boundary.difference(region_shape)
    if not outside.is_empty and area_m2(outside) > OVERLAP_TOLERANCE_M2:
        point = outside.representative_point()
        raise RuleViolation(
            f"The cell extends {area_m2(outside):.0f} m² outside region {region_code} "
            f"(near {point.x:.5f}, {point.y:.5f}); are longitude and latitude swapped?",
            code="outside_region", field="boundary")


def overlaps_with_active(region_code: str, boundary: MultiPolygon) -> list[Overlap]:
    """Active cells of the region that overlap `boundary` by more than the tolerance."""
    geometry = to_db(boundary)
    intersection = func.ST_Intersection(Cell.boundary, geometry)
    rows = db.session.execute(
        select(Cell.code, func.ST_Area(func.geography(intersection)), func.ST_AsGeoJSON(intersection))
        .where(Cell.region_code == region_code, Cell.status == "active",
               func.ST_Intersects(Cell.boundary, geometry))
        .order_by(Cell.code)
    ).all()
    return [Overlap(code, area, json.loads(shape)) for code, area, shape in rows if area > OVERLAP_TOLERANCE_M2]


def _next_serials(region_code: str, count: int) -> list[str]:
    last = db.session.scalar(
        select(func.max(func.split_part(Cell.code, "-", 2).cast(db.Integer))).where(Cell.region_code == region_code)
    ) or 0
    return [f"{region_code}-{serial:04d}" for serial in range(last + 1, last + 1 + count)]


def _insert_cells(actor: Actor, region_code: str, shapes: list[tuple[str | None, MultiPolygon]],
                  source: str) -> list[Cell]:
    codes = _next_serials(region_code, len(shapes))
    cells = [
        Cell(code=code, name=name or code, region_code=region_code, boundary=to_db(shape), source=source,
             created_by=actor.id)
        for code, (name, shape) in zip(codes, shapes)
    ]
    db.session.add_all(cells)
    db.session.flush()
    for cell in cells:
        audit.record(actor, "cell.create", "cell", cell.id, after={"code": cell.code, "source": source},
                     region_code=region_code)
    return cells


def create_cell(actor: Actor, *, region_code: str, boundary: BaseGeometry, name: str | None = None) -> Cell:
    """Draw one cell by hand. Refused (409) when it overlaps an active cell of the region."""
    require_manager_of(actor, region_code)
    shape = as_multipolygon(boundary)
    _, region_shape = _region_with_boundary(region_code)
    _check_inside(shape, region_shape, region_code)
    _lock_region(region_code)
    overlaps = overlaps_with_active(region_code, shape)
    if overlaps:
        raise Conflict(f"The cell overlaps {len(overlaps)} active cell(s) of region {region_code}.",
                       code="cells_overlap", overlaps=[overlap.__dict__ for overlap in overlaps])
    cell = _insert_cells(actor, region_code, [(name, shape)], "drawn")[0]
    cells_changed.send(None, cell_ids=[cell.id])
    return cell


def import_cells(actor: Actor, *, region_code: str, features: list[tuple[str | None, BaseGeometry]]) -> list[Cell]:
    """Import hand-drawn cells: all or nothing. Every problem is reported at once."""
    require_manager_of(actor, region_code)
    if not features:
        raise RuleViolation("The FeatureCollection has no features.", code="empty_import", field="features")
    problems: list[dict] = []
    shapes: list[tuple[str | None, MultiPolygon]] = []
    _, region_shape = _region_with_boundary(region_code)
    for index, (name, geometry) in enumerate(features):
        try:
            shape = as_multipolygon(geometry, field=f"features.{index}.geometry")
            _check_inside(shape, region_shape, region_code)
        except RuleViolation as error:
            problems.append({"feature": index, "code": error.code, "detail": error.detail})
            continue
        shapes.append((name, shape))
    if not problems:
        report = validate_cells({str(i): shape for i, (_, shape) in enumerate(shapes)},
                                tolerance_m2=OVERLAP_TOLERANCE_M2)
        problems += [{"features": list(p.cells), "code": p.kind, "area_m2": p.area_m2, "location": p.location}
                     for p in report.problems]
    if not problems:
        _lock_region(region_code)
        for index, (_, shape) in enumerate(shapes):
            problems += [{"feature": index, "code": "overlaps_existing", "cell": o.cell_code, "area_m2": o.area_m2}
                         for o in overlaps_with_active(region_code, shape)]
    if problems:
        raise RuleViolation(f"{len(problems)} problem(s); nothing was imported.", code="import_rejected",
                            problems=problems)
    cells = _insert_cells(actor, region_code, shapes, "imported")
    cells_changed.send(None, cell_ids=[cell.id for cell in cells])
    return cells


def generate_cells(actor: Actor, *, region_code: str, method: str, size: float, commit: bool = False,
                   replace: bool = False) -> Generated:
    """Cut a region into square cells of `size` metres or H3 hexagons of resolution `size`.

    Without `commit` nothing is saved (a preview). Committing into a region that already
    has active cells needs `replace`, which retires them first (a redraw).
    """
    require_manager_of(actor, region_code)
    _, region_shape = _region_with_boundary(region_code)
    try:
        if method == "square":
            geometries = square_cells(region_shape, float(size))
        else:
            geometries = hex_cells(region_shape, int(size))
    except ValueError as error:
        raise RuleViolation(str(error), code="generation_refused", field="size") from error
    label = f"square:{size:g}m" if method == "square" else f"h3:{int(size)}"
    result = Generated(region_code, label, geometries)
    if not commit:
        return result
    _lock_region(region_code)
    active = db.session.scalars(select(Cell).where(Cell.region_code == region_code, Cell.status == "active")).all()
    if active and not replace:
        raise Conflict(f"Region {region_code} already has {len(active)} active cells; send replace: true to redraw.",
                       code="region_has_cells")
    for cell in active:
        _retire(actor, cell, f"redrawn as {label}")
    result.retired = len(active)
    result.cells = _insert_cells(actor, region_code, [(None, as_multipolygon(g)) for g in geometries], label)
    cells_changed.send(None, cell_ids=[cell.id for cell in [*active, *result.cells]])
    return result


def validate_region_grid(actor: Actor, region_code: str) -> dict:
    """DESIGN.md §3: a region's active cells (its own and those of the regions under it)
    must not overlap and should cover its boundary. Reports gaps (uncovered parts larger
    than the tolerance, with area in m² and a point on each), overlaps (the two cells'
    codes) and invalid cells. Admins and supervisors of the region; a region outside the
    caller's is not found."""
    region = db.session.get(Region, region_code)
    if region is None or not (actor.is_system or actor.covers_region(region_code)):
        raise NotFound(f"No region {region_code}.")
    require_manager_of(actor, region_code)
    rows = db.session.execute(select(Cell.code, Cell.boundary).where(
        Cell.region_code.startswith(scope_prefix(region_code)), Cell.status == "active")).all()
    report = validate_cells({code: to_shape(boundary) for code, boundary in rows},
                            to_shape(region.boundary) if region.boundary is not None else None,
                            tolerance_m2=OVERLAP_TOLERANCE_M2)

    def listed(problems):
        return [{"cells": list(p.cells), "area_m2": round(p.area_m2, 1), "location": list(p.location),
                 **({"reason": p.reason} if p.reason else {})} for p in problems]

    return {"region_code": region_code, "cells": len(rows), "tolerance_m2": OVERLAP_TOLERANCE_M2,
            "ok": report.ok, "gaps": listed(report.gaps), "overlaps": listed(report.overlaps),
            "invalid": listed(report.invalid)}


def _retire(actor: Actor, cell: Cell, reason: str) -> None:
    moment = clock.now()
    cell.status = "retired"
    cell.retired_at = moment
    for assignment in cell.assignments:
        if assignment.valid_to is None:
            assignment.valid_to, assignment.ended_by, assignment.end_reason = moment, actor.id, reason
    audit.record(actor, "cell.retire", "cell", cell.id, after={"code": cell.code, "reason": reason},
                 region_code=cell.region_code)


def retire_cell(actor: Actor, cell: Cell, reason: str) -> Cell:
    require_manager_of(actor, cell.region_code)
    if cell.status == "retired":
        raise Conflict(f"Cell {cell.code} is already retired.", code="cell_retired")
    _retire(actor, cell, reason)
    db.session.flush()
    cells_changed.send(None, cell_ids=[cell.id])
    return cell
