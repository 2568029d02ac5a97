"""Facilities: register, find (by cell, region, kind, risk, distance), change, import."""
from __future__ import annotations

from flask import request
from flask.views import MethodView

from backend.auth.guard import current_actor
from backend.common.blueprint import Blueprint
from backend.common.csv_input import decode_csv
from backend.common.features import GEOJSON, feature_collection_page, served_as_geojson
from backend.common.http import accepts
from backend.common.pagination import PAGE_DEFAULTS, SelectPage
from backend.extensions import db
from backend.facilities import importer, service
from backend.facilities.schemas import (
    FacilityCollectionSchema,
    FacilityCreateSchema,
    FacilityFeatureSchema,
    FacilityPropertiesSchema,
    FacilityQueryArgsSchema,
    FacilityUpdateSchema,
    ImportReportSchema,
)

blp = Blueprint("facilities", __name__, description="Food businesses under supervision.")


def _filters(args: dict) -> dict:
    near, radius, crs = args.pop("near", None), args.pop("radius_m"), args.pop("crs")
    if near:
        args["near"] = service.Near(*near, radius, crs)
    return args


@blp.route("/facilities")
class Facilities(MethodView):
    @served_as_geojson
    @blp.arguments(FacilityQueryArgsSchema, location="query")
    @blp.response(200, FacilityCollectionSchema, content_type=GEOJSON)
    @blp.paginate(**PAGE_DEFAULTS)
    def get(self, args, pagination_parameters):
        """Facilities in scope as GeoJSON; `near=lon,lat&radius_m=` orders by distance."""
        return feature_collection_page(service.facilities_query(current_actor(), **_filters(args)),
                                       pagination_parameters)

    @blp.forbidden()
    @blp.arguments(FacilityCreateSchema)
    @blp.response(201, FacilityFeatureSchema)
    @blp.alt_response(409, description="USCC or licence number already registered")
    def post(self, data):
        """Register a facility; its cell and region are derived from its location."""
        facility = service.create_facility(current_actor(), **data)
        db.session.commit()
        return facility


@blp.route("/facilities/<uuid:facility_id>")
class FacilityById(MethodView):
    @blp.etag
    @blp.response(200, FacilityFeatureSchema)
    def get(self, facility_id):
        """One facility."""
        return service.get_facility(current_actor(), facility_id)

    @blp.etag
    @blp.arguments(FacilityUpdateSchema)
    @blp.response(200, FacilityFeatureSchema)
    def patch(self, changes, facility_id):
        """Change a facility (If-Match required); a new location re-derives its cell."""
        actor = current_actor()
        facility = service.get_facility(actor, facility_id)
        blp.check_etag(facility, FacilityFeatureSchema)
        facility = service.update_facility(actor, facility, changes)
        db.session.commit()
        return facility


@blp.route("/facilities/<uuid:facility_id>/stalls")
class Stalls(MethodView):
    @blp.response(200, FacilityPropertiesSchema(many=True))
    @blp.paginate(SelectPage, **PAGE_DEFAULTS)
    def get(self, facility_id):
        """The stalls of a market."""
        actor = current_actor()
        market = service.get_facility(actor, facility_id)
        return service.facilities_query(actor, parent_id=market.id)


@blp.route("/facilities/import")
class FacilityImport(MethodView):
    @blp.forbidden()
    @accepts("text/csv")
    @blp.doc(requestBody={"required": True, "content": {"text/csv": {"schema": {"type": "string"}}},
                          "description": "UTF-8 (or GB18030) CSV with columns " + ", ".join(importer.COLUMNS)})
    @blp.response(200, ImportReportSchema)
    def post(self):
        """Import facilities from CSV: good rows in, bad rows reported by line; re-importing is harmless."""
        report = importer.import_facilities_csv(current_actor(), decode_csv(request.get_data()))
        db.session.commit()
        return report
