"""The bench database `foodgrid_bench`: created, migrated, seeded once and then reused.

Loading the synthetic city is quick (~15 s on 2 cores) but reusing it keeps every run on
the same data. It lives beside the development and test databases, never inside them.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from backend import create_app
from backend.auth import users
from backend.auth.models import User
from backend.common.actor import Actor
from backend.extensions import db
from backend.facilities.models import Facility
from backend.regions.models import Cell

REPO = Path(__file__).resolve().parent.parent
DBNAME = "foodgrid_bench"
MIN_CELLS = 10_000
MIN_FACILITIES = 100_000
BENCH_USER = "bench"
BENCH_PASSWORD = "foodgrid-bench-only"  # a throwaway account in a throwaway database


@dataclass
class Sizes:
    active_cells: int
    cells: int
    facilities: int
    placed_facilities: int
    cells_mb: float
    facilities_mb: float

    def big_enough(self) -> bool:
        return self.active_cells >= MIN_CELLS and self.facilities >= MIN_FACILITIES


def ensure_database(dbname: str = DBNAME) -> str:
    """Create the database (and PostGIS in it) if needed; return its SQLAlchemy URL."""
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "ensure_postgres.py"), dbname],
                            stdout=subprocess.PIPE, text=True, cwd=REPO)
    if result.returncode != 0:
        raise RuntimeError(f"scripts/ensure_postgres.py {dbname} failed (exit {result.returncode})")
    return result.stdout.strip().splitlines()[-1]


def bench_app(url: str) -> Flask:
    """The application bound to the bench database (create_app reads DATABASE_URL)."""
    os.environ["DATABASE_URL"] = url
    return create_app()


def measure_sizes() -> Sizes:
    count = func.count()
    placed = db.session.scalar(select(count).select_from(Facility).where(Facility.cell_id.is_not(None)))
    megabytes = "SELECT pg_total_relation_size(CAST(:t AS regclass)) / 1048576.0"
    return Sizes(
        active_cells=db.session.scalar(select(count).select_from(Cell).where(Cell.status == "active")),
        cells=db.session.scalar(select(count).select_from(Cell)),
        facilities=db.session.scalar(select(count).select_from(Facility)),
        placed_facilities=placed,
        cells_mb=round(float(db.session.scalar(text(megabytes), {"t": "cells"})), 1),
        facilities_mb=round(float(db.session.scalar(text(megabytes), {"t": "facilities"})), 1),
    )


def _ensure_bench_user() -> None:
    """An admin of the whole city, so the API answers every point (admins see all cells)."""
    if db.session.scalar(select(User.id).where(User.username == BENCH_USER)) is None:
        users.create_user(Actor.system(), username=BENCH_USER, display_name="Benchmark", role="admin",
                          region_code="130500", password=BENCH_PASSWORD)


def prepare(app: Flask, log) -> tuple[Sizes, dict | None]:
    """Migrate to head, load the regions, load the synthetic city unless already there.

    Returns the data sizes and the loader's summary (None when the data was reused).
    """
    from seeds import load_regions
    from seeds.synthetic import load_synthetic

    with app.app_context():
        upgrade()
        load_regions()
        _ensure_bench_user()
        db.session.commit()
        sizes = measure_sizes()
        if sizes.big_enough():
            log(f"reusing {DBNAME}: {sizes.active_cells} active cells, {sizes.facilities} facilities")
            return sizes, None
        log(f"loading the synthetic city into {DBNAME} (once; reused by later runs)")
        loaded = load_synthetic(cells=MIN_CELLS, facilities=max(0, MIN_FACILITIES - sizes.facilities))
        db.session.commit()
        sizes = measure_sizes()
        if not sizes.big_enough():
            raise RuntimeError(f"after loading, {DBNAME} still has only {sizes.active_cells} active cells and "
                               f"{sizes.facilities} facilities")
        return sizes, loaded
