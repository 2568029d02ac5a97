"""The working-day calendar (工作日), counted in Asia/Shanghai.

A day is a working day when it is Monday to Friday and not a public holiday, or when it is
a make-up working day (调休上班, a weekend day worked). Holidays and make-up days come from
two layers:

1. the `chinese-calendar` package, which carries the State Council's yearly notices
   (国务院办公厅关于…部分节假日安排的通知) for the years it covers (`package_years()`;
   it is updated each year after the notice, usually in November or December);
2. the `calendar_days` table that administrators keep at `/calendar/days`: an entry for a
   date wins over the package (a correction, a local arrangement, or a year the installed
   package does not know yet).

A year the package does not cover and for which no administrator entered a holiday is
*unknown* (`year_source`): its days follow the weekly pattern alone, so 春节 would count
as working days. `GET /calendar/years` shows each year's source, and from 1 December the
worker tells the administrators when next year is still unknown.

Rule for "within N working days of an event" (DESIGN.md §6, §8), as Chinese law counts
periods: the day of the event is not counted, whatever the hour or the kind of day
(民法典 art. 201: 开始的当日不计入, 自下一日开始计算); working days exclude public holidays
(行政许可法 art. 82); the period ends at 24:00 of its last day (民法典 art. 203). So the
deadline is the last instant (23:59:59.999999, local) of the N-th working day after the
event's local date, and an act at time t is on time iff t <= deadline.

Example: a result notified Friday 2026-01-09 15:00 +08:00 with a 7-working-day window:
Mon 12 … Tue 20 are the working days 1 … 7, so the window closes at 2026-01-20T23:59:59.999999+08:00.

Pure functions take an `overrides` mapping {date: 'holiday' | 'workday'} and need no
database; the DB-backed wrappers merge the package's days with the table's rows for the
range they need, in one query per call (never cached across calls: admins change the table).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar
from sqlalchemy import func, select

from backend.calendar.models import CalendarDay
from backend.common import audit_trail as audit
from backend.common.actor import Actor
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


def local_today(moment: datetime) -> date:
    """`moment`'s date in Asia/Shanghai (the calendar's year turns at midnight there)."""
    return _local_date(moment)


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


# --- the statutory calendar from the package ---------------------------------------------

PACKAGE, ADMIN, UNKNOWN = "package", "admin", "unknown"


@dataclass(frozen=True)
class Entry:
    """A day that departs from the weekly pattern, from the package or the table."""
    day: date
    kind: str
    name: str
    source: str  # PACKAGE | ADMIN
    updated_by: object = None
    updated_at: datetime | None = None


@cache
def package_years() -> range:
    """The years whose State Council notice the installed `chinese-calendar` carries."""
    days = chinese_calendar.constants.holidays
    return range(min(days).year, max(days).year + 1)


def _holiday_zh(name: str) -> str:
    try:
        return chinese_calendar.Holiday(name).chinese
    except ValueError:
        return name


def package_entries(first: date, last: date) -> dict[date, Entry]:
    """The package's holidays (weekends inside a run included, as the notices print them)
    and make-up working days for first..last; nothing for years it does not cover."""
    years = package_years()
    entries = {}
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        if day.year not in years:
            continue
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        if name is None:
            continue  # an ordinary day
        label = _holiday_zh(name)
        entries[day] = (Entry(day, HOLIDAY, label, PACKAGE) if on_holiday
                        else Entry(day, WORKDAY, f"{label}调休", PACKAGE))
    return entries


# --- database-backed -------------------------------------------------------------------

def load_entries(first: date, last: date) -> dict[date, Entry]:
    """Package days for first..last with the table's rows on top (an admin entry wins)."""
    entries = package_entries(first, last)
    for row in db.session.scalars(select(CalendarDay).where(CalendarDay.day.between(first, last))):
        entries[row.day] = Entry(row.day, row.kind, row.name, ADMIN, row.updated_by, row.updated_at)
    return entries


def load_overrides(first: date, last: date) -> dict[date, str]:
    """{day: kind} for first..last (inclusive): the package's, then the table's, in one query."""
    return {day: entry.kind for day, entry in load_entries(first, last).items()}


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
    if not actor.is_admin:
        raise Forbidden("Only administrators maintain the working-day calendar.")


def list_days(year: int) -> list[Entry]:
    """The year's holidays and make-up working days, package and admin entries merged (an
    admin entry replaces the package's for its day), in date order (any signed-in user)."""
    entries = load_entries(date(year, 1, 1), date(year, 12, 31))
    return [entries[day] for day in sorted(entries)]


@dataclass(frozen=True)
class YearSource:
    year: int
    source: str  # PACKAGE | ADMIN | UNKNOWN
    package_days: int
    admin_days: int

    @property
    def known(self) -> bool:
        return self.source != UNKNOWN


def year_sources(first: int, last: int) -> list[YearSource]:
    """Where each year's holidays come from: the package when it covers the year; else
    `admin` when an administrator entered at least one holiday in it; else `unknown` (the
    weekly pattern alone decides, so statutory holidays would count as working days)."""
    rows = db.session.execute(
        select(func.extract("year", CalendarDay.day).label("year"), CalendarDay.kind, func.count())
        .where(CalendarDay.day.between(date(first, 1, 1), date(last, 12, 31)))
        .group_by("year", CalendarDay.kind)).all()
    admin, admin_holidays = {}, set()
    for year, kind, count in rows:
        admin[int(year)] = admin.get(int(year), 0) + count
        if kind == HOLIDAY:
            admin_holidays.add(int(year))
    answer = []
    for year in range(first, last + 1):
        covered = year in package_years()
        package_days = len(package_entries(date(year, 1, 1), date(year, 12, 31))) if covered else 0
        source = PACKAGE if covered else ADMIN if year in admin_holidays else UNKNOWN
        answer.append(YearSource(year, source, package_days, admin.get(year, 0)))
    return answer


def year_source(year: int) -> YearSource:
    return year_sources(year, year)[0]


def set_day(actor: Actor, day: date, *, kind: str, name: str) -> CalendarDay:
    """Mark `day` as a holiday or a make-up working day (admins; audited; idempotent).

    A make-up working day on a weekday is refused unless the package makes that day a
    holiday (the admin corrects the package): otherwise weekdays already are working days,
    so the entry would change nothing and most likely names the wrong date. A holiday on a
    weekend is accepted: the State Council's notices give whole runs (e.g. 10月1日至7日),
    entering them as printed keeps the table easy to check, and it changes no count.
    """
    _require_admin(actor)
    package_day = package_entries(day, day).get(day)
    if kind == WORKDAY and not is_weekend(day) and not (package_day and package_day.kind == HOLIDAY):
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
