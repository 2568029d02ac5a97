import marshmallow as ma
from marshmallow import fields, validate

from backend.common.blueprint import QueryArgsSchema
from backend.common.validators import decimal_range
from backend.recalls.models import RECALL_STATUSES
from backend.recalls.rules import TRANSITIONS
from backend.recalls.views import public_notice

LEVEL = validate.OneOf((1, 2, 3))
KIND = validate.OneOf(("voluntary", "ordered"))
TEXT = validate.Length(min=1, max=4000)


QUANTITY = {"as_string": False, "allow_none": True, "validate": decimal_range(0, 10**15, message="Quantities are ≥ 0."),
            "metadata": {"description": "≥ 0"}}


class RecallCreateSchema(ma.Schema):
    producer_facility_id = fields.UUID(required=True)
    lot_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=100))
    reason = fields.String(required=True, validate=TEXT)
    trigger = fields.String(load_default="manual", validate=validate.OneOf(("manual", "complaint")))
    kind = fields.String(allow_none=True, validate=KIND, metadata={"description": "voluntary 主动 | ordered 责令"})
    level = fields.Integer(allow_none=True, validate=LEVEL)
    hazard = fields.String(allow_none=True, validate=TEXT)
    notice = fields.String(allow_none=True, validate=TEXT, metadata={"description": "Public notice, no personal data"})


class RecallSchema(ma.Schema):
    id = fields.UUID()
    number = fields.String(allow_none=True)
    status = fields.String()
    level = fields.Integer(allow_none=True)
    kind = fields.String(allow_none=True)
    trigger = fields.String()
    sample_id = fields.UUID(allow_none=True)
    producer_facility_id = fields.UUID(allow_none=True)
    region_code = fields.String()
    lot_ids = fields.Function(lambda recall: [str(lot.lot_id) for lot in recall.lots])
    reason = fields.String()
    hazard = fields.String(allow_none=True)
    notice = fields.String(allow_none=True)
    initiated_at = fields.AwareDateTime(allow_none=True)
    start_deadline = fields.AwareDateTime(allow_none=True, metadata={"description": "Start and notify by"})
    complete_deadline = fields.AwareDateTime(allow_none=True)
    completed_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()


class RecallDetailSchema(RecallSchema):
    scope = fields.List(fields.Dict(), attribute="summary.scope",
                        metadata={"description": "Facilities reached, with quantities and status"})
    progress = fields.Dict(attribute="summary.progress",
                           metadata={"description": "Counts, quantities and effectiveness (recovered ÷ distributed)"})
    remaining_seconds = fields.Dict(attribute="summary.remaining_seconds",
                                    metadata={"description": "Time left to the start and completion deadlines"})
    overdue = fields.Boolean(attribute="summary.overdue")
    actions = fields.List(fields.Dict(), attribute="summary.actions", metadata={"description": "The recall's history"})


class RecallQueryArgsSchema(QueryArgsSchema):
    status = fields.String(validate=validate.OneOf(RECALL_STATUSES))
    level = fields.Integer(validate=LEVEL)
    overdue = fields.Boolean()


class TransitionSchema(ma.Schema):
    OPENAPI_EXTRA = {  # _required_for_action
        "if": {"properties": {"action": {"const": "change_level"}}, "required": ["action"]},
        "then": {"required": ["level"], "properties": {"level": {"type": "integer"}}},
    }
    action = fields.String(required=True, validate=validate.OneOf((*TRANSITIONS, "change_level", "refresh_scope")))
    note = fields.String(allow_none=True, validate=TEXT, metadata={"description": "Required to reject or cancel"})
    level = fields.Integer(allow_none=True, validate=LEVEL)
    kind = fields.String(allow_none=True, validate=KIND)
    hazard = fields.String(allow_none=True, validate=TEXT)
    notice = fields.String(allow_none=True, validate=TEXT)

    @ma.validates_schema
    def _required_for_action(self, data, **_):
        # Before anything is looked up: a missing level is invalid input, never a conflict.
        if data.get("action") == "change_level" and data.get("level") is None:
            raise ma.ValidationError({"level": ["Required to change the level."]})


class ProgressSchema(ma.Schema):
    facility_id = fields.UUID(required=True)
    recovered = fields.Decimal(**QUANTITY)
    destroyed = fields.Decimal(**QUANTITY)
    note = fields.String(allow_none=True, validate=TEXT)


class WaiveSchema(ma.Schema):
    facility_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=TEXT)


class RecallFacilitySchema(ma.Schema):
    id = fields.UUID(metadata={"description": "owner_id of its evidence (owner_type recall_facility)"})
    facility_id = fields.UUID()
    unit = fields.String()
    distributed = fields.Float()
    recovered = fields.Float()
    destroyed = fields.Float()
    status = fields.String()
    task_id = fields.UUID(allow_none=True)
    note = fields.String(allow_none=True)


class PublicRecallSchema(ma.Schema):
    """What the public may read: the notice, the products and lots, the producer's name."""

    number = fields.String()
    level = fields.Integer()
    status = fields.String()
    producer = fields.String(allow_none=True)
    products = fields.List(fields.Dict(), metadata={"description": "[{product, lot_code}]"})
    hazard = fields.String(allow_none=True)
    notice = fields.String(allow_none=True)
    initiated_at = fields.AwareDateTime()

    @ma.pre_dump
    def _notice(self, recall, **_):
        return public_notice(recall)  # one lookup of products and producer per recall
