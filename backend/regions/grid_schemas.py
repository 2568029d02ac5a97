"""Schemas of the grid: cells as GeoJSON, assignments, generation, balancing."""
import marshmallow as ma
from marshmallow import ValidationError, fields, validate
from shapely.geometry import mapping

from backend.common.blueprint import QueryArgsSchema
from backend.common.features import FeatureProperties, feature_collection_schema
from backend.common.geo import crs_field
from backend.common.geojson import GeoJSONGeometry
from backend.regions.assignments import ACTIONS
from backend.regions.schemas import REGION_CODE
from grid.crs import area_m2

POLYGONS = ("Polygon", "MultiPolygon")


class GridProblemSchema(ma.Schema):
    cells = fields.List(fields.String(), metadata={"description": "Cell codes involved (none for a gap)"})
    area_m2 = fields.Float()
    location = fields.List(fields.Float(), metadata={"description": "[lon, lat] of a point on the problem"})
    reason = fields.String(metadata={"description": "Why a cell is invalid (GEOS)"})


class GridValidationSchema(ma.Schema):
    region_code = fields.String()
    cells = fields.Integer(metadata={"description": "Active cells of the region and the regions under it"})
    tolerance_m2 = fields.Float()
    ok = fields.Boolean()
    gaps = fields.List(fields.Nested(GridProblemSchema), metadata={"description": "Parts of the region no cell covers"})
    overlaps = fields.List(fields.Nested(GridProblemSchema))
    invalid = fields.List(fields.Nested(GridProblemSchema))


class StaffSchema(ma.Schema):
    inspector_id = fields.UUID()
    role = fields.String()
    valid_from = fields.AwareDateTime()


class CellPropertiesSchema(ma.Schema):
    code = fields.String(metadata={"example": "130502-0007"})
    name = fields.String()
    region_code = fields.String()
    status = fields.String()
    source = fields.String()
    created_at = fields.AwareDateTime()
    retired_at = fields.AwareDateTime(allow_none=True)
    staff = fields.List(fields.Nested(StaffSchema), metadata={"description": "Current lead and members"})


class CellFeatureSchema(ma.Schema):
    type = fields.Constant("Feature")
    id = fields.UUID()
    geometry = GeoJSONGeometry(attribute="boundary", allowed=POLYGONS)
    properties = FeatureProperties(CellPropertiesSchema)


CellCollectionSchema = feature_collection_schema(CellFeatureSchema, "CellCollection")


class CellQueryArgsSchema(QueryArgsSchema):
    region_code = fields.String(validate=REGION_CODE)
    inspector_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(("active", "retired")))
    bbox = fields.String(metadata={"description": "min_lon,min_lat,max_lon,max_lat"},
                         validate=validate.Regexp(r"^(-?\d+(\.\d+)?,){3}-?\d+(\.\d+)?$", error="Give four numbers."))


class CellCreateSchema(ma.Schema):
    region_code = fields.String(required=True, validate=REGION_CODE)
    name = fields.String(validate=validate.Length(min=1, max=64))
    boundary = GeoJSONGeometry(required=True, allowed=POLYGONS)


class ImportFeatureSchema(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE  # GeoJSON features may carry "id", "bbox" and foreign members

    type = fields.String(required=True, validate=validate.Equal("Feature"))
    geometry = GeoJSONGeometry(required=True, allowed=POLYGONS)
    properties = fields.Dict(load_default=dict, allow_none=True)


class CellImportSchema(ma.Schema):
    region_code = fields.String(required=True, validate=REGION_CODE)
    type = fields.String(required=True, validate=validate.Equal("FeatureCollection"))
    features = fields.List(fields.Nested(ImportFeatureSchema), required=True)


class GenerateSchema(ma.Schema):
    OPENAPI_EXTRA = {"allOf": [  # _size_for_method
        {"if": {"properties": {"method": {"const": "square"}}, "required": ["method"]},
         "then": {"required": ["side_m"]}},
        {"if": {"properties": {"method": {"const": "h3"}}, "required": ["method"]},
         "then": {"required": ["resolution"]}},
    ]}
    region_code = fields.String(required=True, validate=REGION_CODE)
    method = fields.String(required=True, validate=validate.OneOf(("square", "h3")))
    side_m = fields.Float(validate=validate.Range(min=50, max=50_000), metadata={"description": "For square cells"})
    resolution = fields.Integer(validate=validate.Range(min=4, max=11), metadata={"description": "For H3 cells"})
    commit = fields.Boolean(load_default=False, metadata={"description": "Save the cells (default: preview only)"})
    replace = fields.Boolean(load_default=False, metadata={"description": "Retire the region's active cells first"})

    @ma.validates_schema
    def _size_for_method(self, data, **_):
        needed = "side_m" if data.get("method") == "square" else "resolution"
        if data.get("method") and needed not in data:
            raise ValidationError(f"Required for method {data['method']}.", field_name=needed)


class GeneratedSchema(ma.Schema):
    region_code = fields.String()
    method = fields.String()
    count = fields.Function(lambda result: len(result.geometries))
    committed = fields.Function(lambda result: bool(result.cells))
    retired = fields.Integer(metadata={"description": "Active cells retired by a redraw"})
    cells = fields.Method("_cells", metadata={"description": "GeoJSON FeatureCollection of the cells"})

    def _cells(self, result):
        codes = [cell.code for cell in result.cells] or [None] * len(result.geometries)
        return {"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": code, "geometry": mapping(geometry),
             "properties": {"code": code, "area_m2": round(area_m2(geometry), 1)}}
            for code, geometry in zip(codes, result.geometries)
        ]}


class RetireSchema(ma.Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class RegionCellsArgsSchema(QueryArgsSchema):
    status = fields.String(load_default="active", validate=validate.OneOf(("active", "retired")))


class LocateArgsSchema(QueryArgsSchema):
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    crs = crs_field()


class AssignmentSchema(ma.Schema):
    id = fields.UUID()
    cell_id = fields.UUID()
    inspector_id = fields.UUID()
    role = fields.String()
    valid_from = fields.AwareDateTime()
    valid_to = fields.AwareDateTime(allow_none=True)
    assigned_by = fields.UUID(allow_none=True)
    reason = fields.String()
    ended_by = fields.UUID(allow_none=True)
    end_reason = fields.String(allow_none=True)


class HistoryArgsSchema(QueryArgsSchema):
    at = fields.AwareDateTime(metadata={"description": "Who was responsible at this moment (RFC 3339)"})


class MoveSchema(ma.Schema):
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    inspector_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class BulkMoveSchema(MoveSchema):
    cell_id = fields.UUID(required=True)


class BulkSchema(ma.Schema):
    moves = fields.List(fields.Nested(BulkMoveSchema), required=True, validate=validate.Length(min=1, max=1000))


class BulkResultSchema(ma.Schema):
    applied = fields.Integer()


class BalanceSchema(ma.Schema):
    region_code = fields.String(required=True, validate=REGION_CODE)
    inspector_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=500))
    apply = fields.Boolean(load_default=False)
    reason = fields.String(load_default="workload balancing", validate=validate.Length(min=1, max=500))
    year = fields.Integer(validate=validate.Range(min=2000, max=2100), metadata={
        "description": "Whose inspection plan gives the visits per risk level (default: this year; "
                       "without a plan, VISITS_PER_YEAR)"})


class BalanceResultSchema(ma.Schema):
    region_code = fields.String()
    loads = fields.Dict(keys=fields.String(), values=fields.Float(),
                        metadata={"description": "Required visits per year, by inspector username"})
    cells = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    spread_max_mean = fields.Float()
    spread_max_min = fields.Float(allow_none=True)
    contiguous = fields.Boolean()
    applied = fields.Boolean()
    changes = fields.Integer()


class WorkloadSchema(ma.Schema):
    inspector_id = fields.UUID()
    username = fields.String()
    cells = fields.List(fields.Dict())
    facilities = fields.Integer()
    facilities_by_kind = fields.Dict(keys=fields.String(), values=fields.Integer())
    facilities_by_risk_level = fields.Dict(keys=fields.String(), values=fields.Integer())
    required_visits_per_year = fields.Float(metadata={"description": "On average: an A facility visited every "
                                                                     "other year counts 0.5"})
    visits_per_risk_level = fields.Dict(keys=fields.String(), values=fields.Float())


class PersonSchema(ma.Schema):
    id = fields.UUID()
    username = fields.String()
    display_name = fields.String()


class LocatedSchema(ma.Schema):
    cell = fields.Nested(CellFeatureSchema)
    lead = fields.Nested(PersonSchema, allow_none=True)
    members = fields.List(fields.Nested(PersonSchema))
