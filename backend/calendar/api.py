"""The working-day calendar: holidays and make-up working days (admins), and deadlines."""
from __future__ import annotations

from datetime import date

from flask.views import MethodView

from backend.auth.guard import current_actor
from backend.calendar import service as workdays
from backend.calendar.schemas import (
    CalendarDaySchema,
    CalendarDaySetSchema,
    CalendarYearArgsSchema,
    CalendarYearsArgsSchema,
    CalendarYearSchema,
    DeadlineArgsSchema,
    DeadlineSchema,
)
from backend.common import clock
from backend.common.blueprint import Blueprint
from backend.common.domain_errors import NotFound
from backend.extensions import db

blp = Blueprint("calendar", __name__, description="Working-day calendar (Asia/Shanghai): holidays, 调休, deadlines.")


def _day(value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None or len(value) != 10 or not 2000 <= day.year <= 2100:
        raise NotFound(f"{value!r} is not a day (YYYY-MM-DD, years 2000-2100).")
    return day


@blp.route("/calendar/days")
class CalendarDays(MethodView):
    @blp.arguments(CalendarYearArgsSchema, location="query")
    @blp.response(200, CalendarDaySchema(many=True))
    def get(self, args):
        """The year's entries, from the package and the administrators (an admin entry wins);
        days not listed follow the weekly pattern (Mon-Fri work)."""
        return workdays.list_days(args["year"])


@blp.route("/calendar/years")
class CalendarYears(MethodView):
    @blp.arguments(CalendarYearsArgsSchema, location="query")
    @blp.response(200, CalendarYearSchema(many=True))
    def get(self, args):
        """Where each year's holidays come from: package, admin or unknown (an unknown year's
        statutory holidays count as working days until an admin enters them or the
        calendar package is upgraded). Default: last year to next year."""
        year = workdays.local_today(clock.now()).year
        first, last = args.get("first", year - 1), args.get("last", year + 1)
        if last < first:
            first, last = last, first
        return workdays.year_sources(first, min(last, first + 100))


@blp.route("/calendar/days/<string:day>")
class CalendarDayByDate(MethodView):
    @blp.arguments(CalendarDaySetSchema)
    @blp.response(200, CalendarDaySchema)
    @blp.forbidden("Not an administrator")
    @blp.alt_response(422, description="A make-up working day on a weekday (code workday_on_weekday)")
    def put(self, data, day):
        """Mark the day a holiday or a make-up working day (admins). Holidays may be entered on
        weekends, as the State Council's notice prints them; make-up working days only on weekends."""
        row = workdays.set_day(current_actor(), _day(day), **data)
        db.session.commit()
        return row

    @blp.response(204)
    @blp.forbidden("Not an administrator")
    def delete(self, day):
        """Remove the day's entry, so it follows the weekly pattern again (admins; idempotent)."""
        workdays.clear_day(current_actor(), _day(day))
        db.session.commit()


@blp.route("/calendar/deadline")
class Deadline(MethodView):
    @blp.arguments(DeadlineArgsSchema, location="query")
    @blp.response(200, DeadlineSchema)
    def get(self, args):
        """The deadline `working_days` working days after `start`: the day of the event is not
        counted, the window closes at the end of the N-th working day (Asia/Shanghai)."""
        return {**args, "deadline": workdays.add_working_days(args["start"], args["working_days"])}
