"""The PRC State Council's public-holiday schedules (国务院办公厅关于…部分节假日安排的通知)
for 2025 and 2026, as remembered without network access.

The working-day calendar now takes every year's notice from the `chinese-calendar`
package (backend/calendar/service.py), which covers 2004-2026 in the pinned version and
agrees with this list day for day (tests/test_workdays.py checks it). So `load_calendar`
enters only the years of SCHEDULE the installed package does not cover — none today. When a
year's notice is out before a package release carries it, an administrator enters it at
/calendar/days (or it is added here). Idempotent, through the service."""
from __future__ import annotations

from datetime import date, timedelta

from backend.calendar import service as workdays
from backend.common.actor import Actor

# name, first day off, last day off (inclusive, weekends included as printed), make-up working days
SCHEDULE = [
    # 2025: 国办发明电〔2024〕12号
    ("元旦", date(2025, 1, 1), date(2025, 1, 1), ()),
    ("春节", date(2025, 1, 28), date(2025, 2, 4), (date(2025, 1, 26), date(2025, 2, 8))),
    ("清明节", date(2025, 4, 4), date(2025, 4, 6), ()),
    ("劳动节", date(2025, 5, 1), date(2025, 5, 5), (date(2025, 4, 27),)),
    ("端午节", date(2025, 5, 31), date(2025, 6, 2), ()),
    ("国庆节、中秋节", date(2025, 10, 1), date(2025, 10, 8), (date(2025, 9, 28), date(2025, 10, 11))),
    # 2026: the notice of November 2025
    ("元旦", date(2026, 1, 1), date(2026, 1, 3), (date(2026, 1, 4),)),
    ("春节", date(2026, 2, 15), date(2026, 2, 23), (date(2026, 2, 14), date(2026, 2, 28))),
    ("清明节", date(2026, 4, 4), date(2026, 4, 6), ()),
    ("劳动节", date(2026, 5, 1), date(2026, 5, 5), (date(2026, 5, 9),)),
    ("端午节", date(2026, 6, 19), date(2026, 6, 21), ()),
    ("中秋节", date(2026, 9, 25), date(2026, 9, 27), ()),
    ("国庆节", date(2026, 10, 1), date(2026, 10, 7), (date(2026, 9, 20), date(2026, 10, 10))),
]


def calendar_entries() -> list[tuple[date, str, str]]:
    """(day, kind, name) for every seeded day."""
    entries = []
    for name, first, last, workdays_ in SCHEDULE:
        entries += [(first + timedelta(days=i), workdays.HOLIDAY, name) for i in range((last - first).days + 1)]
        entries += [(day, workdays.WORKDAY, f"{name}调休") for day in workdays_]
    return entries


def load_calendar() -> int:
    """Upsert the schedule's days in years the package does not cover (unchanged days are
    left alone and not audited); returns that day count."""
    covered = workdays.package_years()
    entries = [entry for entry in calendar_entries() if entry[0].year not in covered]
    for day, kind, name in entries:
        workdays.set_day(Actor.system(), day, kind=kind, name=name)
    return len(entries)
