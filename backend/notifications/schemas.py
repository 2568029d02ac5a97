import marshmallow as ma
from marshmallow import fields

from backend.common.blueprint import QueryArgsSchema


class NotificationSchema(ma.Schema):
    id = fields.UUID()
    topic = fields.String(metadata={"description": "recall.initiated, task.overdue, …"})
    title = fields.String(metadata={"description": "zh-CN"})
    body = fields.String(metadata={"description": "zh-CN"})
    payload = fields.Dict(metadata={"description": "The event's data (ids, numbers), with title_en and body_en"})
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)


class NotificationQueryArgsSchema(QueryArgsSchema):
    unread = fields.Boolean(metadata={"description": "true: only unread ones; false: only read ones"})
