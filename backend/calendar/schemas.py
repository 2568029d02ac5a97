"""Schemas of the working-day calendar API."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from backend.common.blueprint import QueryArgsSchema

YEARS = validate.Range(min=2000, max=2100)


class CalendarDaySchema(ma.Schema):
    day = fields.Date()
    kind = fields.String(metadata={"description": "holiday (法定节假日) or workday (调休上班, on a weekend)"})
    name = fields.String(metadata={"description": "e.g. 春节, 国庆节调休"})
    weekday = fields.Function(lambda row: row.day.isoweekday(), metadata={"description": "1 = Monday … 7 = Sunday"})
    source = fields.String(metadata={"description": "package (the chinese-calendar package's copy of the State "
                                                    "Council's notice) or admin (the calendar_days table, which wins)"})
    updated_by = fields.UUID(allow_none=True)
    updated_at = fields.AwareDateTime(allow_none=True, metadata={"description": "null for the package's days"})


class CalendarDaySetSchema(ma.Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["holiday", "workday"]))
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))


class CalendarYearArgsSchema(QueryArgsSchema):
    year = fields.Integer(required=True, validate=YEARS)


class CalendarYearsArgsSchema(QueryArgsSchema):
    first = fields.Integer(validate=YEARS, metadata={"description": "Default: last year"})
    last = fields.Integer(validate=YEARS, metadata={"description": "Default: next year"})

    @ma.validates_schema
    def _ordered(self, data, **kwargs):
        if "first" in data and "last" in data and not 0 <= data["last"] - data["first"] <= 100:
            raise ma.ValidationError("last must be at least first, and at most 100 years after it.", "last")


class CalendarYearSchema(ma.Schema):
    year = fields.Integer()
    source = fields.String(metadata={"description": "package: the installed chinese-calendar package knows the "
                                                    "year's notice; admin: not the package, but an administrator "
                                                    "entered holidays; unknown: neither — only weekends are days "
                                                    "off, statutory holidays count as working days"})
    known = fields.Boolean()
    package_days = fields.Integer(metadata={"description": "Holidays and make-up working days from the package"})
    admin_days = fields.Integer(metadata={"description": "Entries in the calendar_days table (they win)"})


class DeadlineArgsSchema(QueryArgsSchema):
    start = fields.AwareDateTime(required=True, metadata={
        "description": "The event (e.g. notification), RFC 3339, in the years 2000-2100",
        "pattern": r"^(?:20\d\d|2100)-"})
    working_days = fields.Integer(required=True, validate=validate.Range(min=0, max=366))

    @ma.validates("start")
    def _in_range(self, value, **kwargs):
        YEARS(value.year)


class DeadlineSchema(ma.Schema):
    start = fields.AwareDateTime()
    working_days = fields.Integer()
    deadline = fields.AwareDateTime(metadata={
        "description": "Last instant (23:59:59.999999 Asia/Shanghai) of the N-th working day after the start's "
                       "local date, in UTC; on time iff at or before it"})
