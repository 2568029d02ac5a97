"""GeoJSON (RFC 7946) geometry as a marshmallow field, documented in the OpenAPI spec."""
from __future__ import annotations

import math

from geoalchemy2.elements import WKBElement
from geoalchemy2.shape import to_shape
from marshmallow import ValidationError, fields
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
# How deep positions sit in `coordinates`, by geometry type.
NESTING = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def dimension_errors(coordinates, nesting: int) -> dict[str, list[str]]:
    """Positions of one geometry all have 2 numbers or all 3 (shapely cannot build a mix).
    Called once position_errors found nothing."""
    sizes, stack = set(), [(coordinates, nesting)]
    while stack:
        value, depth = stack.pop()
        if depth:
            stack.extend((item, depth - 1) for item in value)
        else:
            sizes.add(len(value))
    if len(sizes) > 1:
        return {"coordinates": ["Every position of a geometry has an altitude, or none has."]}
    return {}


def position_errors(coordinates, nesting: int, path: str = "coordinates") -> dict[str, list[str]]:
    """RFC 7946 positions: 2 or 3 JSON numbers, longitude in [-180, 180], latitude in [-90, 90]."""
    if nesting:
        if not isinstance(coordinates, list):
            return {path: ["Must be an array."]}
        found: dict[str, list[str]] = {}
        for index, item in enumerate(coordinates):
            found.update(position_errors(item, nesting - 1, f"{path}.{index}"))
        return found
    if not isinstance(coordinates, list) or len(coordinates) not in (2, 3) or not all(map(_number, coordinates)):
        return {path: ["A position is [longitude, latitude] or [longitude, latitude, altitude], in numbers."]}
    if not (-180 <= coordinates[0] <= 180 and -90 <= coordinates[1] <= 90):
        return {path: ["Longitude must be within [-180, 180] and latitude within [-90, 90]."]}
    return {}


MEMBERS = ("type", "coordinates", "bbox")


def member_errors(value: dict) -> dict[str, list[str]]:
    """A geometry holds `type`, `coordinates` and optionally `bbox` (4 or 6 numbers); foreign
    members (RFC 7946 §6.1) are refused like any unknown field."""
    found = {f"{key}": ["Unknown field."] for key in value if key not in MEMBERS}
    if "bbox" in value:
        bbox = value["bbox"]
        if not isinstance(bbox, list) or len(bbox) not in (4, 6) or not all(map(_number, bbox)):
            found["bbox"] = ["A bbox is 4 or 6 numbers."]
    return found


class GeoJSONGeometry(fields.Field):
    """Dumps a PostGIS geometry (or shapely shape) as GeoJSON; loads GeoJSON into shapely.

    `allowed` restricts the geometry types a client may send.
    """

    def __init__(self, *, allowed: tuple[str, ...] = GEOMETRY_TYPES, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault(
            "description", f"GeoJSON geometry (RFC 7946, WGS-84 [lon, lat]): {', '.join(allowed)}"
        )
        super().__init__(**kwargs)
        self.allowed = allowed

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        geometry = to_shape(value) if isinstance(value, WKBElement) else value
        return mapping(geometry)

    def _deserialize(self, value, attr, data, **kwargs) -> BaseGeometry:
        if not isinstance(value, dict) or value.get("type") not in self.allowed:
            raise ValidationError(f"Expected a GeoJSON geometry of type {', '.join(self.allowed)}.")
        nesting = NESTING[value["type"]]
        errors = (member_errors(value) or position_errors(value.get("coordinates"), nesting)
                  or dimension_errors(value["coordinates"], nesting))
        if errors:
            raise ValidationError(errors)
        try:
            geometry = shape(value)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            raise ValidationError(f"Malformed GeoJSON coordinates: {exc}") from exc
        if geometry.is_empty:
            raise ValidationError("Geometry is empty.")
        return geometry


def _position(dimensions: int) -> dict:
    lon = {"type": "number", "minimum": -180, "maximum": 180}
    lat = {"type": "number", "minimum": -90, "maximum": 90}
    return {"type": "array", "prefixItems": [lon, lat, {"type": "number"}][:dimensions],
            "minItems": dimensions, "maxItems": dimensions}


def _geometry(name: str, coordinates: dict) -> dict:
    return {
        "type": "object",
        "description": f"GeoJSON {name} (RFC 7946 §3.1)",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"type": "string", "enum": [name]},
            "coordinates": coordinates,
            "bbox": {"type": "array", "items": {"type": "number"},
                     "oneOf": [{"minItems": 4, "maxItems": 4}, {"minItems": 6, "maxItems": 6}]},
        },
        "additionalProperties": False,
    }


def _array(items: dict, min_items: int = 0) -> dict:
    return {"type": "array", "items": items, **({"minItems": min_items} if min_items else {})}


def geometry_schemas() -> dict[str, dict]:
    """The RFC 7946 geometry objects, as OpenAPI components named `GeoJSON<Type>`."""
    def coordinates(build) -> dict:
        # Every position of one geometry has 2 numbers, or every one 3 (position_errors).
        return {"description": "[longitude, latitude] positions in WGS-84 (RFC 7946 §3.1.1), all with or all "
                               "without an altitude",
                "oneOf": [build(_position(2)), build(_position(3))]}

    def line(position):
        return _array(position, 2)

    def polygon(position):
        return _array(_array(position, 4), 1)  # closed rings: first position repeated last

    schemas = {f"GeoJSON{name}": _geometry(name, coordinates(build)) for name, build in (
        ("Point", lambda position: position),
        ("MultiPoint", lambda position: _array(position, 1)),  # an empty geometry is refused
        ("LineString", line),
        ("MultiLineString", lambda position: _array(line(position), 1)),
        ("Polygon", polygon),
        ("MultiPolygon", lambda position: _array(polygon(position), 1)),
    )}
    any_geometry = {"oneOf": [*({"$ref": f"#/components/schemas/{name}"} for name in schemas), {"type": "null"}]}
    schemas["GeoJSONFeature"] = {
        "type": "object", "description": "GeoJSON Feature (RFC 7946 §3.2)",
        "required": ["type", "geometry", "properties"],
        "properties": {"type": {"type": "string", "enum": ["Feature"]}, "id": {"type": ["string", "number"]},
                       "geometry": any_geometry, "properties": {"type": ["object", "null"]}},
    }
    schemas["GeoJSONFeatureCollection"] = {
        "type": "object", "description": "GeoJSON FeatureCollection (RFC 7946 §3.3)",
        "required": ["type", "features"],
        "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                       "features": _array({"$ref": "#/components/schemas/GeoJSONFeature"})},
    }
    return schemas


def _geojson_property(self, field, ret: dict, **kwargs) -> dict:
    """Document a geometry field as the GeoJSON objects it takes, not a bare `object`."""
    if not isinstance(field, GeoJSONGeometry):
        return {}
    ret.pop("type", None)
    refs: list[dict] = [{"$ref": f"#/components/schemas/GeoJSON{name}"} for name in field.allowed]
    if field.allow_none:
        refs.append({"type": "null"})
    return refs[0] if len(refs) == 1 else {"oneOf": refs}


def _constant_property(self, field, ret: dict, **kwargs) -> dict:
    """A Constant (`"type": "Feature"`) is documented as the one value it always has."""
    if not isinstance(field, fields.Constant) or not isinstance(field.constant, str):
        return {}
    return {"type": "string", "enum": [field.constant]}


def register_geojson_field(api) -> None:
    for name, schema in geometry_schemas().items():
        api.spec.components.schema(name, component=schema)
    api.register_field(GeoJSONGeometry, None, None)
    api.ma_plugin.converter.add_attribute_function(_geojson_property)
    api.ma_plugin.converter.add_attribute_function(_constant_property)
