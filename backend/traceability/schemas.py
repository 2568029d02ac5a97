import marshmallow as ma
from marshmallow import fields, validate

from backend.common.batch import ItemsLoadedAlone
from backend.common.blueprint import QueryArgsSchema
from backend.common.validators import decimal_range
from backend.regions.schemas import REGION_CODE
from backend.traceability.models import EVENT_TYPES, VIOLATION_TYPES

GTIN = validate.Regexp(r"^\d{8}$|^\d{12,14}$", error="A GTIN has 8, 12, 13 or 14 digits.")
UNIT = fields.String(required=True, validate=validate.Length(min=1, max=16),
                     metadata={"description": "kg, box, piece, UN/ECE codes like KGM…; must be the lot's unit"})


QUANTITY = {"required": True, "as_string": False, "places": 3,
            "validate": decimal_range(0, 10**15, positive=True, message="Quantities are > 0 (and below 10^15)."),
            "metadata": {"description": "> 0"}}


class ProductSchema(ma.Schema):
    id = fields.UUID(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    category = fields.String(required=True, validate=validate.Length(min=1, max=64))
    gtin = fields.String(allow_none=True, validate=GTIN)
    owner_facility_id = fields.UUID(allow_none=True)


class ProductQueryArgsSchema(QueryArgsSchema):
    gtin = fields.String(validate=GTIN)
    q = fields.String(validate=validate.Length(min=1, max=100))


class LotSchema(ma.Schema):
    id = fields.UUID(dump_only=True)
    lot_code = fields.String(required=True, validate=validate.Length(min=1, max=80))
    product_id = fields.UUID(required=True)
    product = fields.String(attribute="product.name", dump_only=True)
    facility_id = fields.UUID(required=True, metadata={"description": "The producer, who assigned the lot code"})
    region_code = fields.String(dump_only=True)
    quantity = fields.Float(allow_none=True, validate=validate.Range(min=0, max=10**15, max_inclusive=False),
                            metadata={"description": "≥ 0, below 10^15 (stored as NUMERIC(18, 3))"})
    unit = UNIT
    produced_at = fields.AwareDateTime(allow_none=True)
    expires_at = fields.AwareDateTime(allow_none=True)


class LotQueryArgsSchema(QueryArgsSchema):
    lot_code = fields.String(validate=validate.Length(min=1, max=80))
    product_id = fields.UUID()
    facility_id = fields.UUID()
    region_code = fields.String(validate=REGION_CODE)


class LotLineSchema(ma.Schema):
    lot_id = fields.UUID(required=True)
    quantity = fields.Decimal(**QUANTITY)
    unit = UNIT


class TraceEventInputSchema(ma.Schema):
    """A single-lot event names `lot_id`, `quantity`, `unit`; a transform names `inputs` and `outputs`."""

    OPENAPI_EXTRA = {  # _shape
        "if": {"properties": {"type": {"const": "transform"}}, "required": ["type"]},
        "then": {"required": ["inputs", "outputs"],
                 "properties": {"lot_id": False, "quantity": False, "unit": False}},
        "else": {"required": ["lot_id", "quantity", "unit"], "properties": {"inputs": False, "outputs": False}},
    }

    event_id = fields.String(required=True, validate=validate.Length(min=1, max=200),
                             metadata={"description": "The sender's id for this event; resending it is safe"})
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    occurred_at = fields.AwareDateTime(required=True)
    facility_id = fields.UUID(required=True, metadata={"description": "Where it happened (ship: the sender)"})
    other_facility_id = fields.UUID(allow_none=True, metadata={"description": "ship: destination; receive: source"})
    lot_id = fields.UUID()
    quantity = fields.Decimal(**{**QUANTITY, "required": False})
    unit = fields.String(validate=validate.Length(min=1, max=16))
    inputs = fields.List(fields.Nested(LotLineSchema), validate=validate.Length(min=1, max=200))
    outputs = fields.List(fields.Nested(LotLineSchema), validate=validate.Length(min=1, max=200))
    reference = fields.String(allow_none=True, validate=validate.Length(max=200),
                              metadata={"description": "Reference document type and number, e.g. BOL 2026-0042"})

    @ma.validates_schema
    def _shape(self, data, **_):
        if data.get("type") == "transform":
            missing = [name for name in ("inputs", "outputs") if not data.get(name)]
            stray = [name for name in ("lot_id", "quantity", "unit") if name in data]
        else:
            missing = [name for name in ("lot_id", "quantity", "unit") if name not in data]
            stray = [name for name in ("inputs", "outputs") if name in data]
        errors = {name: ["Required for this event type."] for name in missing}
        errors.update({name: ["Not used by this event type."] for name in stray})
        if errors:
            raise ma.ValidationError(errors)

    @ma.post_load
    def _lines(self, data, **_):
        """The service's form: every lot as a line with its role."""
        if data["type"] == "transform":
            lines = [{"role": role, **line} for key, role in (("inputs", "input"), ("outputs", "output"))
                     for line in data.pop(key)]
        else:
            lines = [{"role": "subject", "lot_id": data.pop("lot_id"), "quantity": data.pop("quantity"),
                      "unit": data.pop("unit")}]
        return {**data, "lines": lines}


class TraceEventSchema(ma.Schema):
    id = fields.UUID()
    event_id = fields.String()
    type = fields.String()
    occurred_at = fields.AwareDateTime()
    facility_id = fields.UUID()
    other_facility_id = fields.UUID(allow_none=True)
    region_code = fields.String()
    reference = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(ma.Schema.from_dict({
        "lot_id": fields.UUID(), "role": fields.String(), "quantity": fields.Float(),
        "unit": fields.String()}, name="TraceEventLine")))
    flags = fields.List(fields.String(), metadata={"description": "future_time: stored, flagged for review"})
    source = fields.String()
    recorded_at = fields.AwareDateTime()


class TraceEventQueryArgsSchema(QueryArgsSchema):
    lot_id = fields.UUID()
    facility_id = fields.UUID()
    type = fields.String(validate=validate.OneOf(EVENT_TYPES))


class TraceBatchSchema(ma.Schema):
    ITEMS_CHECKED_ALONE = ("events",)

    events = ItemsLoadedAlone(TraceEventInputSchema, required=True, validate=validate.Length(min=1, max=1000),
                              metadata={"description": "Up to 1,000 events, each as POST /trace-events takes it. "
                                                       "Each is validated and stored on its own: a malformed one "
                                                       "(even null) is refused in its own result, never the batch."})


class TraceBatchItemSchema(ma.Schema):
    index = fields.Integer()
    event_id = fields.Raw(allow_none=True)
    status = fields.String(metadata={"description": "created, replayed, conflict, invalid, forbidden, internal"})
    http_status = fields.Integer()
    id = fields.UUID(allow_none=True)
    problem = fields.Dict(allow_none=True)


class TraceBatchResultSchema(ma.Schema):
    results = fields.List(fields.Nested(TraceBatchItemSchema))
    created = fields.Integer()
    replayed = fields.Integer()
    refused = fields.Integer()


class HoldingSchema(ma.Schema):
    lot_id = fields.UUID()
    facility_id = fields.UUID()
    quantity = fields.Float()
    unit = fields.String()
    updated_at = fields.AwareDateTime()


class ViolationSchema(ma.Schema):
    id = fields.UUID(allow_none=True)
    type = fields.String()
    event_id = fields.String(allow_none=True)
    lot_id = fields.UUID()
    facility_id = fields.UUID()
    region_code = fields.String()
    detail = fields.String()
    detected_at = fields.AwareDateTime()


class ViolationQueryArgsSchema(QueryArgsSchema):
    region_code = fields.String(validate=REGION_CODE)
    type = fields.String(validate=validate.OneOf(VIOLATION_TYPES))
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()


class TraceArgsSchema(QueryArgsSchema):
    direction = fields.String(load_default="both", validate=validate.OneOf(("back", "forward", "both")))
    max_depth = fields.Integer(load_default=20, validate=validate.Range(min=0),
                               metadata={"description": "Hops to follow; at most TRACE_MAX_DEPTH (default 50)"})
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "geojson", "epcis")),
                           metadata={"description": "json (default), geojson (map), epcis (EPCISDocument); "
                                                    "Accept: text/csv gives the FSMA 204-style spreadsheet"})


class TraceSchema(ma.Schema):
    lot_id = fields.UUID()
    lot_code = fields.String()
    direction = fields.String()
    max_depth = fields.Integer()
    truncated = fields.Boolean(metadata={"description": "The depth or node cap cut the trace short"})
    lots = fields.List(fields.Dict(), metadata={"description": "Lots reached, with product; depth < 0 upstream"})
    facilities = fields.List(fields.Dict(), metadata={"description": "Facilities reached, with location and cell"})
    events = fields.List(fields.Dict(), metadata={"description": "Movements walked: shipments and transformations"})
    records = fields.List(fields.Dict(), metadata={
        "description": "Every recorded event line at the places reached (the spreadsheet's rows)"})
    distributed = fields.List(fields.Dict(), metadata={"description": "Quantity received per facility (forward)"})
    totals = fields.Dict()
