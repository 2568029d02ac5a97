import marshmallow as ma
from marshmallow import ValidationError, fields, validate

from backend.common.blueprint import QueryArgsSchema
from backend.common.features import FeatureProperties, feature_collection_schema
from backend.common.geo import LonLat, crs_field
from backend.common.geojson import GeoJSONGeometry
from backend.facilities.models import KINDS, RISK_LEVELS, STATUSES
from backend.regions.schemas import REGION_CODE


class FacilityInputSchema(ma.Schema):
    """Fields a client may set. Cell and region are derived from the location, never sent."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    kind = fields.String(validate=validate.OneOf(KINDS))
    parent_id = fields.UUID(allow_none=True, metadata={"description": "The market of a stall"})
    uscc = fields.String(allow_none=True, validate=validate.Length(equal=18),
                         metadata={"description": "统一社会信用代码 (GB 32100, check character verified)"})
    licence_no = fields.String(allow_none=True, validate=validate.Length(max=32),
                               metadata={"description": "Production licence, SC + 14 digits"})
    gln = fields.String(allow_none=True, validate=validate.Length(equal=13),
                        metadata={"description": "GS1 Global Location Number (EPCIS SGLN), check digit verified"})
    address = fields.String(validate=validate.Length(max=300))
    location = GeoJSONGeometry(allowed=("Point",), allow_none=True,
                               metadata={"description": "GeoJSON Point; a stall may omit it (it stands in its market)"})
    crs = crs_field()
    risk_level = fields.String(validate=validate.OneOf(RISK_LEVELS), metadata={"description": "A lowest … D highest"})
    credit_grade = fields.String(allow_none=True, validate=validate.Length(max=8))
    status = fields.String(validate=validate.OneOf(STATUSES))
    sales_area = fields.List(fields.String(validate=REGION_CODE), metadata={"description": "限区域销售 regions"})
    operator_name = fields.String(allow_none=True, validate=validate.Length(max=100))
    operator_phone = fields.String(allow_none=True, validate=validate.Length(max=32))

    @ma.pre_load
    def _normalise_identifiers(self, data, **_):
        if isinstance(data, dict):
            data = {**data}
            for key in ("uscc", "licence_no"):
                if isinstance(data.get(key), str):
                    data[key] = data[key].strip().upper()
        return data


class FacilityCreateSchema(FacilityInputSchema):
    OPENAPI_EXTRA = {  # service.create_facility: stalls, and only stalls, have a parent market
        "if": {"properties": {"kind": {"const": "stall"}}, "required": ["kind"]},
        "then": {"required": ["parent_id"], "properties": {"parent_id": {"type": "string"}}},
        # a stall stands in its market; everything else has a location
        "else": {"required": ["location"], "properties": {"parent_id": {"type": "null"},
                                                          "location": {"not": {"type": "null"}}}},
    }
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    risk_level = fields.String(load_default="B", validate=validate.OneOf(RISK_LEVELS))


class FacilityUpdateSchema(FacilityInputSchema):
    @ma.validates_schema
    def _not_empty(self, data, **_):
        if not data or set(data) == {"crs"}:
            raise ValidationError("Give at least one field to change.")


class FacilityPropertiesSchema(ma.Schema):
    id = fields.UUID()
    name = fields.String()
    kind = fields.String()
    parent_id = fields.UUID(allow_none=True)
    uscc = fields.String(allow_none=True)
    licence_no = fields.String(allow_none=True)
    gln = fields.String(allow_none=True)
    address = fields.String()
    cell_id = fields.UUID(allow_none=True, metadata={"description": "Derived from the location"})
    region_code = fields.String(metadata={"description": "Derived from the location"})
    risk_level = fields.String()
    credit_grade = fields.String(allow_none=True)
    status = fields.String()
    sales_area = fields.List(fields.String())
    operator_name = fields.String(allow_none=True)
    operator_phone = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class FacilityFeatureSchema(ma.Schema):
    type = fields.Constant("Feature")
    id = fields.UUID()
    geometry = GeoJSONGeometry(attribute="location", allowed=("Point",))
    properties = FeatureProperties(FacilityPropertiesSchema)


FacilityCollectionSchema = feature_collection_schema(FacilityFeatureSchema, "FacilityCollection")


class FacilityQueryArgsSchema(QueryArgsSchema):
    cell_id = fields.UUID()
    region_code = fields.String(validate=REGION_CODE)
    kind = fields.String(validate=validate.OneOf(KINDS))
    risk_level = fields.String(validate=validate.OneOf(RISK_LEVELS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    q = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "Name part, USCC or licence"})
    near = LonLat(metadata={"description": "lon,lat — facilities within radius_m, nearest first"})
    radius_m = fields.Integer(load_default=1000, validate=validate.Range(1, 50_000))
    crs = crs_field()


class ImportReportSchema(ma.Schema):
    rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    failed = fields.Integer()
    errors = fields.List(fields.Dict(), metadata={"description": "{line, errors: {field: [reasons]}} per bad row"})
