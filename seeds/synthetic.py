"""Synthetic city-scale data: ~10,000 square cells and ~100,000 facilities over Xingtai.

For benchmarks and capacity checks, not for demos: cells and facilities are written in
bulk with set-based SQL, bypassing the services (no audit rows, no per-row overlap
checks), because pushing 100,000 rows through `create_facility` one by one would take
longer than everything being measured. What the services would have derived is derived
here in one statement each, with the same rules (a facility's cell is the active cell
that covers it, lowest code on a shared edge; its region is that cell's region).

Needs the regions loaded first (`seeds.load_regions()`); writes in the caller's transaction,
never commits.
"""
from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import bindparam, func, insert, select, text

from backend.common import clock
from backend.extensions import db
from backend.facilities.models import Facility
from backend.regions.models import Cell, Region
from grid.crs import area_m2
from grid.generate import square_cells

CITY_CODE = "130500"
NAME_PREFIX = "合成"
# Stalls are left out: they need a parent market. Weights roughly follow a city's mix.
KIND_LABELS = {
    "restaurant": "餐饮", "retailer": "零售", "workshop": "作坊", "producer": "生产",
    "farm": "种养", "cold_store": "冷库", "farmers_market": "农贸市场", "wholesale_market": "批发市场",
}
KIND_WEIGHTS = np.array([0.45, 0.30, 0.08, 0.06, 0.07, 0.02, 0.015, 0.005])
RISK_LEVELS = np.array(["A", "B", "C", "D"])
RISK_WEIGHTS = np.array([0.20, 0.45, 0.25, 0.10])
# Cells per county are found by generating; the side is refined until the city total
# reaches the target within this fraction above it (never below it).
CELL_COUNT_SLACK = 0.02
MAX_SIDE_ROUNDS = 12
CELL_BATCH = 1000


def load_synthetic(cells: int = 10_000, facilities: int = 100_000, seed: int = 7) -> dict:
    """Cut the city's counties into about `cells` square cells and place `facilities` in them.

    Counties are the children of 130500 that have a boundary. The square side is chosen so
    the city total is at least `cells` and within 2 % above it; counties that already have
    active cells keep them and get no new ones. Facilities are random points (seeded, so
    the same arguments give the same data on an empty database) spread over the counties
    in proportion to their area, with random kind and risk level and names like
    ``合成餐饮123``; they are always added, even when some exist. Then every facility
    without a cell is placed in one UPDATE, and the tables are analysed.

    Returns the counts written, the side used and the seconds each part took.
    """
    started = time.perf_counter()
    counties = _county_shapes()
    if not counties:
        raise RuntimeError(f"No county of {CITY_CODE} has a boundary; run seeds.load_regions() first.")
    with _no_statement_timeout():
        empty = {code: shape for code, shape in counties.items() if not _has_active_cells(code)}
        side_m, generated = _side_for(empty, cells) if empty else (0, {})
        cells_written = _insert_cells(generated, side_m)
        _analyze("cells")  # placing facilities below must see 10k cells, not the empty table it knew
        cells_s = time.perf_counter() - started

        rng = np.random.default_rng(seed)
        facilities_written = _insert_facilities(counties, facilities, rng)
        placed = _place_facilities()
        _analyze("facilities")
        facilities_s = time.perf_counter() - started - cells_s
    return {
        "cells": cells_written, "side_m": side_m, "counties_cut": len(generated),
        "facilities": facilities_written, "facilities_placed": placed,
        "cells_s": round(cells_s, 2), "facilities_s": round(facilities_s, 2),
        "seconds": round(time.perf_counter() - started, 2),
    }


# ---------------------------------------------------------------- cells

def _county_shapes() -> dict[str, BaseGeometry]:
    rows = db.session.execute(
        select(Region.code, Region.boundary)
        .where(Region.parent_code == CITY_CODE, Region.boundary.is_not(None)).order_by(Region.code)
    ).all()
    return {code: to_shape(boundary) for code, boundary in rows}


def _has_active_cells(region_code: str) -> bool:
    return db.session.scalar(
        select(func.count()).select_from(Cell).where(Cell.region_code == region_code, Cell.status == "active")
    ) > 0


def _side_for(counties: dict[str, BaseGeometry], target: int) -> tuple[int, dict[str, list[BaseGeometry]]]:
    """The whole-metre side giving between `target` and target × (1 + slack) cells.

    Clipped edge pieces count as cells, so sqrt(area / target) gives too many; the side is
    scaled by sqrt(count / target) until the count lands in the window.
    """
    area = sum(area_m2(shape) for shape in counties.values())
    side = math.sqrt(area / target)
    best: tuple[int, dict[str, list[BaseGeometry]]] | None = None
    for _ in range(MAX_SIDE_ROUNDS):
        whole = max(1, round(side))
        # The API's per-request cap (max_cells) guards users; here the target sets the size.
        generated = {code: square_cells(shape, whole, max_cells=max(20_000, target * 4))
                     for code, shape in counties.items()}
        count = sum(len(squares) for squares in generated.values())
        if count >= target and (best is None or whole > best[0]):
            best = (whole, generated)
        if target <= count <= target * (1 + CELL_COUNT_SLACK):
            return whole, generated
        # Aim at the middle of the window; step at least a metre so the loop moves.
        aim = target * (1 + CELL_COUNT_SLACK / 2)
        new_side = side * math.sqrt(count / aim)
        side = new_side if abs(new_side - side) >= 1 else side + (1 if count > target else -1)
    if best is None:
        raise RuntimeError(f"Could not find a square side giving at least {target} cells.")
    return best


def _next_serial(region_code: str) -> int:
    last = db.session.scalar(
        select(func.max(func.split_part(Cell.code, "-", 2).cast(db.Integer))).where(Cell.region_code == region_code)
    )
    return (last or 0) + 1


def _insert_cells(generated: dict[str, list[BaseGeometry]], side_m: int) -> int:
    """All cells in batched multi-row INSERTs; geometry goes over as WKB."""
    moment = clock.now()
    source = f"square:{side_m}m"
    statement = insert(Cell.__table__).values(
        boundary=func.ST_Multi(func.ST_GeomFromWKB(bindparam("wkb"), 4326)))
    rows = []
    for region_code, squares in generated.items():
        first = _next_serial(region_code)
        for serial, square in enumerate(squares, start=first):
            code = f"{region_code}-{serial:04d}"
            rows.append({"id": uuid.uuid4(), "code": code, "name": code, "region_code": region_code,
                         "wkb": shapely.to_wkb(square), "status": "active", "source": source,
                         "created_at": moment, "updated_at": moment, "version": 1})
    for start in range(0, len(rows), CELL_BATCH):
        db.session.execute(statement, rows[start:start + CELL_BATCH])
    return len(rows)


# ---------------------------------------------------------------- facilities

def _random_points(shape: BaseGeometry, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` uniform random (lon, lat) points inside `shape` (rejection sampling)."""
    minx, miny, maxx, maxy = shape.bounds
    shapely.prepare(shape)
    found: list[np.ndarray] = []
    missing = count
    while missing > 0:
        draw = max(64, int(missing * 1.6))
        xy = np.column_stack([rng.uniform(minx, maxx, draw), rng.uniform(miny, maxy, draw)])
        inside = xy[shapely.contains_xy(shape, xy[:, 0], xy[:, 1])][:missing]
        found.append(inside)
        missing -= len(inside)
    return np.round(np.concatenate(found), 7)


def _facility_rows(counties: dict[str, BaseGeometry], total: int, rng: np.random.Generator) -> Iterator[tuple]:
    """COPY rows for `total` facilities, spread over the counties by area."""
    codes = list(counties)
    areas = np.array([area_m2(counties[code]) for code in codes])
    per_county = rng.multinomial(total, areas / areas.sum())
    kinds = list(KIND_LABELS)
    kind_index = rng.choice(len(kinds), size=total, p=KIND_WEIGHTS / KIND_WEIGHTS.sum())
    risks = rng.choice(RISK_LEVELS, size=total, p=RISK_WEIGHTS)
    serial = _next_facility_serial()
    moment = clock.now()
    row = 0
    for code, count in zip(codes, per_county):
        for lon, lat in _random_points(counties[code], int(count), rng):
            kind = kinds[kind_index[row]]
            yield (uuid.uuid4(), f"{NAME_PREFIX}{KIND_LABELS[kind]}{serial}", kind, "",
                   f"SRID=4326;POINT({lon:.7f} {lat:.7f})", code, str(risks[row]), "active", "{}",
                   moment, moment, 1)
            serial += 1
            row += 1


def _next_facility_serial() -> int:
    """Serials continue after the facilities already present, so names stay unique."""
    return db.session.scalar(select(func.count()).select_from(Facility)) + 1


def _insert_facilities(counties: dict[str, BaseGeometry], total: int, rng: np.random.Generator) -> int:
    """COPY into facilities: ~20× faster than multi-row INSERTs at this size.

    The region is provisionally the county the point was drawn in; _place_facilities
    sets the real cell and region.
    """
    if total <= 0:
        return 0
    columns = ("id, name, kind, address, location, region_code, risk_level, status, sales_area, "
               "created_at, updated_at, version")
    # Built before COPY starts: the rows need a query, and the connection is busy during COPY.
    rows = list(_facility_rows(counties, total, rng))
    connection = db.session.connection().connection.driver_connection  # same transaction
    with connection.cursor() as cursor, cursor.copy(f"COPY facilities ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    return len(rows)


def _place_facilities() -> int:
    """Every facility without a cell gets the active cell covering it (lowest code on a
    shared edge) and that cell's region, in one statement using the cells' GiST index."""
    result = db.session.execute(text("""
        UPDATE facilities AS f
           SET cell_id = placed.cell_id, region_code = placed.region_code
          FROM (SELECT unplaced.id, covering.id AS cell_id, covering.region_code
                  FROM facilities AS unplaced
                  CROSS JOIN LATERAL (
                        SELECT c.id, c.region_code FROM cells AS c
                         WHERE c.status = 'active' AND ST_Covers(c.boundary, unplaced.location)
                         ORDER BY c.code LIMIT 1) AS covering
                 WHERE unplaced.cell_id IS NULL) AS placed
         WHERE f.id = placed.id
    """))
    return result.rowcount


def _analyze(table: str) -> None:
    """Fresh planner statistics (ANALYZE counts this transaction's own new rows)."""
    db.session.execute(text(f"ANALYZE {table}"))


@contextmanager
def _no_statement_timeout() -> Iterator[None]:
    """Bulk statements run longer than the request-sized STATEMENT_TIMEOUT_MS; lift it for
    them only, then restore it for the rest of the caller's transaction."""
    previous = db.session.scalar(text("SHOW statement_timeout"))
    db.session.execute(text("SET LOCAL statement_timeout = 0"))
    yield  # after an error the transaction is aborted and its rollback drops the SET LOCAL
    db.session.execute(text("SELECT set_config('statement_timeout', :value, true)"), {"value": previous})
