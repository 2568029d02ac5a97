"""The recall state machine and deadlines (DESIGN.md §8, 食品召回管理办法 2015).

    proposed ─initiate→ initiated ─start→ in_progress ─complete→ completed ─close→ closed
        └─reject→ rejected          (cancel: administrators, from any open state)

Who may act: a supervisor of the recall's region initiates, rejects, completes and
closes; the producer's own enterprise user (or a supervisor) starts and completes;
only administrators cancel. Level 1 / 2 / 3: start and notify within 24 / 48 / 72 hours,
complete within 10 / 20 / 30 working days (Asia/Shanghai calendar) — the defaults of
RECALL_START_HOURS and RECALL_COMPLETE_WORKING_DAYS, passed in by the service.
"Within N" includes the deadline itself: a recall is overdue only after it.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from backend.calendar.service import add_hours, add_working_days

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


def deadlines(level: int, initiated_at: datetime, *, start_hours: Mapping[int, int],
              complete_working_days: Mapping[int, int]) -> tuple[datetime, datetime]:
    """(start and notify by, complete by) for a level, from the moment of initiation:
    `start_hours[level]` clock hours, and the end of the `complete_working_days[level]`-th
    working day after it (食品召回管理办法 2015 arts. 13, 14)."""
    return (add_hours(initiated_at, start_hours[level]),
            add_working_days(initiated_at, complete_working_days[level]))


def allowed_actions(status: str, roles: set[str]) -> list[str]:
    return [action for action, (sources, _, who) in TRANSITIONS.items()
            if status in sources and roles & set(who)]
