"""Benchmark of the phones' sync: `make bench-sync` (= .venv/bin/python bench/sync_bench.py).

For an inspector holding cells with about 2,000 facilities (and an open task for each),
on two databases of the same synthetic city, one 10× the other (1×: 10,000 cells,
100,000 facilities, a task per facility; 10×: 100,000 cells, 1,000,000 facilities and
tasks): the full first sync (paged, 500 rows a page), an empty incremental sync (median
of 50, and the statements it runs), and an incremental sync after 20 facilities changed.
The incremental syncs should cost the same at both sizes: the ratio 10×/1× is printed.

Measured in-process through the Flask test client (the whole API stack, no HTTP socket),
so the figures compare sync at two data sizes, not gunicorn. Each database is loaded once
(the 10× one takes a few minutes) and reused.
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[0] = str(REPO)

from sqlalchemy import event, func, select, text  # noqa: E402

from bench import database  # noqa: E402

SCALES = {1: "foodgrid_bench", 10: "foodgrid_bench_10x"}
TARGET_FACILITIES = 2_000
INSPECTOR = "bench-sync"
RESULTS = REPO / "bench" / "results" / "sync-latest.json"
EMPTY_RUNS = 50


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def prepare(app, scale: int) -> dict:
    """The synthetic city at `scale`, a task per facility, and the sync inspector's cells."""
    from backend.extensions import db
    from backend.facilities.models import Facility
    from backend.inspections.models import InspectionTask
    from backend.regions.models import Cell
    from seeds import load_regions
    from seeds.synthetic import load_synthetic

    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        load_regions()
        db.session.commit()
        cells = db.session.scalar(select(func.count()).select_from(Cell).where(Cell.status == "active"))
        facilities = db.session.scalar(select(func.count()).select_from(Facility))
        if cells < database.MIN_CELLS * scale or facilities < database.MIN_FACILITIES * scale:
            log(f"loading {scale}× synthetic data (once)")
            load_synthetic(cells=database.MIN_CELLS * scale,
                           facilities=max(0, database.MIN_FACILITIES * scale - facilities))
            db.session.commit()
        if not db.session.scalar(select(func.count()).select_from(InspectionTask)):
            log("an open routine task for every facility (set-based)")
            db.session.execute(text("SET LOCAL statement_timeout = 0"))  # a million rows at 10×
            db.session.execute(text("""
                INSERT INTO inspection_tasks (id, kind, status, facility_id, cell_id, region_code, sequence,
                                              due_at, created_at, updated_at, row_version)
                SELECT gen_random_uuid(), 'routine', 'open', id, cell_id, region_code, 1,
                       now() + interval '90 days', now(), now(), 1 FROM facilities"""))
            db.session.execute(text("ANALYZE inspection_tasks"))
            db.session.commit()
        held = _give_cells(db)
        return {
            "scale": scale,
            "cells": db.session.scalar(select(func.count()).select_from(Cell)),
            "facilities": db.session.scalar(select(func.count()).select_from(Facility)),
            "tasks": db.session.scalar(select(func.count()).select_from(InspectionTask)),
            "inspector_cells": held["cells"], "inspector_facilities": held["facilities"],
        }


def _give_cells(db) -> dict:
    """Cells of the busiest county, in code order, until they hold ~2,000 facilities."""
    from backend.auth import users
    from backend.auth.models import User
    from backend.common.actor import Actor
    from backend.regions.assignments import Move, apply_moves

    county = db.session.scalar(text("SELECT region_code FROM facilities WHERE cell_id IS NOT NULL "
                                    "GROUP BY region_code ORDER BY count(*) DESC LIMIT 1"))
    inspector = db.session.scalar(select(User).where(User.username == INSPECTOR))
    if inspector is None:
        inspector = users.create_user(Actor.system(), username=INSPECTOR, display_name="Sync bench",
                                      role="inspector", region_code=county, password=database.BENCH_PASSWORD)
        rows = db.session.execute(text("""
            SELECT c.id, count(f.id) AS n FROM cells c JOIN facilities f ON f.cell_id = c.id
             WHERE c.region_code = :county AND c.status = 'active' GROUP BY c.id, c.code ORDER BY c.code"""),
            {"county": county}).all()
        chosen, total = [], 0
        for cell_id, count in rows:
            if total >= TARGET_FACILITIES:
                break
            chosen.append(cell_id)
            total += count
        apply_moves(Actor.system(), [Move(cell_id, "add_member", inspector.id, "sync benchmark")
                                     for cell_id in chosen])
        db.session.execute(text("""UPDATE inspection_tasks SET assignee_id = :me
                                    WHERE cell_id IN (SELECT cell_id FROM assignments
                                                       WHERE inspector_id = :me AND valid_to IS NULL)"""),
                           {"me": inspector.id})
        db.session.commit()
    held = db.session.execute(text("""
        SELECT count(DISTINCT a.cell_id) AS cells, count(f.id) AS facilities
          FROM assignments a JOIN facilities f ON f.cell_id = a.cell_id
         WHERE a.inspector_id = :me AND a.valid_to IS NULL"""), {"me": inspector.id}).one()
    return {"cells": held.cells, "facilities": held.facilities}


def _sync(client, headers, cursor=None, limit=500) -> dict:
    params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
    response = client.get("/api/v1/sync", query_string=params, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"sync answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
    return response.get_json()


def measure(app) -> dict:
    from backend.extensions import db

    client = app.test_client()
    login = client.post("/api/v1/auth/login", json={"username": INSPECTOR, "password": database.BENCH_PASSWORD})
    headers = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    started, cursor, pages, rows = time.perf_counter(), None, 0, 0
    while True:
        page = _sync(client, headers, cursor)
        pages += 1
        rows += sum(len(page[stage]) for stage in ("templates", "cells", "facilities", "tasks"))
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    full_s = time.perf_counter() - started
    for _ in range(5):  # warm
        cursor = _sync(client, headers, cursor)["cursor"]
    timings, statements = [], []
    with app.app_context():
        engine = db.engine
    executed = []
    event.listen(engine, "before_cursor_execute", lambda *_: executed.append(1))
    for _ in range(EMPTY_RUNS):
        before = len(executed)
        began = time.perf_counter()
        page = _sync(client, headers, cursor)
        timings.append((time.perf_counter() - began) * 1000)
        statements.append(len(executed) - before)
        cursor = page["cursor"]
    with app.app_context():
        db.session.execute(text("""UPDATE facilities SET name = name WHERE id IN (
            SELECT f.id FROM facilities f JOIN assignments a ON a.cell_id = f.cell_id
              JOIN users u ON u.id = a.inspector_id
             WHERE u.username = :name AND a.valid_to IS NULL LIMIT 20)"""), {"name": INSPECTOR})
        db.session.commit()
    began = time.perf_counter()
    changed = _sync(client, headers, cursor)
    return {"full_sync_s": round(full_s, 3), "full_sync_pages": pages, "full_sync_rows": rows,
            "empty_sync_ms_median": round(statistics.median(timings), 2),
            "empty_sync_ms_p90": round(sorted(timings)[int(len(timings) * 0.9)], 2),
            "empty_sync_statements": max(statements),
            "changed_sync_ms": round((time.perf_counter() - began) * 1000, 2),
            "changed_sync_facilities": len(changed["facilities"])}


def main() -> int:
    figures = {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "command": ".venv/bin/python bench/sync_bench.py", "runs": []}
    for scale, dbname in SCALES.items():
        url = database.ensure_database(dbname)
        app = database.bench_app(url)
        sizes = prepare(app, scale)
        log(f"{scale}×: {sizes}")
        figures["runs"].append({**sizes, **measure(app)})
    one, ten = figures["runs"]
    figures["empty_sync_ratio_10x"] = round(ten["empty_sync_ms_median"] / one["empty_sync_ms_median"], 2)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(render(figures))
    return 0


def render(figures: dict) -> str:
    def row(label, *cells):
        return f"  {label:<34}" + "".join(f"{str(cell):>14}" for cell in cells)

    one, ten = figures["runs"]
    keys = [("cells", "cells in the database"), ("facilities", "facilities in the database"),
            ("tasks", "tasks in the database"), ("inspector_cells", "inspector's cells"),
            ("inspector_facilities", "inspector's facilities"), ("full_sync_s", "full sync (s)"),
            ("full_sync_pages", "full sync pages (500 rows)"), ("full_sync_rows", "full sync rows"),
            ("empty_sync_ms_median", "empty incremental, median (ms)"),
            ("empty_sync_ms_p90", "empty incremental, p90 (ms)"),
            ("empty_sync_statements", "empty incremental, SQL statements"),
            ("changed_sync_ms", "20 facilities changed (ms)")]
    lines = ["", "sync benchmark", row("", "1×", "10×")]
    lines += [row(label, one[key], ten[key]) for key, label in keys]
    lines += [row("empty incremental 10×/1×", figures["empty_sync_ratio_10x"]), "",
              f"  run:  {figures['command']}", f"  JSON: {RESULTS}"]
    return "\n".join(lines)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as error:
        log(f"ERROR: {error}")
        sys.exit(1)
