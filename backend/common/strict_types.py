"""JSON bodies are strictly typed: an Integer field takes a JSON integer (not 2027.5, not
"2027"), a Boolean true/false (not "no", not 1), a number a JSON number, a string a
string. marshmallow coerces by design — which query strings need ("?page=2",
"?overdue=true") — so the raw JSON is checked against the schema's fields before it is
loaded. Containers and custom fields (GeoJSON) check their own shape.
"""
from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import Schema, fields

_RULES = (  # field classes → accepted JSON types; bool is an int in Python, so it is checked apart
    (fields.Boolean, (bool,)),
    (fields.Integer, (int,)),
    (fields.Number, (int, float)),
    ((fields.String, fields.UUID, fields.DateTime, fields.Date, fields.Time), (str,)),
)


class _WrongType:
    """Stands in for a value of the wrong JSON type: every scalar field refuses it with its
    own message ("Not a valid integer."), among the schema's other errors."""

    def __repr__(self) -> str:
        return "wrong JSON type"

    __str__ = __repr__


WRONG_TYPE = _WrongType()


def _accepts(field: fields.Field, value) -> bool:
    if isinstance(field, fields.Integer) and isinstance(value, float):
        return value.is_integer()  # JSON Schema's integer: 2027.0 is 2027; 2027.5 is not
    for classes, types in _RULES:
        if isinstance(field, classes):
            return isinstance(value, types) and (bool in types or not isinstance(value, bool))
    return True


def _field_value(field: fields.Field, value):
    if value is None or isinstance(field, fields.Pluck):
        return value  # allow_none is the schema's business
    if isinstance(field, fields.Nested):
        schema = field.schema
        if field.many or schema.many:
            return [_schema_value(schema, item) for item in value] if isinstance(value, list) else value
        return _schema_value(schema, value)
    if isinstance(field, fields.List):
        return [_field_value(field.inner, item) for item in value] if isinstance(value, list) else value
    if isinstance(field, fields.Tuple):
        if not isinstance(value, list):
            return value
        return [_field_value(inner, item) for inner, item in zip(field.tuple_fields, value)] + \
            value[len(field.tuple_fields):]
    if isinstance(field, fields.Mapping):
        if isinstance(value, dict) and field.value_field is not None:
            return {key: _field_value(field.value_field, item) for key, item in value.items()}
        return value
    if isinstance(field, fields.DateTime) and isinstance(value, str) and not _in_utc_range(value):
        return WRONG_TYPE
    return value if _accepts(field, value) else WRONG_TYPE


def _in_utc_range(text: str) -> bool:
    """False for a time whose UTC instant falls outside years 1–9999 (`0001-01-01T00:00+02:00`):
    valid RFC 3339, but no Python datetime (nor comparison, digest or storage) can hold it."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return True  # not ISO at all: the field itself says why
    try:
        moment.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return False
    return True


def _schema_value(schema: Schema, data):
    if not isinstance(data, dict):
        return data  # "Invalid input type." comes from marshmallow itself
    checked = dict(data)
    for name, field in schema.load_fields.items():
        key = field.data_key if field.data_key is not None else name
        if key in checked:
            checked[key] = _field_value(field, checked[key])
    return checked


def strictly_typed(schema: Schema, data):
    """`data` (parsed JSON) with each value whose JSON type does not match its field
    replaced by WRONG_TYPE, so that loading it reports that field with the others."""
    if schema.many and isinstance(data, list):
        return [_schema_value(schema, item) for item in data]
    return _schema_value(schema, data)


def load_json(schema: Schema, data):
    """schema.load for a value that came from a JSON body (e.g. one item of a batch)."""
    return schema.load(strictly_typed(schema, data))
