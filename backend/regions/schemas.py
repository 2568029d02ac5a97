import marshmallow as ma
from marshmallow import fields, validate

from backend.common.blueprint import QueryArgsSchema
from backend.common.geojson import GeoJSONGeometry
from backend.common.region_codes import CODE_PATTERN, LEVELS

REGION_CODE = validate.Regexp(CODE_PATTERN, error="A GB/T 2260 code of 6, 9 or 12 digits.")


class RegionSchema(ma.Schema):
    code = fields.String(metadata={"description": "GB/T 2260 code", "example": "130502"})
    name = fields.String(metadata={"example": "襄都区"})
    name_en = fields.String(allow_none=True)
    level = fields.String(validate=validate.OneOf(LEVELS))
    parent_code = fields.String(allow_none=True)


class RegionFeatureSchema(ma.Schema):
    """A region as a GeoJSON Feature with its boundary."""

    type = fields.Constant("Feature")
    id = fields.String(attribute="code")
    geometry = GeoJSONGeometry(attribute="boundary", allow_none=True, allowed=("MultiPolygon",))
    properties = fields.Method("_properties")

    def _properties(self, region):
        return {**RegionSchema().dump(region), "boundary_source": region.boundary_source}


class RegionQueryArgsSchema(QueryArgsSchema):
    parent_code = fields.String()
    level = fields.String(validate=validate.OneOf(LEVELS))
    q = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "Part of name or code."})
