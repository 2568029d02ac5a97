"""GeoJSON (RFC 7946) geometry as a marshmallow field, documented in the OpenAPI spec."""
from __future__ import annotations

from geoalchemy2.elements import WKBElement
from geoalchemy2.shape import to_shape
from marshmallow import ValidationError, fields
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")

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
        try:
            geometry = shape(value)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            raise ValidationError(f"Malformed GeoJSON coordinates: {exc}") from exc
        if geometry.is_empty:
            raise ValidationError("Geometry is empty.")
        return geometry


def register_geojson_field(api) -> None:
    api.register_field(GeoJSONGeometry, "object", None)
