import marshmallow as ma
from marshmallow import fields

from backend.common.blueprint import QueryArgsSchema


class AuditEntrySchema(ma.Schema):
    id = fields.Integer()
    occurred_at = fields.AwareDateTime()
    actor_id = fields.UUID(allow_none=True)
    actor_username = fields.String()
    action = fields.String()
    entity_type = fields.String()
    entity_id = fields.String(allow_none=True)
    region_code = fields.String(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    request_id = fields.String(allow_none=True)
    prev_hash = fields.String()
    hash = fields.String()


class AuditQueryArgsSchema(QueryArgsSchema):
    actor_id = fields.UUID()
    action = fields.String()
    entity_type = fields.String()
    entity_id = fields.String()
    since = fields.AwareDateTime(metadata={"description": "From this time (inclusive), RFC 3339"})
    until = fields.AwareDateTime(metadata={"description": "Before this time, RFC 3339"})


class ChainReportSchema(ma.Schema):
    ok = fields.Boolean()
    rows_checked = fields.Integer()
    first_broken_id = fields.Integer(allow_none=True, metadata={"description": "The first row whose link is broken"})
    reason = fields.String(allow_none=True)
    legacy_rows = fields.Integer(metadata={"description": "Rows hashed before the chain was keyed (plain SHA-256), "
                                                          "accepted up to the boundary a signed checkpoint fixed"})
    checkpoints = fields.Integer(metadata={"description": "Valid signed checkpoints in the checkpoint file"})
    checkpoint_rows = fields.Integer(allow_none=True, metadata={"description": "Rows the latest checkpoint covers"})
    checkpoint_head_id = fields.Integer(allow_none=True, metadata={"description": "The latest checkpoint's head row"})
    checkpoint_at = fields.String(allow_none=True, metadata={"description": "When the latest checkpoint was signed"})
    checkpoint_errors = fields.List(fields.String(), metadata={
        "description": "Checkpoint lines that are malformed or not signed with the audit key"})
