import marshmallow as ma
from marshmallow import fields, validate

from backend.common import clock
from backend.common.blueprint import QueryArgsSchema
from backend.common.geo import LonLat, crs_field
from backend.facilities.models import KINDS, RISK_LEVELS
from backend.inspections.models import TASK_KINDS, TASK_STATUSES
from backend.regions.schemas import REGION_CODE

CODE = validate.Regexp(r"^[a-z0-9][a-z0-9._-]{1,39}$", error="2-40 lowercase letters, digits, '.', '_' or '-'.")


class ChecklistItemSchema(ma.Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9._-]{1,20}$"))
    text_zh = fields.String(required=True, validate=validate.Length(min=1, max=500))
    text_en = fields.String(required=True, validate=validate.Length(min=1, max=500))
    key_item = fields.Boolean(load_default=False, metadata={"description": "重点项: failing it means non-compliant"})


class ChecklistTemplateSchema(ma.Schema):
    id = fields.UUID(dump_only=True)
    code = fields.String(required=True, validate=CODE)
    version = fields.Integer(dump_only=True)
    title_zh = fields.String(required=True, validate=validate.Length(min=1, max=200))
    title_en = fields.String(required=True, validate=validate.Length(min=1, max=200))
    facility_kinds = fields.List(fields.String(validate=validate.OneOf(KINDS)), required=True,
                                 validate=validate.Length(min=1))
    threshold = fields.Integer(load_default=8, validate=validate.Range(min=1, max=100),
                               metadata={"description": "General-item failures from which the outcome is "
                                                        "non-compliant (基本符合 below it)"})
    status = fields.String(dump_only=True)
    published_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    items = fields.List(fields.Nested(ChecklistItemSchema), required=True, validate=validate.Length(max=300))


class ChecklistDraftUpdateSchema(ma.Schema):
    title_zh = fields.String(validate=validate.Length(min=1, max=200))
    title_en = fields.String(validate=validate.Length(min=1, max=200))
    facility_kinds = fields.List(fields.String(validate=validate.OneOf(KINDS)), validate=validate.Length(min=1))
    threshold = fields.Integer(validate=validate.Range(min=1, max=100))
    items = fields.List(fields.Nested(ChecklistItemSchema), validate=validate.Length(max=300))


class ChecklistQueryArgsSchema(QueryArgsSchema):
    code = fields.String(validate=CODE)
    facility_kind = fields.String(validate=validate.OneOf(KINDS))
    status = fields.String(validate=validate.OneOf(("draft", "published")))


class PlanCreateSchema(ma.Schema):
    region_code = fields.String(required=True, validate=REGION_CODE)
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    visits_per_level = fields.Dict(
        keys=fields.String(validate=validate.OneOf(RISK_LEVELS)), values=fields.Integer(validate=validate.Range(0, 52)),
        metadata={"description": "Visits per year by risk level; default VISITS_PER_YEAR (A=1,B=1,C=2,D=3)"})

    @ma.validates("visits_per_level")
    def _all_levels(self, value, **_):
        if set(value) != set(RISK_LEVELS):
            raise ma.ValidationError("Give a number of visits for each of A, B, C and D.")


class PlanSchema(ma.Schema):
    id = fields.UUID()
    region_code = fields.String()
    year = fields.Integer()
    visits_per_level = fields.Dict(keys=fields.String(), values=fields.Integer())
    tasks_created = fields.Integer()
    created_at = fields.AwareDateTime()


class TaskSchema(ma.Schema):
    id = fields.UUID()
    kind = fields.String()
    status = fields.String()
    facility_id = fields.UUID()
    cell_id = fields.UUID(allow_none=True)
    region_code = fields.String()
    assignee_id = fields.UUID(allow_none=True)
    plan_id = fields.UUID(allow_none=True)
    sequence = fields.Integer()
    due_at = fields.AwareDateTime()
    overdue = fields.Function(lambda task: task.is_overdue(clock.now()))
    started_at = fields.AwareDateTime(allow_none=True)
    completed_at = fields.AwareDateTime(allow_none=True)


class TaskQueryArgsSchema(QueryArgsSchema):
    assignee = fields.String(metadata={"description": "`me`, or an inspector id"},
                             validate=validate.Regexp(r"^(me|[0-9a-fA-F-]{36})$", error="me or a user id"))
    status = fields.String(validate=validate.OneOf(TASK_STATUSES))
    kind = fields.String(validate=validate.OneOf(TASK_KINDS))
    due_after = fields.AwareDateTime()
    due_before = fields.AwareDateTime()
    overdue = fields.Boolean()
    near = LonLat(metadata={"description": "lon,lat — nearest facilities first"})
    crs = crs_field()
