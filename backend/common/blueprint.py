"""The Blueprint every domain uses: flask-smorest's, refusing unknown query parameters.

A typo in a filter (`?stauts=open`) must not silently return everything, so unknown
query parameters are a 422, as unknown body fields are. Query schemas derive from
QueryArgsSchema, which leaves the pagination parameters to the paginator.
"""
from __future__ import annotations

import flask_smorest
import marshmallow as ma
from webargs.flaskparser import FlaskParser

PAGINATION_PARAMETERS = ("page", "page_size")


class StrictParser(FlaskParser):
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE,
                                   "querystring": ma.RAISE}


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictParser()


class QueryArgsSchema(ma.Schema):
    """Base of query-string schemas: unknown parameters are refused, paging ones are not ours."""

    @ma.pre_load
    def _leave_pagination(self, data, **kwargs):
        return {key: value for key, value in data.items() if key not in PAGINATION_PARAMETERS}
