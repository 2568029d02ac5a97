from __future__ import annotations

from flask.views import MethodView

from backend.auth.guard import current_actor
from backend.common.blueprint import Blueprint
from backend.common.features import GEOJSON, served_as_geojson
from backend.common.pagination import PAGE_DEFAULTS, SelectPage
from backend.regions import service
from backend.regions.schemas import RegionFeatureSchema, RegionQueryArgsSchema, RegionSchema

blp = Blueprint("regions", __name__, description="Administrative regions (GB/T 2260).")


@blp.route("/regions")
class Regions(MethodView):
    @blp.arguments(RegionQueryArgsSchema, location="query")
    @blp.response(200, RegionSchema(many=True))
    @blp.paginate(SelectPage, **PAGE_DEFAULTS)
    def get(self, filters):
        """Regions, by code; filter by parent, level or name."""
        return service.regions_query(current_actor(), **filters)


@blp.route("/regions/<string:code>")
class RegionByCode(MethodView):
    @served_as_geojson
    @blp.response(200, RegionFeatureSchema, content_type=GEOJSON)
    def get(self, code):
        """One region as a GeoJSON Feature with its boundary."""
        return service.get_region(current_actor(), code)
