"""Benchmark of the forward trace: `make bench-trace` (= .venv/bin/python bench/trace_bench.py).

On `foodgrid_bench` with the synthetic chain of seeds/trace_synthetic.py (200,000 lots,
1,000,000 events; loaded once, then reused), the hub lot's forward trace (≥ 1,000 facilities)
is timed three ways, each a median of sequential runs after a warm-up:

  API      GET /api/v1/lots/{hub}/trace?direction=forward&max_depth=20 over HTTP from gunicorn
           (gunicorn.conf.py settings), one request at a time, until the whole body is read;
  raw SQL  the same statement (backend.traceability.trace.TRACE_SQL["forward"]) on a plain
           psycopg connection, the JSON fetched as text (the database's work and the wire);
  ORM      a breadth-first walk written here only: one ORM query per (lot, facility) node for
           its edges, a Facility, Lot and TraceEvent object per node or edge, and one query per
           node for its recorded event lines (the answer's `records`) — the naive way the
           recursive query avoids. Same facilities, movements and records as the API.

Targets (PASS/FAIL, not errors): API/raw ≤ 2, ORM/API ≥ 20.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[0] = str(REPO)

import psycopg  # noqa: E402
from geoalchemy2.shape import to_shape  # noqa: E402
from psycopg.types.string import TextLoader  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.dialects import postgresql  # noqa: E402
from sqlalchemy.orm import lazyload  # noqa: E402

from bench import database, server  # noqa: E402
from bench.locate_sql import libpq_url  # noqa: E402

LOTS, EVENTS = 200_000, 1_000_000
MIN_FACILITIES = 1_000
TARGET_API_RAW, TARGET_ORM_API = 2.0, 20.0
RESULTS = REPO / "bench" / "results" / "trace-latest.json"
SIZED = ("lots", "trace_events", "trace_event_lots", "trace_edges", "holdings")


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def prepare_chain(app) -> tuple[uuid.UUID, dict, dict | None]:
    """Load the chain unless the lots are there; the hub lot, the table sizes, the load summary."""
    from backend.extensions import db
    from backend.traceability.models import Lot
    from seeds.trace_synthetic import HUB_CODE, load_trace_chain

    with app.app_context():
        loaded = None
        present = db.session.scalar(select(func.count()).select_from(Lot))
        if present < LOTS:
            log(f"loading the trace chain ({LOTS:,} lots, {EVENTS:,} events) into {database.DBNAME} (once)")
            loaded = load_trace_chain(LOTS, EVENTS)
            db.session.commit()
            log(f"loaded in {loaded['seconds']} s (build {loaded['build_s']} s, COPY {loaded['copy_s']} s)")
        else:
            log(f"reusing the trace chain: {present:,} lots")
        hub = db.session.scalar(select(Lot.id).where(Lot.lot_code == HUB_CODE))
        sizes = {table: {"rows": db.session.scalar(text(f"SELECT count(*) FROM {table}")),
                         "mb": round(float(db.session.scalar(text(
                             f"SELECT pg_total_relation_size('{table}') / 1048576.0"))), 1)}
                 for table in SIZED}
    return hub, sizes, loaded


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"runs": len(samples), "median_ms": round(statistics.median(ordered), 1),
            "p90_ms": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1),
            "min_ms": round(ordered[0], 1)}


def timed(call, runs: int, warmup: int) -> tuple[list[float], object]:
    answer = None
    for _ in range(warmup):
        answer = call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, answer


def measure_api(base_url: str, token: str, hub: uuid.UUID, depth: int, runs: int, warmup: int) -> dict:
    url = f"{base_url}/api/v1/lots/{hub}/trace?direction=forward&max_depth={depth}"

    def call() -> bytes:
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}",
                                                       "Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.read()

    samples, body = timed(call, runs, warmup)
    found = json.loads(body)
    return {**summary(samples), "bytes": len(body), "totals": found["totals"], "truncated": found["truncated"]}


def trace_statement() -> str:
    from backend.traceability.trace import TRACE_SQL
    return str(TRACE_SQL["forward"].compile(dialect=postgresql.psycopg.dialect()))


def measure_raw(url: str, hub: uuid.UUID, depth: int, runs: int, warmup: int) -> dict:
    from backend.config import load_config

    sql, params = trace_statement(), {"lot_id": hub, "max_depth": depth,
                                      "max_nodes": load_config()["TRACE_MAX_NODES"]}
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        connection.adapters.register_loader("json", TextLoader)  # the answer as the server sends it
        cursor = connection.cursor()
        samples, answer = timed(lambda: cursor.execute(sql, params).fetchone()[0], runs, warmup)
        parse, _ = timed(lambda: json.loads(answer), runs, 0)
        plan = [row[0] for row in cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)]
    found = json.loads(answer)
    return {**summary(samples), "bytes": len(answer), "json_parse_median_ms": summary(parse)["median_ms"],
            **{key: len(found[key]) for key in ("facilities", "events", "records")},
            "explain": [line for line in plan if line.startswith(("Planning Time", "Execution Time"))]
            + [line.strip() for line in plan if "Buffers" in line][:1]}


def orm_walk(lot_id: uuid.UUID, max_depth: int) -> dict:
    """The naive trace: a query per node for its edges, then an object per node and edge."""
    from backend.extensions import db
    from backend.facilities.models import Facility
    from backend.traceability.models import Holding, Lot, TraceEdge, TraceEvent, TraceEventLot

    session, clock = db.session, [time.perf_counter()]
    start = session.get(Lot, lot_id)
    depth = {(h.lot_id, h.facility_id): 0 for h in session.scalars(select(Holding).where(Holding.lot_id == lot_id))}
    depth.setdefault((start.id, start.facility_id), 0)
    frontier, edges = list(depth), []
    for level in range(1, max_depth + 1):
        found = []
        for node_lot, node_facility in frontier:
            for edge in session.scalars(select(TraceEdge).where(TraceEdge.from_lot_id == node_lot,
                                                                TraceEdge.from_facility_id == node_facility)):
                edges.append(edge)
                if (edge.to_lot_id, edge.to_facility_id) not in depth:
                    depth[(edge.to_lot_id, edge.to_facility_id)] = level
                    found.append((edge.to_lot_id, edge.to_facility_id))
        frontier = found
    clock.append(time.perf_counter())
    facilities, lots = {}, {}
    for (node_lot, node_facility), level in sorted(depth.items(), key=lambda item: item[1]):
        if node_facility not in facilities:
            f = session.get(Facility, node_facility)
            point = to_shape(f.location)
            facilities[node_facility] = {"id": f.id, "name": f.name, "kind": f.kind, "address": f.address,
                                         "region_code": f.region_code, "cell_id": f.cell_id, "gln": f.gln,
                                         "location": [point.x, point.y], "depth": level}
        if node_lot not in lots:
            lot = session.get(Lot, node_lot)  # with its product (joined)
            lots[node_lot] = {"id": lot.id, "lot_code": lot.lot_code, "product": lot.product.name,
                              "unit": lot.unit, "producer_id": lot.facility_id, "depth": level}
    unlined = [lazyload(TraceEvent.lines)]  # an event's own lines are not needed: not loaded (kinder baseline)
    events = []
    for edge in edges:
        event = session.get(TraceEvent, edge.event_pk, options=unlined)
        events.append({"event_id": event.event_id, "type": event.type, "occurred_at": event.occurred_at,
                       "from_lot_id": edge.from_lot_id, "from_facility_id": edge.from_facility_id,
                       "to_lot_id": edge.to_lot_id, "to_facility_id": edge.to_facility_id,
                       "quantity": edge.quantity, "unit": edge.unit, "flags": event.flags})
    clock.append(time.perf_counter())
    records = []
    for node_lot, node_facility in depth:  # the recorded lines of each node's lot at its place
        for line, event in session.execute(
                select(TraceEventLot, TraceEvent).join(TraceEvent, TraceEvent.id == TraceEventLot.event_pk)
                .where(TraceEventLot.lot_id == node_lot, TraceEvent.facility_id == node_facility).options(*unlined)):
            records.append({"event_id": event.event_id, "type": event.type, "occurred_at": event.occurred_at,
                            "facility_id": event.facility_id, "lot_id": line.lot_id, "role": line.role,
                            "quantity": line.quantity, "unit": line.unit})
    clock.append(time.perf_counter())
    phases = {name: (clock[n + 1] - clock[n]) * 1000 for n, name in enumerate(("walk", "objects", "records"))}
    return {"facilities": list(facilities.values()), "lots": list(lots.values()), "events": events,
            "records": records, "phase_ms": phases}


def measure_orm(app, hub: uuid.UUID, depth: int, runs: int) -> dict:
    from backend.extensions import db

    phases = []

    def call() -> dict:
        with app.app_context():
            try:
                found = orm_walk(hub, depth)
                phases.append(found["phase_ms"])
                return found
            finally:
                db.session.remove()  # a fresh identity map each run

    samples, found = timed(call, runs, 1)
    return {**summary(samples), **{key: len(found[key]) for key in ("facilities", "events", "records")},
            "phase_median_ms": {name: round(statistics.median(p[name] for p in phases[1:]), 1)
                                for name in phases[0]}}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs of the API and the raw SQL")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--orm-runs", type=int, default=3, help="timed runs of the per-hop ORM walk")
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    url = database.ensure_database()
    app = database.bench_app(url)
    database.prepare(app, log)
    hub, sizes, loaded = prepare_chain(app)
    log(f"raw SQL: {args.warmup}+{args.runs} runs")
    raw = measure_raw(url, hub, args.depth, args.runs, args.warmup)
    with tempfile.TemporaryDirectory(prefix="foodgrid-bench-") as workdir:
        with server.running_gunicorn(url, Path(workdir) / "gunicorn.log", workers=args.workers,
                                     threads=args.threads) as served:
            token = server.login(served.base_url, database.BENCH_USER, database.BENCH_PASSWORD)
            log(f"API: {args.warmup}+{args.runs} requests")
            api = measure_api(served.base_url, token, hub, args.depth, args.runs, args.warmup)
            command = " ".join(served.command)
    reached = api["totals"]["facilities_reached"]
    if reached < MIN_FACILITIES or api["truncated"]:
        raise RuntimeError(f"the hub's forward trace reaches {reached} facilities (truncated: {api['truncated']}); "
                           f"the benchmark needs ≥ {MIN_FACILITIES:,}, untruncated")
    log(f"per-hop ORM walk: 1+{args.orm_runs} runs (slow by design)")
    orm = measure_orm(app, hub, args.depth, args.orm_runs)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    api_raw, orm_api = api["median_ms"] / raw["median_ms"], orm["median_ms"] / api["median_ms"]
    figures = {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "bench/trace_bench.py", *argv]), "hub_lot_id": str(hub),
        "depth": args.depth, "sizes": sizes, "load": loaded or previous.get("load"), "api": api, "raw": raw,
        "orm": orm, "api_raw": round(api_raw, 2), "orm_api": round(orm_api, 1),
        "verdict_api_raw": "PASS" if api_raw <= TARGET_API_RAW else "FAIL",
        "verdict_orm_api": "PASS" if orm_api >= TARGET_ORM_API else "FAIL",
        "same_answer": all(raw[key] == orm[key] == api["totals"][key if key != "facilities" else "facilities_reached"]
                           for key in ("facilities", "events", "records")),
        "server": command, "bench_seconds": round(time.perf_counter() - started, 1),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(render(figures))
    return 0


def render(f: dict) -> str:
    api, raw, orm = f["api"], f["raw"], f["orm"]

    def row(label, *cells):
        return f"  {label:<30}" + "".join(f"{str(cell):>14}" for cell in cells)

    load = f["load"] or {}
    return "\n".join([
        "", f"forward trace benchmark (hub lot {f['hub_lot_id']}, max_depth {f['depth']})",
        "  data: " + ", ".join(f"{t} {s['rows']:,} ({s['mb']} MB)" for t, s in f["sizes"].items()),
        f"  load: {load.get('seconds', '?')} s (build {load.get('build_s', '?')} s, COPY+ANALYZE "
        f"{load.get('copy_s', '?')} s)",
        f"  reached: {api['totals']['facilities_reached']:,} facilities, {api['totals']['lots_reached']} lots, "
        f"{api['totals']['events']:,} movements, {api['totals']['records']:,} event lines (records)",
        row("", "median ms", "p90 ms", "runs"),
        row("API (HTTP, gunicorn)", api["median_ms"], api["p90_ms"], api["runs"]),
        row("raw SQL (psycopg)", raw["median_ms"], raw["p90_ms"], raw["runs"]),
        row("per-hop ORM walk", orm["median_ms"], orm["p90_ms"], orm["runs"]),
        row("  of which (median ms)", *(f"{name} {ms:.0f}" for name, ms in orm["phase_median_ms"].items())),
        row("API / raw SQL", f"{f['api_raw']:.2f}", f"  {f['verdict_api_raw']} (target ≤ {TARGET_API_RAW:g})"),
        row("ORM / API", f"{f['orm_api']:.1f}", f"  {f['verdict_orm_api']} (target ≥ {TARGET_ORM_API:g})"),
        f"  answer: API {api['bytes']:,} bytes, raw {raw['bytes']:,} bytes (json.loads {raw['json_parse_median_ms']}"
        f" ms); same facilities, movements and records in all three: {f['same_answer']}",
        "  EXPLAIN ANALYZE (raw): " + "; ".join(raw["explain"]),
        f"  server: {f['server']}", f"  run:    {f['command']}", f"  JSON:   {RESULTS}",
    ])


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except RuntimeError as error:
        log(f"ERROR: {error}")
        sys.exit(1)
