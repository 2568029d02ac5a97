"""GS1 EPCIS 2.0 capture: enterprise systems send their events as an EPCISDocument."""
from __future__ import annotations

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView

from backend.auth.guard import current_actor
from backend.common import json_input
from backend.common.blueprint import Blueprint
from backend.common.domain_errors import DomainError, PayloadTooLarge
from backend.common.http import accepts
from backend.errors import PROBLEM_MIMETYPE, ProblemSchema
from backend.extensions import db
from backend.traceability import epcis

blp = Blueprint("epcis", __name__, description="GS1 EPCIS 2.0 capture (the export is GET /lots/{id}/trace"
                                               "?format=epcis).")

MEDIA_TYPES = ("application/json", "application/ld+json")
DOCUMENT = {"type": "object", "required": ["@context", "type", "schemaVersion", "creationDate", "epcisBody"],
            "properties": {"type": {"const": "EPCISDocument"}, "schemaVersion": {"type": "string"},
                           "epcisBody": {"type": "object", "properties": {"eventList": {"type": "array"}}}},
            "description": "A GS1 EPCIS 2.0 EPCISDocument (JSON or JSON-LD), valid against the official JSON "
                           "Schema; at most EPCIS_MAX_BYTES (8 MiB) and TRACE_BATCH_MAX (1,000) events."}
CAPTURE_BODY = {"required": True, "content": {media: {"schema": DOCUMENT} for media in MEDIA_TYPES}}


class EventNoteSchema(ma.Schema):
    index = ma.fields.Integer(metadata={"description": "Position in epcisBody.eventList"})
    eventID = ma.fields.String()
    code = ma.fields.String(metadata={"description": "Why, for machines (rejections)"})
    reasons = ma.fields.List(ma.fields.String())


class CaptureReportSchema(ma.Schema):
    received = ma.fields.Integer()
    stored = ma.fields.Integer()
    duplicates = ma.fields.List(ma.fields.String(), metadata={"description": "eventIDs stored before: skipped"})
    skipped = ma.fields.List(ma.fields.Nested(EventNoteSchema),
                             metadata={"description": "Valid events that move no lot (other bizSteps…)"})
    rejected = ma.fields.List(ma.fields.Nested(EventNoteSchema), metadata={"description": "Not stored, with reasons"})
    warnings = ma.fields.List(ma.fields.Nested(EventNoteSchema),
                              metadata={"description": "Stored, but lines naming no lot were left out"})
    unknown_glns = ma.fields.List(ma.fields.String(), metadata={"description": "GLNs no facility has"})


def _problem(status: int, description: str):
    return blp.alt_response(status, schema=ProblemSchema, content_type=PROBLEM_MIMETYPE, description=description)


@blp.route("/epcis/capture")
class Capture(MethodView):
    @accepts(*MEDIA_TYPES)
    @blp.doc(requestBody=CAPTURE_BODY)
    @blp.response(200, CaptureReportSchema, description="The capture report (also when nothing was stored)")
    @_problem(400, "The body is not JSON")
    @_problem(403, "Laboratories do not record trace events")
    @_problem(413, "Larger than EPCIS_MAX_BYTES")
    @_problem(422, "Not valid EPCIS 2.0 (errors by JSON pointer), or too many events")
    def post(self):
        """Capture an EPCISDocument: each event stored, skipped as a duplicate, or rejected with reasons."""
        report = epcis.capture(current_actor(), _document())
        db.session.commit()
        return report


def _document():
    limit = current_app.config["EPCIS_MAX_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"EPCIS documents are limited to {limit} bytes; split it into several.",
                              max_bytes=limit)
    request.max_content_length = limit  # a chunked body is cut off there (413) too
    try:
        return json_input.loads(request.get_data(cache=False))
    except ValueError:
        raise DomainError("The body is not JSON.", code="bad_request") from None
