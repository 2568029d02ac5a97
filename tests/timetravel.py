"""Running the suite on another day: `make test PYTEST_ARGS=--today=2027-02-10` (or the
environment variable FOODGRID_TEST_TODAY=2027-02-10) moves the whole test process's clock
to that day, 10:00 Asia/Shanghai (or to a full RFC 3339 time), and lets it tick.

time-machine patches datetime.now, date.today and time.time at C level, so `clock.now()`,
tokens, rate limits and everything else see the chosen day. PostgreSQL's now() is not
moved: nothing the tests check is decided by the database's clock (the only now() left
in SQL are column defaults of sync tombstones and recalls.updated_at, written but never
compared). A `flask` subprocess (tests/test_worker_process.py) is started on the same
faked time with `flask_argv`.
"""
from __future__ import annotations

import os
import sys
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import time_machine

ENV = "FOODGRID_TEST_TODAY"
LOCAL = ZoneInfo("Asia/Shanghai")
_session: time_machine.travel | None = None


def parse_day(value: str) -> datetime:
    """'2027-02-10' → 2027-02-10 10:00 Asia/Shanghai; a full time with an offset as given."""
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), time(10), tzinfo=LOCAL)
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r}: give a date (YYYY-MM-DD) or a time with its offset")
    return moment


def start_session(value: str | None) -> datetime | None:
    """Move the process's clock to `value` (ticking) for the rest of the run."""
    global _session
    if not value:
        return None
    destination = parse_day(value)
    _session = time_machine.travel(destination, tick=True)
    _session.start()
    return destination


def travelling() -> bool:
    return _session is not None


def flask_argv(*args: str) -> list[str]:
    """The command line of `flask ARGS…`, on the same (possibly faked) time as this process."""
    flask = [os.path.join(os.path.dirname(sys.executable), "flask"), *args]
    if not travelling():
        return flask
    moment = datetime.now(timezone.utc).isoformat()
    code = ("import sys, time_machine; time_machine.travel(sys.argv[1], tick=True).start(); "
            "from flask.cli import main; sys.argv = ['flask', *sys.argv[2:]]; main()")
    return [sys.executable, "-c", code, moment, *args]
