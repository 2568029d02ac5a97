"""The Blueprint every domain uses: flask-smorest's, refusing unknown query parameters.

A typo in a filter (`?stauts=open`) must not silently return everything, so unknown
query parameters are a 422, as unknown body fields are; so is NUL in a query string. Query schemas derive from
QueryArgsSchema, which leaves the pagination parameters to the paginator. JSON bodies are
read by backend.common.json_input and strictly typed (backend.common.strict_types).
"""
from __future__ import annotations

import http

import flask_smorest
import marshmallow as ma
from webargs import missing
from webargs.flaskparser import FlaskParser, is_json_request

from backend.common import json_input
from backend.common.problems import PROBLEM_MIMETYPE, ProblemSchema
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
    """Documents, once for every operation, the errors any request can meet (problem+json
    components): 401 unless public, 413 with a body, 414 and 431 (backend.common.http), 503
    when the database is unreachable (all but the health probes, which say their own)."""

    ARGUMENTS_PARSER = StrictParser()
    BODY_METHODS = ("post", "put", "patch")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        at = self._prepare_doc_cbks.index(self._prepare_response_doc)
        self._prepare_doc_cbks.insert(at, self._prepare_common_errors)

    def _prepare_common_errors(self, doc, doc_info, *, method, **kwargs):
        statuses = [414, 431]
        if doc_info.get("manual_doc", {}).get("security") != []:
            statuses.append(401)
        if method in self.BODY_METHODS:
            statuses.append(413)
        if self.name != "health":
            statuses.append(503)
        responses = doc_info.setdefault("response", {}).setdefault("responses", {})
        for status in statuses:
            if status not in responses and str(status) not in responses:
                responses[status] = [http.HTTPStatus(status).name]
        return doc

    def problem_response(self, status: int, description: str):
        """Document an alternative answer `status`, a problem+json body."""
        return self.alt_response(status, schema=ProblemSchema, content_type=PROBLEM_MIMETYPE, description=description)

    def forbidden(self, description: str = "The caller's role or scope does not allow this"):
        """Document a 403 for a view that can refuse a caller it knows."""
        return self.problem_response(403, description)


class QueryArgsSchema(ma.Schema):
    """Base of query-string schemas: unknown parameters are refused, paging ones are not ours."""

    @ma.pre_load
    def _leave_pagination(self, data, **kwargs):
        return {key: value for key, value in data.items() if key not in PAGINATION_PARAMETERS}

