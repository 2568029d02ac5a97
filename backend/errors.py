"""RFC 9457 problem+json for every error the service can answer with.

One mapping for all: HTTP errors raised by Flask/werkzeug/webargs/flask-smorest,
domain errors raised by services, JWT errors, database outages and anything unexpected.
Nothing internal (stack trace, SQL, file path) ever reaches the client.
"""
from __future__ import annotations

import http
import logging
import re

import flask_smorest
import psycopg
import sqlalchemy as sa
from flask import Flask, Response
from flask_smorest.pagination import PaginationMetadataSchema
from flask_smorest.utils import prepare_response
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from backend.common.domain_errors import Conflict, DomainError, RuleViolation, TooManyRequests
from backend.common.json_input import JsonInputError
from backend.common.problems import (  # noqa: F401 (re-exported)
    HTTP_CODES,
    PROBLEM_MIMETYPE,
    TYPE_PREFIX,
    ProblemSchema,
    flatten_errors,
    problem,
)

log = logging.getLogger(__name__)

FOREIGN_KEY_VIOLATION = "23503"  # SQLSTATE
# SQLSTATEs of constraints that refuse a value whatever else is stored: the input is invalid,
# retrying cannot help (check, not null; foreign keys are answered with the field they name).
# Unique and exclusion violations are races with another request.
INVALID_INPUT_STATES = {"23514": "A value is not acceptable here.", "23502": "A required value is missing."}
DATABASE_OUTAGES = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.PendingRollbackError,
                    psycopg.OperationalError, psycopg.InterfaceError)


def is_database_outage(error: BaseException) -> bool:
    """A lost or unusable connection (the server restarted, the backend was terminated)."""
    return isinstance(error, DATABASE_OUTAGES) or bool(getattr(error, "connection_invalidated", False))


def validation_errors(data: dict) -> dict[str, list[str]]:
    """webargs stores errors by location; the JSON body's fields are named plainly."""
    by_location = data.get("errors") or data.get("messages") or {}
    flat: dict[str, list[str]] = {}
    for location, messages in by_location.items():
        flat.update(flatten_errors(messages, "" if location == "json" else location))
    return flat


def referencing_columns(constraint: str | None, table: str | None, metadata: sa.MetaData | None = None,
                        detail: str | None = None) -> list[str]:
    """The columns of a foreign key, from its name: found in `metadata`, else read from the
    naming convention `fk_<table>_<column>_<referred table>` (backend/extensions.py), else
    from PostgreSQL's detail `Key (column)=(…)`."""
    if constraint and table and metadata is not None and table in metadata.tables:
        for foreign_key in metadata.tables[table].foreign_key_constraints:
            if foreign_key.name == constraint:
                return [column.name for column in foreign_key.columns]
    prefix = f"fk_{table}_"
    if constraint and table and constraint.startswith(prefix) and metadata is not None:
        rest = constraint[len(prefix):]
        for referred in sorted(metadata.tables, key=len, reverse=True):
            if rest.endswith("_" + referred) and len(rest) > len(referred) + 1:
                return [rest[:-len(referred) - 1]]
    found = re.match(r"Key \(([^)]+)\)=", detail or "")
    return [name.strip() for name in found.group(1).split(",")] if found else []


def integrity_refusal(error: sa_exc.IntegrityError, metadata: sa.MetaData | None = None) -> DomainError:
    """What to answer for a constraint the database enforced but the service did not check
    first. A value no row could ever hold (check, not null) or a reference to a row that does
    not exist is the client's mistake (422, naming the field where it can); a unique or
    exclusion violation is a race with another request (409: retrying is safe)."""
    orig = error.orig
    diag = getattr(orig, "diag", None)
    state = getattr(orig, "sqlstate", None)
    if state in INVALID_INPUT_STATES:
        return RuleViolation(INVALID_INPUT_STATES[state], code="validation_error")
    if state == FOREIGN_KEY_VIOLATION:
        if (error.statement or "").lstrip().upper().startswith("DELETE"):
            return Conflict("Other data still refers to this.", code="still_referenced")
        columns = referencing_columns(diag and diag.constraint_name, diag and diag.table_name, metadata,
                                      diag and diag.message_detail)
        field = columns[0] if len(columns) == 1 else None
        message = "Refers to something that does not exist."
        return RuleViolation(message, code="unknown_reference", field=field,
                             errors={name: [message] for name in columns} or {"body": [message]})
    return Conflict("The request conflicts with data stored meanwhile; retry.")


class ProblemApi(flask_smorest.Api):
    """flask-smorest Api whose HTTP errors are problem+json, and documented as such."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MIMETYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MIMETYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _register_pagination_header(self):
        # flask-smorest sends X-Pagination as a JSON text but documents it as an object;
        # say what goes over the wire: a string whose content is that JSON object.
        self.spec.components.header("PAGINATION", {
            "description": "Pagination metadata, as a JSON text",
            "schema": {"type": "string", "contentMediaType": "application/json",
                       "contentSchema": {"$ref": "#/components/schemas/PaginationMetadata"}},
        }, lazy=True)
        self.spec.components.schema("PaginationMetadata", schema=PaginationMetadataSchema)

    def handle_http_exception(self, error: HTTPException):
        status = error.code or 500
        code = HTTP_CODES.get(status, "bad_request" if status < 500 else "internal_error")
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        data = getattr(error, "data", None) or {}
        headers.update(data.get("headers") or {})
        detail = data.get("message") or error.description
        extra = {}
        if status == 422 or "messages" in data or "errors" in data:
            extra["errors"] = validation_errors(data)
            messages = [m for ms in extra["errors"].values() for m in ms]
            detail = messages[0] if len(messages) == 1 else "Request has invalid fields; see errors."
        if status >= 500:
            detail = None
        return problem(status, code, detail, headers=headers, **extra)


def register_error_handlers(app: Flask, metadata: sa.MetaData | None = None) -> None:
    """`metadata` (the models') names the column behind a foreign-key violation."""
    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        headers = {}
        if isinstance(error, TooManyRequests):
            headers["Retry-After"] = str(error.retry_after)
        return problem(error.status, error.code, error.detail, headers=headers, **error.extra)

    @app.errorhandler(JsonInputError)
    def _json_input(error: JsonInputError):
        messages = [m for ms in error.errors.values() for m in ms]
        detail = messages[0] if len(messages) == 1 else error.detail
        return problem(error.status, "validation_error" if error.status == 422 else "bad_request", detail,
                       errors=error.errors or None)

    @app.errorhandler(sa_exc.IntegrityError)
    def _integrity(error):
        # A race the service could not see coming (two inserts of one unique key), or a
        # constraint that validation should have caught (logged: that is a bug to fix).
        log.warning("integrity error: %s", error.orig)
        refusal = integrity_refusal(error, metadata)
        return problem(refusal.status, refusal.code, refusal.detail, **refusal.extra)

    @app.errorhandler(StaleDataError)
    def _changed_meanwhile(error):
        # Another request changed the row between our read and our write (optimistic locking).
        return problem(412, "precondition_failed", "Someone else changed this meanwhile; reload and try again.")

    @app.errorhandler(sa_exc.DataError)
    def _bad_value(error):
        # A value validation let through but the database cannot hold (e.g. out of range).
        log.warning("data error: %s", error.orig)
        return problem(422, "validation_error", "A value is out of range or malformed for storage.")

    @app.errorhandler(sa_exc.DBAPIError)
    @app.errorhandler(sa_exc.PendingRollbackError)
    @app.errorhandler(psycopg.OperationalError)
    @app.errorhandler(psycopg.InterfaceError)
    def _database_error(error):
        if not is_database_outage(error):
            return _unexpected(error)
        log.error("database unavailable: %s", getattr(error, "orig", None) or error)
        return database_unavailable()

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        # HTTPException has its own, more specific handler (ProblemApi).
        log.exception("unhandled error")
        return problem(500, "internal_error")


def database_unavailable() -> Response:
    return problem(503, "database_unavailable", "The database is unavailable or too slow; retry shortly.",
                   headers={"Retry-After": "5"})
