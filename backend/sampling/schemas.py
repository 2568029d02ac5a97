import marshmallow as ma
from marshmallow import fields, validate

from backend.common.blueprint import QueryArgsSchema
from backend.common.validators import decimal_range
from backend.regions.schemas import REGION_CODE
from backend.sampling.models import METHODS, SAMPLE_STATUSES
from backend.sampling.passrate import GROUPS
from backend.sampling.units import UNITS

NAME = validate.Length(min=1, max=64)


VALUE = {"as_string": False, "allow_nan": False,
         "validate": decimal_range(0, 10**12, message="Values are ≥ 0 (and below 10^12)."),
         "metadata": {"description": "≥ 0, below 10^12"}}


class RapidReadingSchema(ma.Schema):
    analyte = fields.String(required=True, validate=NAME)
    result = fields.String(required=True, validate=validate.OneOf(("negative", "positive")))
    kit = fields.String(load_default="", validate=validate.Length(max=120))


class SampleCreateSchema(ma.Schema):
    OPENAPI_EXTRA = {  # _rapid_readings
        "if": {"properties": {"method": {"const": "rapid"}}, "required": ["method"]},
        "then": {"required": ["rapid_results"], "properties": {"rapid_results": {"type": "array"}}},
        "else": {"properties": {"rapid_results": {"type": "null"}}},
    }
    id = fields.UUID(required=True, metadata={"description": "Made by the phone; resending is safe"})
    sample_no = fields.String(required=True, validate=validate.Length(min=1, max=40),
                              metadata={"description": "Printed on the seal"})
    facility_id = fields.UUID(required=True)
    task_id = fields.UUID(allow_none=True)
    check_id = fields.UUID(allow_none=True)
    lot_id = fields.UUID(allow_none=True)
    lot_code = fields.String(allow_none=True, validate=validate.Length(max=80))
    producer_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    producer_facility_id = fields.UUID(allow_none=True)
    product_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    food_category = fields.String(required=True, validate=NAME)
    quantity = fields.String(required=True, validate=validate.Length(min=1, max=40))
    method = fields.String(required=True, validate=validate.OneOf(METHODS))
    sampled_at = fields.AwareDateTime(required=True)
    rapid_results = fields.List(fields.Nested(RapidReadingSchema), allow_none=True,
                                validate=validate.Length(min=1, max=50),
                                metadata={"description": "Rapid tests only; null for a lab sample"})

    @ma.validates_schema
    def _rapid_readings(self, data, **_):
        if (data.get("method") == "rapid") != bool(data.get("rapid_results")):
            raise ma.ValidationError("A rapid test carries its readings; a lab sample does not.", "rapid_results")


class TestResultSchema(ma.Schema):
    __test__ = False
    id = fields.UUID()
    analyte = fields.String()
    value = fields.Float(metadata={"description": "In the limit's unit"})
    unit = fields.String()
    reported_value = fields.Float()
    reported_unit = fields.String()
    lod = fields.Float(allow_none=True)
    method = fields.String()
    lab_name = fields.String()
    limit_id = fields.UUID()
    limit = fields.Function(lambda r: {"max_value": r.limit.max_value and float(r.limit.max_value),
                                       "must_not_detect": r.limit.must_not_detect, "standard": r.limit.standard})
    verdict = fields.String(metadata={"description": "pass or fail, judged by the server"})
    entered_at = fields.AwareDateTime()
    superseded_by = fields.UUID(allow_none=True)
    amend_reason = fields.String(allow_none=True)
    retest = fields.Boolean(metadata={"description": "Entered by the re-test lab (复检)"})


class SampleSchema(SampleCreateSchema):
    region_code = fields.String()
    cell_id = fields.UUID(allow_none=True)
    status = fields.String(metadata={"description": ", ".join(SAMPLE_STATUSES)})
    collected_by = fields.UUID()
    received_in_lab_at = fields.AwareDateTime(allow_none=True)
    lab_name = fields.String(allow_none=True)
    verdict_at = fields.AwareDateTime(allow_none=True)
    notified_at = fields.AwareDateTime(allow_none=True)
    follow_up_task_id = fields.UUID(allow_none=True)
    lab_due_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "A lab sample reaches the lab by then (SAMPLE_DELIVERY_WORKING_DAYS after sampling)"})
    report_due_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "The lab reports by then (SAMPLE_REPORT_WORKING_DAYS after receipt)"})
    final_verdict = fields.String(allow_none=True, metadata={
        "description": "qualified or unqualified: the re-test's verdict once there is one, else the first"})
    retest_request = fields.Nested(lambda: RetestRequestSchema(), allow_none=True, dump_only=True)
    results = fields.List(fields.Nested(TestResultSchema))


class SampleQueryArgsSchema(QueryArgsSchema):
    status = fields.String(validate=validate.OneOf(SAMPLE_STATUSES))
    method = fields.String(validate=validate.OneOf(METHODS))
    facility_id = fields.UUID()
    lot_id = fields.UUID()
    region_code = fields.String(validate=REGION_CODE)
    overdue = fields.Boolean(metadata={"description": "Past the deadline of its current stage: not in the lab "
                                                      "5 working days after sampling, not reported 20 after "
                                                      "receipt, or a re-test request not answered in 5"})


class ReceiveSchema(ma.Schema):
    lab_name = fields.String(required=True, validate=validate.Length(min=1, max=120))


class ResultEntrySchema(ma.Schema):
    analyte = fields.String(required=True, validate=NAME)
    value = fields.Decimal(required=True, **VALUE)
    unit = fields.String(required=True, validate=validate.OneOf(tuple(UNITS)))
    lod = fields.Decimal(allow_none=True, **VALUE)
    method = fields.String(required=True, validate=validate.Length(min=1, max=120),
                           metadata={"description": "Test method standard, e.g. GB 23200.113-2018"})


class ResultsSchema(ma.Schema):
    results = fields.List(fields.Nested(ResultEntrySchema), required=True, validate=validate.Length(min=1, max=200))


class AmendSchema(ResultEntrySchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class VerdictSchema(ma.Schema):
    """No fields: the verdict is the server's, from the results."""


class LinkLotSchema(ma.Schema):
    lot_id = fields.UUID(required=True)


class NotifySchema(ma.Schema):
    notified_at = fields.AwareDateTime(metadata={"description": "When the business was told (default: now)"})


class RetestRequestSchema(ma.Schema):
    id = fields.UUID(dump_only=True)
    sample_id = fields.UUID(dump_only=True)
    method = fields.String(required=True, validate=validate.OneOf(METHODS))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    status = fields.String(dump_only=True)
    lab_name = fields.String(dump_only=True, allow_none=True)
    requested_at = fields.AwareDateTime(dump_only=True)
    window_ends_at = fields.AwareDateTime(dump_only=True)
    decide_by = fields.AwareDateTime(dump_only=True, allow_none=True,
                                     metadata={"description": "The regulator answers by then"})
    decided_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    verdict = fields.String(dump_only=True, allow_none=True, metadata={"description": "The re-test's verdict"})
    verdict_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class RetestDecisionSchema(ma.Schema):
    accept = fields.Boolean(required=True)
    lab_name = fields.String(allow_none=True, validate=validate.Length(min=1, max=120),
                             metadata={"description": "The re-test lab (must differ from the first)"})


class LimitSchema(ma.Schema):
    OPENAPI_EXTRA = {  # limits.create_limit: a maximum value, or must_not_detect
        "if": {"properties": {"must_not_detect": {"const": True}}, "required": ["must_not_detect"]},
        "then": {"properties": {"max_value": {"type": "null"}}},
        "else": {"required": ["max_value"], "properties": {"max_value": {"type": "number"}}},
    }
    id = fields.UUID(dump_only=True)
    analyte = fields.String(required=True, validate=NAME)
    food_category = fields.String(required=True, validate=NAME)
    max_value = fields.Decimal(allow_none=True, **VALUE)
    unit = fields.String(required=True, validate=validate.OneOf(tuple(UNITS)))
    must_not_detect = fields.Boolean(load_default=False)
    lod = fields.Decimal(allow_none=True, **VALUE)
    standard = fields.String(required=True, validate=validate.Length(min=1, max=120))
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(dump_only=True, allow_none=True)


class LimitQueryArgsSchema(QueryArgsSchema):
    analyte = fields.String(validate=NAME)
    food_category = fields.String(validate=NAME)
    on = fields.Date(metadata={"description": "Only the limits in force that day"})


class PassRateArgsSchema(QueryArgsSchema):
    group_by = fields.String(required=True, validate=validate.OneOf(tuple(GROUPS)))
    region_code = fields.String(validate=REGION_CODE)
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()


class PassRateSchema(ma.Schema):
    key = fields.String()
    judged = fields.Integer()
    qualified = fields.Integer()
    rate = fields.Float()
