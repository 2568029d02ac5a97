import marshmallow as ma
from marshmallow import fields, validate

from backend.common import clock
from backend.common.batch import ItemsLoadedAlone
from backend.common.blueprint import QueryArgsSchema
from backend.common.geo import LonLat, crs_field
from backend.common.geojson import GeoJSONGeometry
from backend.config import visit_rate_error
from backend.facilities.models import KINDS, RISK_LEVELS
from backend.inspections.models import (
    ATTACHMENT_OWNERS,
    CHECK_FLAGS,
    OUTCOMES,
    RECTIFICATION_STATUSES,
    TASK_KINDS,
    TASK_STATUSES,
)
from backend.regions.schemas import REGION_CODE

UUID_OR_ME = r"^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
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
        keys=fields.String(validate=validate.OneOf(RISK_LEVELS)),
        values=fields.Float(validate=validate.Range(0, 52), allow_nan=False),
        metadata={"description": "Visits per year by risk level, a fraction 1/N being one visit every N years; "
                                 "default VISITS_PER_YEAR (A=0.5,B=1,C=2,D=3)",
                  "properties": {level: {"type": "number", "minimum": 0, "maximum": 52,  # visit_rate_error
                                          "anyOf": [{"type": "integer"}, {"exclusiveMaximum": 1}]}
                                  for level in RISK_LEVELS},
                  "required": list(RISK_LEVELS), "additionalProperties": False})

    @ma.validates("visits_per_level")
    def _all_levels(self, value, **_):
        if set(value) != set(RISK_LEVELS):
            raise ma.ValidationError("Give a number of visits for each of A, B, C and D.")
        errors = [f"{level}: {error}" for level, rate in sorted(value.items()) if (error := visit_rate_error(rate))]
        if errors:
            raise ma.ValidationError(errors)


class PlanSchema(ma.Schema):
    id = fields.UUID()
    region_code = fields.String()
    year = fields.Integer()
    visits_per_level = fields.Dict(keys=fields.String(), values=fields.Float())
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
                             validate=validate.Regexp(UUID_OR_ME, error="me or a user id"))
    status = fields.String(validate=validate.OneOf(TASK_STATUSES))
    kind = fields.String(validate=validate.OneOf(TASK_KINDS))
    due_after = fields.AwareDateTime()
    due_before = fields.AwareDateTime()
    overdue = fields.Boolean()
    near = LonLat(metadata={"description": "lon,lat — nearest facilities first"})
    crs = crs_field()


class CheckResultSchema(ma.Schema):
    item = fields.String(required=True, validate=validate.Length(min=1, max=20),
                         metadata={"description": "Item code of the template version"})
    result = fields.String(required=True, validate=validate.OneOf(("pass", "fail", "na")))
    note = fields.String(load_default="", validate=validate.Length(max=1000))


class CheckCreateSchema(ma.Schema):
    id = fields.UUID(required=True, metadata={"description": "Made by the phone when the inspection starts; "
                                                            "resending the same check with it is safe"})
    facility_id = fields.UUID(required=True)
    task_id = fields.UUID(allow_none=True)
    template_code = fields.String(required=True, validate=CODE)
    template_version = fields.Integer(required=True, validate=validate.Range(min=1))
    results = fields.List(fields.Nested(CheckResultSchema), required=True, validate=validate.Length(min=1, max=300))
    note = fields.String(load_default="", validate=validate.Length(max=4000))
    started_at = fields.AwareDateTime(required=True, metadata={"description": "Device clock"})
    finished_at = fields.AwareDateTime(required=True, metadata={"description": "Device clock"})
    sent_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "Device clock when sending (for clock-skew detection; may differ between retries)"})
    location = GeoJSONGeometry(allowed=("Point",), allow_none=True,
                               metadata={"description": "The phone's fix; missing or implausible fixes are flagged"})
    location_accuracy_m = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1_000_000))
    crs = crs_field()


class RectificationOrderSchema(ma.Schema):
    id = fields.UUID()
    check_id = fields.UUID()
    facility_id = fields.UUID()
    region_code = fields.String()
    failed_items = fields.List(fields.String())
    deadline = fields.AwareDateTime()
    status = fields.String(metadata={"description": "open, rectified or not_rectified"})
    overdue = fields.Function(lambda order: order.is_overdue(clock.now()))
    follow_up_task_id = fields.UUID()
    closing_check_id = fields.UUID(allow_none=True)
    issued_by = fields.UUID()
    issued_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)


class CheckSchema(ma.Schema):
    id = fields.UUID()
    inspector_id = fields.UUID()
    facility_id = fields.UUID()
    task_id = fields.UUID(allow_none=True)
    template_code = fields.String(attribute="template.code")
    template_version = fields.Integer(attribute="template.version")
    region_code = fields.String()
    cell_id = fields.UUID(allow_none=True)
    results = fields.List(fields.Nested(CheckResultSchema))
    note = fields.String()
    outcome = fields.String(metadata={"description": "compliant 符合, basically_compliant 基本符合, "
                                                     "non_compliant 不符合 — computed by the server"})
    key_failures = fields.Integer()
    general_failures = fields.Integer()
    started_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    received_at = fields.AwareDateTime()
    location = GeoJSONGeometry(allowed=("Point",), allow_none=True, metadata={"description": "WGS-84"})
    location_accuracy_m = fields.Float(allow_none=True)
    distance_m = fields.Float(allow_none=True, metadata={"description": "From the facility, in metres"})
    flags = fields.List(fields.String(validate=validate.OneOf(CHECK_FLAGS)),
                        metadata={"description": f"For review: {', '.join(CHECK_FLAGS)}"})
    rectification_order = fields.Nested(RectificationOrderSchema, allow_none=True)


class CheckQueryArgsSchema(QueryArgsSchema):
    facility_id = fields.UUID()
    inspector_id = fields.UUID()
    task_id = fields.UUID()
    region_code = fields.String(validate=REGION_CODE)
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
    flag = fields.String(validate=validate.OneOf(CHECK_FLAGS))
    flagged = fields.Boolean()
    received_after = fields.AwareDateTime()
    received_before = fields.AwareDateTime()


class CheckBatchSchema(ma.Schema):
    ITEMS_CHECKED_ALONE = ("checks",)

    checks = ItemsLoadedAlone(CheckCreateSchema, required=True, validate=validate.Length(min=1, max=100),
                              metadata={"description": "Up to 100 checks, each as POST /checks takes it. Each is "
                                                       "validated and stored on its own: a malformed one (even "
                                                       "null) is refused in its own result, never the batch."})


class BatchItemSchema(ma.Schema):
    index = fields.Integer()
    id = fields.Raw(allow_none=True, metadata={"description": "The check id as sent"})
    status = fields.String(metadata={"description": "created, replayed, conflict, invalid, forbidden, internal"})
    http_status = fields.Integer(metadata={"description": "What POST /checks would have answered"})
    check = fields.Nested(CheckSchema, allow_none=True)
    problem = fields.Dict(allow_none=True, metadata={"description": "problem+json body for a refused item"})


class CheckBatchResultSchema(ma.Schema):
    results = fields.List(fields.Nested(BatchItemSchema))
    created = fields.Integer()
    replayed = fields.Integer()
    refused = fields.Integer()


class RectificationQueryArgsSchema(QueryArgsSchema):
    status = fields.String(validate=validate.OneOf(RECTIFICATION_STATUSES))
    facility_id = fields.UUID()
    region_code = fields.String(validate=REGION_CODE)
    overdue = fields.Boolean()
    deadline_before = fields.AwareDateTime()


class TaskCancelSchema(ma.Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


# ---------------------------------------------------------------- attachments

class AttachmentSchema(ma.Schema):
    id = fields.UUID(metadata={"description": "Made by the phone; resending the same upload with it is safe"})
    owner_type = fields.String(metadata={"description": f"One of: {', '.join(ATTACHMENT_OWNERS)}"})
    owner_id = fields.UUID()
    content_type = fields.String(metadata={"description": "Sniffed from the bytes (never taken from the request)"})
    size_bytes = fields.Integer()
    sha256 = fields.String(metadata={"description": "SHA-256 of the bytes, hex; also the download's ETag"})
    exif_location = GeoJSONGeometry(allowed=("Point",), allow_none=True,
                                    metadata={"description": "Where the photo's EXIF GPS says it was taken (WGS-84)"})
    uploaded_by = fields.UUID()
    created_at = fields.AwareDateTime()


class AttachmentOwnerArgsSchema(QueryArgsSchema):
    owner_type = fields.String(required=True, validate=validate.OneOf(ATTACHMENT_OWNERS))
    owner_id = fields.UUID(required=True)


class AttachmentUploadHeadersSchema(ma.Schema):
    content_sha256 = fields.String(
        data_key="X-Content-SHA256", validate=validate.Regexp(r"^[0-9a-fA-F]{64}$", error="64 hex digits."),
        metadata={"description": "SHA-256 of the bytes as the phone has them (hex): a body cut short in "
                                 "transit is then refused (422 sha256_mismatch) instead of stored"})
