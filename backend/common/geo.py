"""Geometry input from clients: GCJ-02 points converted to WGS-84, checks with clear reasons."""
from __future__ import annotations

from geoalchemy2.shape import from_shape
from marshmallow import fields, validate
from shapely import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from backend.common.domain_errors import RuleViolation
from grid.crs import gcj02_to_wgs84

CRS_CHOICES = ("wgs84", "gcj02")


class LonLat(fields.String):
    """A "lon,lat" query parameter, loaded as a (lon, lat) tuple of floats."""

    PATTERN = validate.Regexp(r"^-?\d+(\.\d+)?,-?\d+(\.\d+)?$", error="Give lon,lat (longitude first).")
    # What is accepted in all, the ranges (checked by to_wgs84_point) included, for the OpenAPI document.
    IN_RANGE = (r"^-?0*(?:180(?:\.0+)?|(?:1[0-7]\d|\d{1,2})(?:\.\d+)?)"
                r",-?0*(?:90(?:\.0+)?|[1-8]?\d(?:\.\d+)?)$")

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"pattern": self.IN_RANGE, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> tuple[float, float]:
        text = super()._deserialize(value, attr, data, **kwargs)
        self.PATTERN(text)
        lon, lat = (float(part) for part in text.split(","))
        return lon, lat


def crs_field() -> fields.String:
    """The `crs` of client coordinates: WGS-84 (GPS), or GCJ-02 from Amap/Tencent map SDKs."""
    return fields.String(load_default="wgs84", validate=validate.OneOf(CRS_CHOICES),
                         metadata={"description": "wgs84 (GPS), or gcj02 as Amap/Tencent phones report"})


def to_wgs84_point(lon: float, lat: float, crs: str = "wgs84") -> Point:
    """A WGS-84 point from a client's coordinates (Amap/Tencent phones send GCJ-02)."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise RuleViolation(f"Coordinates ({lon}, {lat}) are out of range: longitude first, then latitude.",
                            code="coordinates_out_of_range", field="location")
    if crs == "gcj02":
        lon, lat = gcj02_to_wgs84(lon, lat)
    return Point(lon, lat)


def as_multipolygon(geometry: BaseGeometry, *, field: str = "boundary") -> MultiPolygon:
    """A valid (Multi)Polygon with coordinates in range, as a MultiPolygon; else a 422 naming why."""
    if not isinstance(geometry, (Polygon, MultiPolygon)):
        raise RuleViolation(f"Expected a Polygon or MultiPolygon, got {geometry.geom_type}.",
                            code="wrong_geometry_type", field=field)
    minx, miny, maxx, maxy = geometry.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise RuleViolation("Coordinates are out of range: GeoJSON is [longitude, latitude].",
                            code="coordinates_out_of_range", field=field)
    if not geometry.is_valid:
        raise RuleViolation(f"Invalid polygon: {explain_validity(geometry)}.", code="invalid_geometry", field=field)
    return geometry if isinstance(geometry, MultiPolygon) else MultiPolygon([geometry])


def to_db(geometry: BaseGeometry):
    return from_shape(geometry, srid=4326)
