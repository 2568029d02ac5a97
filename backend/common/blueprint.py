"""The Blueprint every domain uses: flask-smorest's, refusing unknown query parameters.

A typo in a filter (`?stauts=open`) must not silently return everything, so unknown
query parameters are a 422, as unknown body fields are. Query schemas derive from
QueryArgsSchema, which leaves the pagination parameters to the paginator.
"""
from __future__ import annotations

import flask_smorest
import marshmallow as ma
from webargs.flaskparser import FlaskParser

from backend.common.json_checks import bad_strings

PAGINATION_PARAMETERS = ("page", "page_size")


class StrictParser(FlaskParser):
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE,
                                   "querystring": ma.RAISE}

    def pre_load(self, location_data, *, schema, req, location):
        # Bodies are stored; a NUL in a query string only reaches a filter, and the
        # database's refusal of it is answered as a 422 anyway. A batch's items are
        # checked one by one by the batch itself, so that a bad one is refused alone.
        if location != "json":
            return location_data
        alone = getattr(schema, "ITEMS_CHECKED_ALONE", ())
        checked = ({key: value for key, value in location_data.items() if key not in alone}
                   if alone and isinstance(location_data, dict) else location_data)
        errors: dict[str, list[str]] = {}
        for path, message in bad_strings(checked):
            errors.setdefault(path, []).append(message)
        if errors:
            raise ma.ValidationError(errors)
        return location_data


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictParser()


class QueryArgsSchema(ma.Schema):
    """Base of query-string schemas: unknown parameters are refused, paging ones are not ours."""

    @ma.pre_load
    def _leave_pagination(self, data, **kwargs):
        return {key: value for key, value in data.items() if key not in PAGINATION_PARAMETERS}
