"""Benchmark of a recall's initiation at scale: `make bench-recall` (= .venv/bin/python bench/recall_bench.py).

On `foodgrid_bench` with the synthetic trace chain (bench/trace_bench.py loads it): the hub
lot reaches 1,300+ outlets. A recall of it is proposed and initiated through the service
(the same call `POST /recalls/{id}/transitions {"action": "initiate"}` makes), which walks
the forward trace and writes a scope row and a verification task per facility; the
transaction is then rolled back so every run starts equal. Printed: the facilities in
scope, the initiation time (median of 5), the trace query alone, and their ratio.
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

from sqlalchemy import func, select  # noqa: E402

from bench import database  # noqa: E402
from bench.trace_bench import prepare_chain  # noqa: E402

RUNS = 5
RESULTS = REPO / "bench" / "results" / "recall-latest.json"


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def main() -> int:
    from backend.auth.models import User
    from backend.common.actor import Actor
    from backend.extensions import db
    from backend.recalls.models import RecallFacility
    from backend.recalls.service import create_recall, transition
    from backend.traceability.models import Lot
    from backend.traceability.trace import walk

    url = database.ensure_database()
    app = database.bench_app(url)
    database.prepare(app, log)
    hub, _, _ = prepare_chain(app)
    trace_ms, initiate_ms, scope = [], [], 0
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == database.BENCH_USER))
        actor = Actor(id=admin.id, username=admin.username, role="admin", region_code=admin.region_code)
        producer = db.session.scalar(select(Lot.facility_id).where(Lot.id == hub))
        for _ in range(RUNS + 1):  # the first run warms caches and is not counted
            began = time.perf_counter()
            walk(hub, "forward", app.config["TRACE_MAX_DEPTH"], app.config["TRACE_MAX_NODES"])
            trace_ms.append((time.perf_counter() - began) * 1000)
            recall = create_recall(actor, producer_facility_id=producer, lot_ids=[hub], reason="benchmark")
            began = time.perf_counter()
            transition(actor, recall, "initiate", level=1, kind="ordered", notice="benchmark")
            db.session.flush()
            initiate_ms.append((time.perf_counter() - began) * 1000)
            scope = db.session.scalar(select(func.count()).select_from(RecallFacility)
                                      .where(RecallFacility.recall_id == recall.id))
            db.session.rollback()
    trace, initiate = statistics.median(trace_ms[1:]), statistics.median(initiate_ms[1:])
    figures = {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "command": ".venv/bin/python bench/recall_bench.py", "hub_lot_id": str(hub),
               "facilities_in_scope": scope, "trace_ms_median": round(trace, 1),
               "initiate_ms_median": round(initiate, 1), "ratio_to_trace": round(initiate / trace, 2)}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print("\n".join(["", "recall initiation benchmark (rolled back after each run)",
                     f"  facilities in scope            {scope:>10}",
                     f"  forward trace alone, median    {trace:>10.1f} ms",
                     f"  initiate (trace + scope rows + tasks), median {initiate:>8.1f} ms",
                     f"  initiate / trace               {initiate / trace:>10.2f}",
                     f"  JSON: {RESULTS}"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
