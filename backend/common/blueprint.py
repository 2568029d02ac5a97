"""The Blueprint every domain uses: flask-smorest's, refusing unknown query parameters.

A typo in a filter (`?stauts=open`) must not silently return everything, so unknown
query parameters are a 422, as unknown body fields are; so is NUL in a query string. Query schemas derive from
QueryArgsSchema, which leaves the pagination parameters to the paginator. JSON bodies are
read by backend.common.json_input and strictly typed (backend.common.strict_types).
"""
from __future__ import annotations

import flask_smorest
import marshmallow as ma
from webargs import missing
from webargs.flaskparser import FlaskParser, is_json_request

from backend.common import json_input
from backend.common.strict_types import strictly_typed

PAGINATION_PARAMETERS = ("page", "page_size")


class StrictParser(FlaskParser):
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE,
                                   "querystring": ma.RAISE}

    def _raw_load_json(self, req):
        # One JSON reader for every body (depth, surrogates, NUL, huge numbers: backend.common.json_input).
        if not is_json_request(req):
            return missing
        return json_input.parse(req.get_data(cache=True))

    def pre_load(self, location_data, *, schema, req, location):
        # Only bodies are judged and strictly typed: query strings are strings and must be
        # coerced. A batch's items are judged one by one by the batch itself, so that a bad
        # one is refused alone (ITEMS_CHECKED_ALONE names the field holding them).
        if location in ("query", "querystring"):
            # PostgreSQL text cannot hold NUL: refused here, as in bodies, not by the database.
            found = {f"query.{key}": ["NUL characters are not allowed."]
                     for key, value in req.args.items(multi=True) if "\x00" in key or "\x00" in value}
            if found:
                raise json_input.JsonInputError(422, "The query string holds NUL characters; see errors.", found)
        if location != "json":
            return location_data
        alone = set(getattr(schema, "ITEMS_CHECKED_ALONE", ()))
        json_input.refuse({path: messages for path, messages in json_input.problems(location_data).items()
                           if not ("." in path and path.split(".", 1)[0] in alone)})
        return strictly_typed(schema, location_data)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictParser()


class QueryArgsSchema(ma.Schema):
    """Base of query-string schemas: unknown parameters are refused, paging ones are not ours."""

    @ma.pre_load
    def _leave_pagination(self, data, **kwargs):
        return {key: value for key, value in data.items() if key not in PAGINATION_PARAMETERS}
