"""Worker heartbeats: `flask worker` beats once per loop; /readyz reads the newest beat.

Times come from the database's clock (`clock_timestamp()`), so a worker and a web server
on machines whose clocks disagree still agree on a beat's age.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from backend.extensions import db
from backend.notifications.models import WorkerHeartbeat


@dataclass(frozen=True)
class Beat:
    name: str
    pid: int
    host: str
    beat_at: datetime
    age_s: float

    def as_dict(self) -> dict:
        return {"name": self.name, "pid": self.pid, "host": self.host, "beat_at": self.beat_at.isoformat(),
                "age_s": round(self.age_s, 1)}


def beat(name: str, started_at: datetime) -> None:
    """Record that worker `name` (this process) is alive, and commit."""
    values = {"pid": os.getpid(), "host": socket.gethostname()[:255], "started_at": started_at,
              "beat_at": func.clock_timestamp()}
    statement = insert(WorkerHeartbeat).values(name=name, **values)
    db.session.execute(statement.on_conflict_do_update(index_elements=[WorkerHeartbeat.name], set_=values))
    db.session.commit()


def latest() -> Beat | None:
    """The newest heartbeat of any worker (workers are interchangeable: SKIP LOCKED), or None."""
    age = func.extract("epoch", func.clock_timestamp() - WorkerHeartbeat.beat_at)
    row = db.session.execute(
        select(WorkerHeartbeat.name, WorkerHeartbeat.pid, WorkerHeartbeat.host, WorkerHeartbeat.beat_at,
               age.label("age_s")).order_by(WorkerHeartbeat.beat_at.desc()).limit(1)).first()
    if row is None:
        return None
    return Beat(row.name, row.pid, row.host, row.beat_at, float(row.age_s))
