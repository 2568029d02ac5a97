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
    updated_by = fields.UUID(allow_none=True)
    updated_at = fields.AwareDateTime()


class CalendarDaySetSchema(ma.Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["holiday", "workday"]))
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))


class CalendarYearArgsSchema(QueryArgsSchema):
    year = fields.Integer(required=True, validate=YEARS)


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
