"""The working-day calendar (工作日), counted in Asia/Shanghai.

A day is a working day when it is Monday to Friday and not a holiday in `calendar_days`,
or when the table marks it as a make-up working day (调休上班, always a weekend day).

Rule for "within N working days of an event" (DESIGN.md §6, §8), as Chinese law counts
periods: the day of the event is not counted, whatever the hour or the kind of day
(民法典 art. 201: 开始的当日不计入, 自下一日开始计算); working days exclude public holidays
(行政许可法 art. 82); the period ends at 24:00 of its last day (民法典 art. 203). So the
deadline is the last instant (23:59:59.999999, local) of the N-th working day after the
event's local date, and an act at time t is on time iff t <= deadline.

Example: a result notified Friday 2026-01-09 15:00 +08:00 with a 7-working-day window:
Mon 12 … Tue 20 are the working days 1 … 7, so the window closes at 2026-01-20T23:59:59.999999+08:00.

Pure functions take an `overrides` mapping {date: 'holiday' | 'workday'} and need no
database; the DB-backed wrappers load the rows for the range they need in one query per
call (never cached across calls: admins change the table).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from backend.audit import service as audit
from backend.auth.actor import Actor
from backend.common.calendar_models import CalendarDay
from backend.common.domain_errors import Forbidden, RuleViolation
from backend.extensions import db

LOCAL = ZoneInfo("Asia/Shanghai")
HOLIDAY, WORKDAY = "holiday", "workday"
END_OF_DAY = time(23, 59, 59, 999999)

Overrides = Mapping[date, str]


def _local_date(moment: datetime) -> date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: give a timezone-aware time")
    return moment.astimezone(LOCAL).date()


def end_of_local_day(day: date) -> datetime:
    """The last instant of `day` in Asia/Shanghai, in UTC."""
    return datetime.combine(day, END_OF_DAY, tzinfo=LOCAL).astimezone(timezone.utc)


def is_weekend(day: date) -> bool:
    return day.weekday() >= 5


def is_working_day(day: date, overrides: Overrides) -> bool:
    kind = overrides.get(day)
    if kind == HOLIDAY:
        return False
    if kind == WORKDAY:
        return True
    return not is_weekend(day)


def nth_working_day_after(day: date, days: int, overrides: Overrides) -> date:
    """The `days`-th working day strictly after `day` (`day` itself when days == 0)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    current, counted = day, 0
    while counted < days:
        current += timedelta(days=1)
        counted += is_working_day(current, overrides)
    return current


def compute_deadline(start: datetime, days: int, overrides: Overrides) -> datetime:
    """End (23:59:59.999999 local) of the `days`-th working day after `start`'s local date,
    in UTC. With days == 0 it is the end of the start's own local day (当日)."""
    return end_of_local_day(nth_working_day_after(_local_date(start), days, overrides))


def count_working_days(start: datetime, end: datetime, overrides: Overrides) -> int:
    """Working days d with start's local date < d <= end's local date (negative when end
    is earlier), so that count_working_days(s, compute_deadline(s, n)) == n."""
    first, last = _local_date(start), _local_date(end)
    if last < first:
        return -count_working_days(end, start, overrides)
    return sum(is_working_day(first + timedelta(days=i), overrides) for i in range(1, (last - first).days + 1))


def add_hours(start: datetime, hours: float) -> datetime:
    """Clock hours, running through nights, weekends and holidays alike: the 4-hour window
    to ask for a re-test of a rapid test (食品安全法 art. 88) and the recall's 24/48/72 hours."""
    _local_date(start)
    return start + timedelta(hours=hours)


# --- database-backed -------------------------------------------------------------------

def load_overrides(first: date, last: date) -> dict[date, str]:
    """The table's rows for first..last (inclusive), in one query."""
    rows = db.session.execute(select(CalendarDay.day, CalendarDay.kind)
                              .where(CalendarDay.day.between(first, last)))
    return {day: kind for day, kind in rows}


def _span(days: int) -> int:
    # Calendar days surely holding `days` working days: 7/5 of them plus the longest
    # holiday runs (春节 and 国庆 are 8-9 days, a few more per year).
    return days * 7 // 5 + 20 * (days // 200 + 1)


def add_working_days(start: datetime, days: int) -> datetime:
    """The deadline `days` working days after `start` (see the module's rule), in UTC."""
    first, span = _local_date(start), _span(days)
    while True:
        overrides = load_overrides(first, first + timedelta(days=span))
        day = nth_working_day_after(first, days, overrides)
        if day <= first + timedelta(days=span):
            return end_of_local_day(day)
        span *= 2  # more holidays than any real calendar has: load a wider range


def working_days_between(start: datetime, end: datetime) -> int:
    """Working days after start's local date up to and including end's (negative if earlier)."""
    first, last = sorted((_local_date(start), _local_date(end)))
    return count_working_days(start, end, load_overrides(first, last))


# --- administration --------------------------------------------------------------------

def _snapshot(row: CalendarDay | None) -> dict | None:
    return None if row is None else {"day": row.day.isoformat(), "kind": row.kind, "name": row.name}


def _require_admin(actor: Actor) -> None:
    if not (actor.is_system or actor.role == "admin"):
        raise Forbidden("Only administrators maintain the working-day calendar.")


def list_days(year: int) -> list[CalendarDay]:
    """The year's holidays and make-up working days, in date order (any signed-in user)."""
    return list(db.session.scalars(select(CalendarDay).order_by(CalendarDay.day)
                                   .where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31)))))


def set_day(actor: Actor, day: date, *, kind: str, name: str) -> CalendarDay:
    """Mark `day` as a holiday or a make-up working day (admins; audited; idempotent).

    A make-up working day on a weekday is refused: weekdays already are working days, so
    the entry would change nothing and most likely names the wrong date. A holiday on a
    weekend is accepted: the State Council's notices give whole runs (e.g. 10月1日至7日),
    entering them as printed keeps the table easy to check, and it changes no count.
    """
    _require_admin(actor)
    if kind == WORKDAY and not is_weekend(day):
        raise RuleViolation(f"{day.isoformat()} is a weekday, already a working day; "
                            "make-up working days (调休) fall on weekends.", code="workday_on_weekday")
    row = db.session.get(CalendarDay, day)
    before = _snapshot(row)
    if row is not None and (row.kind, row.name) == (kind, name):
        return row
    row = row or CalendarDay(day=day)
    row.kind, row.name, row.updated_by = kind, name, actor.id
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "calendar.set", "calendar_day", day.isoformat(), before=before, after=_snapshot(row))
    return row


def clear_day(actor: Actor, day: date) -> None:
    """Remove the day's entry, so it follows the weekly pattern again (admins; audited).
    Idempotent: a day without an entry already follows the pattern, and nothing is logged."""
    _require_admin(actor)
    row = db.session.get(CalendarDay, day)
    if row is None:
        return
    before = _snapshot(row)
    db.session.delete(row)
    db.session.flush()
    audit.record(actor, "calendar.delete", "calendar_day", day.isoformat(), before=before)
