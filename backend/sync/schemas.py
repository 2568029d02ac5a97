import marshmallow as ma
from marshmallow import fields, validate

from backend.common.blueprint import QueryArgsSchema
from backend.common.geojson import GeoJSONGeometry
from backend.facilities.schemas import FacilityFeatureSchema
from backend.inspections.schemas import ChecklistTemplateSchema, TaskSchema
from backend.sync import cursor as cursors


class SyncArgsSchema(QueryArgsSchema):
    cursor = fields.String(validate=validate.Length(max=4000), metadata={
        "description": "From the previous answer; omit for a full sync (then replace everything held locally)"})
    limit = fields.Integer(validate=validate.Range(min=1, max=2000),
                           metadata={"description": "Most rows in one answer (default SYNC_PAGE_SIZE, 500)"})


class SyncCellSchema(ma.Schema):
    type = fields.Constant("Feature")
    id = fields.UUID()
    geometry = GeoJSONGeometry(attribute="boundary", allowed=("MultiPolygon",))
    properties = fields.Function(lambda cell: {"code": cell.code, "name": cell.name, "region_code": cell.region_code,
                                               "status": cell.status})


class TombstoneSchema(ma.Schema):
    type = fields.String(attribute="entity_type", metadata={
        "description": "cell (drop it and its facilities), facility or task"})
    id = fields.UUID(attribute="entity_id")


class SyncPageSchema(ma.Schema):
    full = fields.Boolean(metadata={"description": "A full sync: replace local data with what follows"})
    templates = fields.List(fields.Nested(ChecklistTemplateSchema))
    cells = fields.List(fields.Nested(SyncCellSchema))
    facilities = fields.List(fields.Nested(FacilityFeatureSchema))
    tasks = fields.List(fields.Nested(TaskSchema))
    tombstones = fields.List(fields.Nested(TombstoneSchema))
    cursor = fields.Function(lambda page: cursors.encode(page.cursor),
                             metadata={"description": "Send it with the next sync"})
    has_more = fields.Boolean(metadata={"description": "Call again at once with the new cursor"})
