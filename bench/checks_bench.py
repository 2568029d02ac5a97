"""Benchmark of check uploads: `make bench-checks` (= .venv/bin/python bench/checks_bench.py).

`POST /api/v1/checks` (auth, validation, scoring, geofence, the INSERT, audit row, commit)
against the floor `POST /bench/insert-floor` (the same JSON stored with one INSERT on a
psycopg pool), both under the project's gunicorn settings (2 gthread workers), each fed
by wrk with a fresh check id per request (bench/checks.lua) for 30 s after a warm-up.
Target: the API keeps at least 40 % of the floor's throughput (PASS/FAIL, not an error).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[0] = str(REPO)

from geoalchemy2.shape import to_shape  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from bench import database, loadgen, server  # noqa: E402

TARGET_RATIO = 0.40
TEMPLATE = "bench-routine"
INSPECTOR = "bench-inspector"
RESULTS = REPO / "bench" / "results" / "checks-latest.json"
FLOOR_TABLE = """CREATE TABLE IF NOT EXISTS bench_floor_checks (
    id uuid PRIMARY KEY, body jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())"""


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def prepare_field(app) -> list[tuple[str, float, float]]:
    """The bench inspector leads the busiest cell; a published checklist for every kind."""
    from backend.auth import users
    from backend.auth.models import User
    from backend.common.actor import Actor
    from backend.extensions import db
    from backend.facilities.models import KINDS, Facility
    from backend.inspections.models import ChecklistTemplate
    from backend.inspections.templates import create_draft, publish
    from backend.regions.assignments import Move, change_assignment
    from backend.regions.models import Assignment

    system = Actor.system()
    with app.app_context():
        db.session.execute(text(FLOOR_TABLE))
        inspector = db.session.scalar(select(User).where(User.username == INSPECTOR)) or users.create_user(
            system, username=INSPECTOR, display_name="Bench inspector", role="inspector", region_code="130502",
            password=database.BENCH_PASSWORD)
        cell_id = db.session.scalar(select(Facility.cell_id).where(Facility.cell_id.is_not(None),
                                                                   Facility.region_code == "130502")
                                    .group_by(Facility.cell_id).order_by(func.count().desc()).limit(1))
        lead = db.session.scalar(select(Assignment.inspector_id).where(
            Assignment.cell_id == cell_id, Assignment.role == "lead", Assignment.valid_to.is_(None)))
        if lead != inspector.id:
            change_assignment(system, Move(cell_id, "set_lead", inspector.id, "benchmark"))
        if not db.session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.code == TEMPLATE)):
            items = [{"code": f"I{n}", "text_zh": f"检查项{n}", "text_en": f"Item {n}", "key_item": n <= 2}
                     for n in range(1, 11)]
            publish(system, create_draft(system, code=TEMPLATE, title_zh="基准检查", title_en="Bench check",
                                         facility_kinds=list(KINDS), items=items))
        facilities = db.session.scalars(select(Facility).where(Facility.cell_id == cell_id).limit(50)).all()
        places = [(str(f.id), to_shape(f.location).x, to_shape(f.location).y) for f in facilities]
        db.session.commit()
    return places


def write_data(places: list[tuple[str, float, float]], directory: Path) -> Path:
    path = directory / "checks-data.lua"
    rows = ",\n".join(f'  {{"{fid}", "{lon:.7f}", "{lat:.7f}"}}' for fid, lon, lat in places)
    path.write_text(f'return {{ template = "{TEMPLATE}", facilities = {{\n{rows}\n}} }}\n')
    return path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds measured per endpoint")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    url = database.ensure_database()
    app = database.bench_app(url)
    database.prepare(app, log)
    places = prepare_field(app)
    log(f"{len(places)} facilities in the bench inspector's cell")
    wrk = loadgen.ensure_wrk()
    load = loadgen.Load(1, args.connections, args.duration, args.warmup)
    with tempfile.TemporaryDirectory(prefix="foodgrid-bench-") as workdir:
        data = write_data(places, Path(workdir))
        with server.running_gunicorn(url, Path(workdir) / "gunicorn.log", workers=args.workers,
                                     threads=args.threads) as served:
            log(f"floor endpoint for {load.warmup_s}+{load.duration_s} s")
            floor = loadgen.run(wrk, served.base_url, "/bench/insert-floor", data, load, script=loadgen.CHECKS_SCRIPT)
            token = server.login(served.base_url, INSPECTOR, database.BENCH_PASSWORD)
            log(f"API endpoint for {load.warmup_s}+{load.duration_s} s")
            api = loadgen.run(wrk, served.base_url, "/api/v1/checks", data, load, token=token,
                              script=loadgen.CHECKS_SCRIPT)
            command = " ".join(served.command)
    ratio = api.requests_per_s / floor.requests_per_s if floor.requests_per_s else 0.0
    figures = {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "bench/checks_bench.py", *argv]),
        "floor": asdict(floor), "api": asdict(api), "ratio": round(ratio, 3), "target_ratio": TARGET_RATIO,
        "verdict": "PASS" if ratio >= TARGET_RATIO else "FAIL", "server": command,
        "bench_seconds": round(time.perf_counter() - started, 1),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(render(figures))
    failed = floor.failures + api.failures
    if failed:
        log(f"ERROR: {failed} failed requests (non-2xx or socket errors)")
        return 1
    return 0


def render(figures: dict) -> str:
    floor, api = figures["floor"], figures["api"]

    def row(label, *cells):
        return f"  {label:<24}" + "".join(f"{str(cell):>14}" for cell in cells)

    return "\n".join([
        "", "check upload benchmark",
        row("", "floor", "API", "API/floor"),
        row("throughput (req/s)", f"{floor['requests_per_s']:.0f}", f"{api['requests_per_s']:.0f}",
            f"{figures['ratio']:.2f}"),
        row("latency p50 (ms)", floor["p50_ms"], api["p50_ms"]),
        row("latency p99 (ms)", floor["p99_ms"], api["p99_ms"]),
        row("requests / failed", f"{floor['requests']}/{floor['non_2xx']}", f"{api['requests']}/{api['non_2xx']}"),
        row("verdict", f"{figures['verdict']} (target API/floor ≥ {figures['target_ratio']:.2f})"),
        "", f"  server: {figures['server']}", f"  floor:  {floor['command']}", f"  API:    {api['command']}",
        f"  run:    {figures['command']}", f"  JSON:   {RESULTS}",
    ])


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (loadgen.WrkError, RuntimeError) as error:
        log(f"ERROR: {error}")
        sys.exit(1)
