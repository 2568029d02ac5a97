"""The locate query alone: its plan, its latency on one connection, and the points to ask about."""
from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass

import psycopg

from bench.locate_sql import LOCATE_SQL, libpq_url

SPATIAL_INDEX = "idx_cells_boundary"
POINT_COUNT = 1_000
RAW_QUERIES = 2_000


class PlanError(RuntimeError):
    """The locate query does not use the cells' GiST index: every request scans the table."""


@dataclass
class RawLatency:
    queries: int
    p50_ms: float
    p99_ms: float
    mean_ms: float


def sample_points(url: str, count: int = POINT_COUNT) -> list[tuple[float, float]]:
    """A point inside each of `count` active cells, the same cells on every run (md5 order)."""
    with psycopg.connect(libpq_url(url)) as connection:
        rows = connection.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(boundary) AS p FROM cells "
            "WHERE status = 'active' ORDER BY md5(code) LIMIT %s) AS picked", (count,)).fetchall()
    if len(rows) < count:
        raise RuntimeError(f"only {len(rows)} active cells to sample points from, wanted {count}")
    return [(round(lon, 7), round(lat, 7)) for lon, lat in rows]


def check_plan(url: str, point: tuple[float, float]) -> str:
    """The plan line that uses the GiST index; PlanError when the plan does not use it."""
    lon, lat = (float(value) for value in point)
    query = LOCATE_SQL.replace("%s", repr(lon), 1).replace("%s", repr(lat), 1)
    with psycopg.connect(libpq_url(url)) as connection:
        plan = [row[0] for row in connection.execute(f"EXPLAIN {query}")]
    uses_index = [line.strip() for line in plan if SPATIAL_INDEX in line]
    if not uses_index:
        raise PlanError(f"the locate query does not use {SPATIAL_INDEX}:\n  " + "\n  ".join(plan))
    return uses_index[0]


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (what wrk reports too)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def raw_latency(url: str, points: list[tuple[float, float]], queries: int = RAW_QUERIES,
                seed: int = 7) -> RawLatency:
    """The locate SQL `queries` times on one connection, random points from the list.

    The floor under both HTTP endpoints: a database round trip and the index probe.
    """
    rng = random.Random(seed)
    timings: list[float] = []
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        for _ in range(queries):
            lon, lat = rng.choice(points)
            start = time.perf_counter()
            row = connection.execute(LOCATE_SQL, (lon, lat)).fetchone()
            timings.append((time.perf_counter() - start) * 1000)
            if row is None:
                raise RuntimeError(f"no active cell covers sampled point ({lon}, {lat})")
    return RawLatency(queries, round(percentile(timings, 0.50), 3), round(percentile(timings, 0.99), 3),
                      round(statistics.fmean(timings), 3))
