"""The recall state machine and deadlines (DESIGN.md §8, 食品召回管理办法 2015).

    proposed ─initiate→ initiated ─start→ in_progress ─complete→ completed ─close→ closed
        └─reject→ rejected          (cancel: administrators, from any open state)

Who may act: a supervisor of the recall's region initiates, rejects, completes and
closes; the producer's own enterprise user (or a supervisor) starts and completes;
only administrators cancel. Level 1 / 2 / 3: start and notify within 24 / 48 / 72 hours,
complete within 10 / 20 / 30 working days (Asia/Shanghai calendar).
"""
from __future__ import annotations

from datetime import datetime

from backend.common.workdays import add_hours, add_working_days

START_HOURS = {1: 24, 2: 48, 3: 72}
COMPLETE_WORKING_DAYS = {1: 10, 2: 20, 3: 30}
OPEN = ("proposed", "initiated", "in_progress", "completed")
ACTIVE = ("initiated", "in_progress")

# action -> (from states, to state, roles allowed; "producer" = the producer's enterprise user)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    "initiate": (("proposed",), "initiated", ("supervisor", "admin")),
    "reject": (("proposed",), "rejected", ("supervisor", "admin")),
    "start": (("initiated",), "in_progress", ("producer", "supervisor", "admin")),
    "complete": (("in_progress",), "completed", ("producer", "supervisor", "admin")),
    "close": (("completed",), "closed", ("supervisor", "admin")),
    "cancel": (OPEN, "cancelled", ("admin",)),
}


def deadlines(level: int, initiated_at: datetime) -> tuple[datetime, datetime]:
    """(start and notify by, complete by) for a level, from the moment of initiation."""
    return (add_hours(initiated_at, START_HOURS[level]),
            add_working_days(initiated_at, COMPLETE_WORKING_DAYS[level]))


def allowed_actions(status: str, roles: set[str]) -> list[str]:
    return [action for action, (sources, _, who) in TRANSITIONS.items()
            if status in sources and roles & set(who)]
