import marshmallow as ma
from marshmallow import fields, validate

from backend.common.blueprint import QueryArgsSchema
from backend.facilities.models import KINDS

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
