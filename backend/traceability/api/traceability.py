"""Traceability: products, lots, trace events, holdings, violations and the trace itself."""
from __future__ import annotations

from flask import Response, current_app, request
from flask.views import MethodView

from backend.auth.guard import current_actor
from backend.common.batch import summary
from backend.common.blueprint import Blueprint
from backend.common.csv_input import decode_csv
from backend.common.domain_errors import RuleViolation
from backend.common.downloads import content_disposition
from backend.common.features import GEOJSON
from backend.common.http import accepts
from backend.common.pagination import PAGE_DEFAULTS, SelectPage
from backend.extensions import db
from backend.traceability import batch, catalogue, events, exports, spreadsheet, trace, violations
from backend.traceability.schemas import (
    HoldingSchema,
    LotQueryArgsSchema,
    LotSchema,
    ProductQueryArgsSchema,
    ProductSchema,
    TraceArgsSchema,
    TraceBatchResultSchema,
    TraceBatchSchema,
    TraceEventInputSchema,
    TraceEventQueryArgsSchema,
    TraceEventSchema,
    TraceSchema,
    ViolationQueryArgsSchema,
    ViolationSchema,
)

blp = Blueprint("traceability", __name__, description="Products, lots, trace events; trace back and forward.")


@blp.route("/products")
class Products(MethodView):
    @blp.arguments(ProductQueryArgsSchema, location="query")
    @blp.response(200, ProductSchema(many=True))
    @blp.paginate(SelectPage, **PAGE_DEFAULTS)
    def get(self, filters):
        """Products, by GTIN or name."""
        return catalogue.products_query(current_actor(), **filters)

    @blp.forbidden()
    @blp.arguments(ProductSchema)
    @blp.response(201, ProductSchema)
    def post(self, data):
        """Register a product (GTIN check digit verified)."""
        product = catalogue.create_product(current_actor(), **data)
        db.session.commit()
        return product


@blp.route("/lots")
class Lots(MethodView):
    @blp.arguments(LotQueryArgsSchema, location="query")
    @blp.response(200, LotSchema(many=True))
    @blp.paginate(SelectPage, **PAGE_DEFAULTS)
    def get(self, filters):
        """Lots in scope, newest first."""
        return catalogue.lots_query(current_actor(), **filters)

    @blp.forbidden()
    @blp.arguments(LotSchema)
    @blp.response(201, LotSchema)
    @blp.alt_response(409, description="The producer already has this lot code")
    def post(self, data):
        """Register a lot; its code is unique per producer."""
        lot = catalogue.create_lot(current_actor(), **data)
        db.session.commit()
        return lot


@blp.route("/lots/<uuid:lot_id>")
class LotById(MethodView):
    @blp.response(200, LotSchema)
    def get(self, lot_id):
        """One lot."""
        return catalogue.get_lot(current_actor(), lot_id)


@blp.route("/lots/<uuid:lot_id>/trace")
class LotTrace(MethodView):
    @blp.forbidden()
    @blp.arguments(TraceArgsSchema, location="query")
    @blp.response(200, TraceSchema)
    @blp.doc(responses={"200": {"description": "JSON; `Accept: text/csv` for the spreadsheet, `format=geojson` "
                                               "for a map, `format=epcis` for an EPCISDocument", "content": {
        "application/json": {"schema": TraceSchema},
        "text/csv": {"schema": {"type": "string", "description": "FSMA 204-style sortable spreadsheet, UTF-8 "
                                                                 "with BOM; `POST /trace-events/import` reads it"}},
        GEOJSON: {"schema": {"$ref": "#/components/schemas/GeoJSONFeatureCollection"}},
        "application/ld+json": {"schema": {"type": "object", "description": "GS1 EPCIS 2.0 EPCISDocument"}},
    }}})
    def get(self, args, lot_id):
        """Where a lot came from and everywhere it went: one recursive query per direction."""
        found = trace.trace_lot(current_actor(), lot_id, direction=args["direction"], max_depth=args["max_depth"])
        wanted = request.accept_mimetypes.best_match(["application/json", "text/csv"], default="application/json")
        if wanted == "text/csv" and args["format"] == "json":
            return Response(spreadsheet.trace_csv(found), mimetype="text/csv", headers={
                "Content-Disposition": content_disposition(f"trace-{found['lot_code']}.csv")})
        if args["format"] == "geojson":
            return Response(current_app.json.dumps(exports.trace_geojson(found)), mimetype=GEOJSON)
        if args["format"] == "epcis":
            from backend.traceability.epcis import trace_document
            return Response(current_app.json.dumps(trace_document(found)), mimetype="application/ld+json")
        # Built by the database already (TraceSchema documents it): serialised as is, not re-walked.
        return Response(current_app.json.dumps(found), mimetype="application/json")


@blp.route("/trace-events")
class TraceEvents(MethodView):
    @blp.arguments(TraceEventQueryArgsSchema, location="query")
    @blp.response(200, TraceEventSchema(many=True))
    @blp.paginate(SelectPage, **PAGE_DEFAULTS)
    def get(self, filters):
        """Trace events of a lot or a facility, newest first."""
        return events.events_query(current_actor(), **filters)

    @blp.forbidden()
    @blp.arguments(TraceEventInputSchema)
    @blp.response(201, TraceEventSchema, description="Recorded now")
    @blp.alt_response(200, schema=TraceEventSchema, description="Recorded before: the same event sent again")
    @blp.alt_response(409, description="The event_id was used for different content")
    def post(self, data):
        """Record a tracking event; holdings and violations follow in the same transaction."""
        recorded = events.record_event(current_actor(), **data)
        db.session.commit()
        return recorded.event, 201 if recorded.created else 200


@blp.route("/trace-events:batch")
class TraceEventBatch(MethodView):
    @blp.arguments(TraceBatchSchema)
    @blp.response(200, TraceBatchResultSchema)
    @blp.alt_response(403, description="Labs do not record trace events")
    def post(self, data):
        """Record up to 1,000 events; the valid ones are stored, each refused one reported."""
        results = batch.record_batch(current_actor(), data["events"])
        db.session.commit()
        return summary(results)


@blp.route("/trace-events/import")
class TraceEventImport(MethodView):
    @accepts("text/csv")
    @blp.doc(requestBody={"required": True, "description": "A trace spreadsheet (GET /lots/{id}/trace, "
                                                           "Accept: text/csv), UTF-8 (with or without BOM) or GB18030",
                          "content": {"text/csv": {"schema": {"type": "string"}}}})
    @blp.response(200, TraceBatchResultSchema)
    @blp.alt_response(403, description="Labs do not record trace events")
    def post(self):
        """Import a trace spreadsheet: rows of one event_id make one event; stored events replay."""
        actor = current_actor()
        catalogue.require_writer(actor)
        found, problems = spreadsheet.events_from_csv(decode_csv(request.get_data()))
        if problems:
            raise RuleViolation("The spreadsheet cannot be read.", code="invalid_spreadsheet", errors=problems)
        results = batch.record_each(actor, found, from_json=False)
        db.session.commit()
        return summary(results)


@blp.route("/facilities/<uuid:facility_id>/holdings")
class Holdings(MethodView):
    @blp.response(200, HoldingSchema(many=True))
    @blp.paginate(SelectPage, **PAGE_DEFAULTS)
    def get(self, facility_id):
        """What a facility holds now, lot by lot."""
        return catalogue.holdings_query(current_actor(), facility_id)


@blp.route("/traceability/violations")
class Violations(MethodView):
    @blp.forbidden()
    @blp.arguments(ViolationQueryArgsSchema, location="query")
    @blp.response(200, ViolationSchema(many=True))
    @blp.paginate(SelectPage, **PAGE_DEFAULTS)
    def get(self, filters):
        """Mass-balance, restricted-sales and unmatched-receipt violations in scope, newest first."""
        return violations.violations_query(current_actor(), **filters)


