"""What a redraw of 100 cells costs, through the service layer, rolled back afterwards.

A redraw retires cells and creates their replacements; each of those sends `cells_changed`
and the facilities re-derive their cell (backend.facilities.service.refresh_facility_cells).
Nothing is committed, so the bench database is the same on every run.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from flask import Flask
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select

from backend.common.actor import Actor
from backend.extensions import db
from backend.facilities.models import Facility
from backend.facilities.service import refresh_facility_cells
from backend.regions import cells as cell_service
from backend.regions.models import Cell

REDRAWN_CELLS = 100


@dataclass
class Recompute:
    cells_redrawn: int
    facilities_affected: int
    facilities_moved: int
    total_s: float
    refresh_all_s: float
    refresh_one_s: float


def _facilities_in(cell_ids: list) -> int:
    return db.session.scalar(select(func.count()).select_from(Facility).where(Facility.cell_id.in_(cell_ids)))


def measure_recompute(app: Flask, count: int = REDRAWN_CELLS) -> Recompute:
    """Retire `count` active cells (the same ones every run) and redraw each with its own
    geometry via the services, then re-derive facilities for all old and new cells at once.

    total_s: the whole loop, including the re-derivation each service call triggers;
    refresh_all_s: one refresh_facility_cells call for all 2 × count cell ids;
    refresh_one_s: one call for a single cell id (what each service call pays).
    """
    actor = Actor.system()
    with app.app_context():
        try:
            chosen = db.session.scalars(
                select(Cell).where(Cell.status == "active").order_by(func.md5(Cell.code)).limit(count)).all()
            old_ids = [cell.id for cell in chosen]
            affected = _facilities_in(old_ids)

            started = time.perf_counter()
            new_ids = []
            for cell in chosen:
                shape, region_code = to_shape(cell.boundary), cell.region_code
                cell_service.retire_cell(actor, cell, "bench redraw")
                new_ids.append(cell_service.create_cell(actor, region_code=region_code, boundary=shape).id)
            total_s = time.perf_counter() - started

            started = time.perf_counter()
            refresh_facility_cells(None, cell_ids=[*old_ids, *new_ids])
            refresh_all_s = time.perf_counter() - started

            started = time.perf_counter()
            refresh_facility_cells(None, cell_ids=new_ids[:1])
            refresh_one_s = time.perf_counter() - started

            moved = _facilities_in(new_ids)
        finally:
            db.session.rollback()
    return Recompute(len(chosen), affected, moved, round(total_s, 3), round(refresh_all_s, 3),
                     round(refresh_one_s, 3))
