"""Benchmark of locating a point's grid cell: `make bench` (= .venv/bin/python bench/run.py).

In one run: prepare the bench database (10k cells, 100k facilities, loaded once), check
the locate query's plan, time the SQL alone, load-test the bare endpoint and the real API
with wrk under the project's gunicorn settings, time a 100-cell redraw (rolled back), and
print a table (also written to bench/results/locate-latest.json).

Exit status: non-zero for errors (no GiST index in the plan, failed requests, a crash);
missing the API/bare throughput target is reported as FAIL but is not an error.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[0] = str(REPO)  # import bench.* and backend.* from the checkout, not from bench/

from bench import database, loadgen, recompute, report, server, sql_checks  # noqa: E402

BARE_PATH = "/bench/locate-bare"
API_PATH = "/api/v1/cells/locate"


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # 2 cores run wrk, gunicorn and PostgreSQL together: one wrk thread (~10 % of a core)
    # leaves the most CPU to the server, and two measured no steadier; 16 connections keep
    # 2 workers × 8 threads (gunicorn.conf.py's defaults) busy without long queues.
    parser.add_argument("--duration", type=int, default=15, help="seconds measured per endpoint")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per endpoint")
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker")
    return parser.parse_args(argv)


def load_test(url: str, points: list[tuple[float, float]], args: argparse.Namespace,
              workdir: Path) -> tuple[loadgen.WrkResult, loadgen.WrkResult, dict]:
    """Both endpoints, same points, same server, one after the other."""
    wrk = loadgen.ensure_wrk()
    points_file = loadgen.write_points(points, workdir)
    load = loadgen.Load(args.wrk_threads, args.connections, args.duration, args.warmup)
    with server.running_gunicorn(url, workdir / "gunicorn.log", workers=args.workers,
                                 threads=args.threads) as served:
        log(f"gunicorn ready at {served.base_url}; bare endpoint for {load.warmup_s}+{load.duration_s} s")
        bare = loadgen.run(wrk, served.base_url, BARE_PATH, points_file, load)
        token = server.login(served.base_url, database.BENCH_USER, database.BENCH_PASSWORD)
        log(f"API endpoint for {load.warmup_s}+{load.duration_s} s")
        api = loadgen.run(wrk, served.base_url, API_PATH, points_file, load, token=token)
        settings = {"command": " ".join(served.command), "workers": args.workers, "threads": args.threads}
    return bare, api, settings


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    url = database.ensure_database()
    app = database.bench_app(url)
    sizes, loaded = database.prepare(app, log)

    points = sql_checks.sample_points(url)
    plan_line = sql_checks.check_plan(url, points[0])
    log(f"plan uses the GiST index: {plan_line}")
    raw = sql_checks.raw_latency(url, points)
    log(f"raw SQL p50 {raw.p50_ms} ms, p99 {raw.p99_ms} ms")

    with tempfile.TemporaryDirectory(prefix="foodgrid-bench-") as workdir:
        bare, api, settings = load_test(url, points, args, Path(workdir))

    log(f"redrawing {recompute.REDRAWN_CELLS} cells (rolled back)")
    redraw = recompute.measure_recompute(app)

    figures = report.build(bare=bare, api=api, raw=raw, recompute=redraw, sizes=sizes, plan_line=plan_line,
                           server=settings, load=asdict(loadgen.Load(args.wrk_threads, args.connections,
                                                                     args.duration, args.warmup)),
                           loaded=loaded, command=" ".join([".venv/bin/python", "bench/run.py", *argv]))
    figures["bench_seconds"] = round(time.perf_counter() - started, 1)
    report.save(figures)
    print(report.render(figures))
    failures = {name: result.failures for name, result in (("bare", bare), ("API", api)) if result.failures}
    if failures:
        log(f"ERROR: failed requests {failures} (non-2xx or socket errors); see the table")
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (sql_checks.PlanError, loadgen.WrkError, RuntimeError) as error:
        log(f"ERROR: {error}")
        sys.exit(1)
