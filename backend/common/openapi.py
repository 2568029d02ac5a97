"""What the OpenAPI document says beyond apispec's defaults, so that it tells the exact truth
about what the service accepts. Registered once, in create_app().

- No text holds NUL (backend.common.json_input refuses it in JSON bodies, query strings
  refuse it, PostgreSQL cannot store it): every free string says so with a `pattern`,
  every object's keys with `propertyNames`, and free-form JSON values are `JsonValue`.
- `DecimalRange` (backend.common.validators) and `validate.Range(min_inclusive=False, …)`
  bounds are numbers with their exclusivity (apispec prints neither).
- A schema class may carry `OPENAPI_EXTRA`, JSON Schema merged into its component: the
  conditional requirements (`if`/`then`) its `validates_schema` enforces.
"""
from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from apispec import BasePlugin
from marshmallow import fields, validate

from backend.common.validators import DecimalRange

NO_NUL = r"^[^\u0000]*$"
NUL_FREE_KEYS = {"pattern": NO_NUL}
JSON_VALUE_REF = {"$ref": "#/components/schemas/JsonValue"}


def _json_value(array_depth: int) -> dict:
    """One schema with a list of types (each keyword applies to its own type). Objects refer
    back to JsonValue; arrays cannot (TypeScript generators cannot type an array of the union
    holding it), so arrays directly inside arrays are spelt out `array_depth` levels deep."""
    schema = {"type": ["string", "number", "boolean", "null", "array", "object"], "pattern": NO_NUL,
              "propertyNames": NUL_FREE_KEYS, "additionalProperties": JSON_VALUE_REF}
    if array_depth:
        schema["items"] = _json_value(array_depth - 1)
    return schema


JSON_VALUE = {"description": "Any JSON value whose strings and keys hold no NUL character", **_json_value(4)}


def _string_property(self, field, ret: dict, **kwargs) -> dict:
    """A free text is any text without NUL; enums, formats and patterns say more already."""
    if not isinstance(field, fields.String) or {"enum", "const", "format", "pattern"} & set(ret):
        return {}
    return {"pattern": NO_NUL}


def _dict_property(self, field, ret: dict, **kwargs) -> dict:
    if not isinstance(field, fields.Dict) or "propertyNames" in ret:
        return {}
    extra: dict = {"propertyNames": NUL_FREE_KEYS}
    if "additionalProperties" in field.metadata:  # apispec would put the values' schema over it
        extra["additionalProperties"] = field.metadata["additionalProperties"]
    elif ret.get("additionalProperties") == {}:
        extra["additionalProperties"] = JSON_VALUE_REF
    return extra


def _range_property(self, field, ret: dict, **kwargs) -> dict:
    extra: dict = {}
    for validator in field.validators:
        if isinstance(validator, DecimalRange):
            extra.update(validator.json_schema())
            step = getattr(field, "places", None)  # marshmallow keeps Decimal("0.001") for places=3
            if validator.positive and step is not None:  # what rounds to 0 (half-even) is not > 0
                extra["exclusiveMinimum"] = float(Decimal(step) / 2)
        elif isinstance(validator, validate.Range):
            if validator.min is not None and not validator.min_inclusive and "minimum" in ret:
                extra["exclusiveMinimum"] = ret.pop("minimum")
            if validator.max is not None and not validator.max_inclusive and "maximum" in ret:
                extra["exclusiveMaximum"] = ret.pop("maximum")
    return extra


class SchemaExtrasPlugin(BasePlugin):
    """Merges a schema class's `OPENAPI_EXTRA` into its component; a schema taking unknown
    keys (`Meta.unknown = INCLUDE`) documents them as NUL-free keys of JSON values."""

    def schema_helper(self, name, definition, schema=None, **kwargs):
        if schema is None:
            return None
        cls = schema if isinstance(schema, type) else type(schema)
        extra = dict(getattr(cls, "OPENAPI_EXTRA", None) or {})
        if definition.get("additionalProperties") is True or getattr(cls.Meta, "unknown", None) == ma.INCLUDE:
            extra.setdefault("propertyNames", NUL_FREE_KEYS)
            extra.setdefault("additionalProperties", JSON_VALUE_REF)
        return {**definition, **extra} if extra else None


def register_openapi_extras(api) -> None:
    api.spec.components.schema("JsonValue", component=JSON_VALUE)
    converter = api.ma_plugin.converter
    for function in (_string_property, _dict_property, _range_property):
        converter.add_attribute_function(function)
