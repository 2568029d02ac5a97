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
        errors = position_errors(value.get("coordinates"), NESTING[value["type"]])
        if errors:
            raise ValidationError(errors)
        try:
            geometry = shape(value)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            raise ValidationError(f"Malformed GeoJSON coordinates: {exc}") from exc
        if geometry.is_empty:
            raise ValidationError("Geometry is empty.")
        return geometry


def register_geojson_field(api) -> None:
    api.register_field(GeoJSONGeometry, "object", None)
