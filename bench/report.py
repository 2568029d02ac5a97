"""The figures of one run: a small table on the terminal and the same as JSON."""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from bench.database import Sizes
from bench.loadgen import WrkResult
from bench.recompute import Recompute
from bench.sql_checks import RawLatency

TARGET_RATIO = 0.60  # the API should keep at least 60 % of the bare endpoint's throughput
RESULTS = Path(__file__).resolve().parent / "results" / "locate-latest.json"


def build(*, bare: WrkResult, api: WrkResult, raw: RawLatency, recompute: Recompute, sizes: Sizes,
          plan_line: str, server: dict, load: dict, loaded: dict | None, command: str) -> dict:
    ratio = api.requests_per_s / bare.requests_per_s if bare.requests_per_s else 0.0
    return {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "throughput": {"bare_rps": bare.requests_per_s, "api_rps": api.requests_per_s,
                       "ratio": round(ratio, 3), "target_ratio": TARGET_RATIO,
                       "verdict": "PASS" if ratio >= TARGET_RATIO else "FAIL"},
        "bare": asdict(bare),
        "api": asdict(api),
        "raw_sql": asdict(raw),
        "plan": plan_line,
        "recompute": asdict(recompute),
        "data": asdict(sizes),
        "synthetic_load": loaded,
        "server": server,
        "load": load,
    }


def _failed(result: dict) -> int:
    """Non-2xx answers plus socket errors (connect, read, write, timeout)."""
    return result["non_2xx"] + sum(result["socket_errors"].values())


def _row(label: str, *cells: object) -> str:
    return f"  {label:<28}" + "".join(f"{str(cell):>14}" for cell in cells)


def render(figures: dict) -> str:
    bare, api, raw = figures["bare"], figures["api"], figures["raw_sql"]
    put, rec, data = figures["throughput"], figures["recompute"], figures["data"]
    lines = [
        "",
        "locate benchmark",
        _row("", "bare", "API", "API/bare"),
        _row("throughput (req/s)", f"{bare['requests_per_s']:.0f}", f"{api['requests_per_s']:.0f}",
             f"{put['ratio']:.2f}"),
        _row("latency p50 (ms)", bare["p50_ms"], api["p50_ms"]),
        _row("latency p99 (ms)", bare["p99_ms"], api["p99_ms"]),
        _row("requests / failed", f"{bare['requests']}/{_failed(bare)}", f"{api['requests']}/{_failed(api)}"),
        _row("verdict", f"{put['verdict']} (target API/bare ≥ {put['target_ratio']:.2f})"),
        "",
        _row("raw SQL, one connection", "p50 ms", "p99 ms", "queries"),
        _row("", raw["p50_ms"], raw["p99_ms"], raw["queries"]),
        f"  plan: {figures['plan']}",
        "",
        _row("recompute (rolled back)", "seconds"),
        _row(f"redraw {rec['cells_redrawn']} cells, services", rec["total_s"]),
        _row(f"refresh_facility_cells ×{rec['cells_redrawn'] * 2} ids", rec["refresh_all_s"]),
        _row("refresh_facility_cells ×1 id", rec["refresh_one_s"]),
        _row("facilities affected/moved", f"{rec['facilities_affected']}/{rec['facilities_moved']}"),
        "",
        _row("data", "active cells", "facilities", "placed"),
        _row("", data["active_cells"], data["facilities"], data["placed_facilities"]),
        _row("table size (MB)", data["cells_mb"], data["facilities_mb"]),
    ]
    if figures["synthetic_load"]:  # only on the run that loaded the data
        lines.append(_row("synthetic load (s)", figures["synthetic_load"]["seconds"]))
    lines += ["",
              f"  server: {figures['server']['command']} (workers={figures['server']['workers']}, "
              f"threads={figures['server']['threads']})",
              f"  bare:   {bare['command']}",
              f"  API:    {api['command']}",
              f"  run:    {figures['command']}",
              f"  JSON:   {RESULTS}"]
    return "\n".join(lines)


def save(figures: dict) -> Path:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n")
    return RESULTS
