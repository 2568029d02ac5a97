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


def _nul_paths(value, path: str = "") -> list[str]:
    """Paths of strings holding NUL, which PostgreSQL text cannot store."""
    if isinstance(value, str):
        return [path or "body"] if "\x00" in value else []
    if isinstance(value, dict):
        return [p for key, item in value.items()
                for p in (_nul_paths(key, path or "body") + _nul_paths(item, f"{path}.{key}" if path else str(key)))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _nul_paths(item, f"{path}.{index}" if path else
                                                                          str(index))]
    return []


class StrictParser(FlaskParser):
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE,
                                   "querystring": ma.RAISE}

    def pre_load(self, location_data, *, schema, req, location):
        # Bodies are stored; a NUL in a query string only reaches a filter, and the
        # database's refusal of it is answered as a 422 anyway.
        paths = _nul_paths(location_data) if location == "json" else []
        if paths:
            raise ma.ValidationError({path: ["NUL characters are not allowed."] for path in paths})
        return location_data


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictParser()


class QueryArgsSchema(ma.Schema):
    """Base of query-string schemas: unknown parameters are refused, paging ones are not ours."""

    @ma.pre_load
    def _leave_pagination(self, data, **kwargs):
        return {key: value for key, value in data.items() if key not in PAGINATION_PARAMETERS}
