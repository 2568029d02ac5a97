"""Coordinate reference systems: GCJ-02 ⇄ WGS-84 and CGCS2000 3-degree Gauss-Krüger zones.

CGCS2000 is treated as WGS-84 (they differ by centimetres), so a WGS-84 geometry is
projected straight into the CGCS2000 Gauss-Krüger zone of its longitude for work in metres.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

# GCJ-02 is defined on the Krasovsky 1940 ellipsoid.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323

_INVERSE_TOLERANCE_DEG = 1e-9
_INVERSE_MAX_ITERATIONS = 30

# CGCS2000 3-degree Gauss-Krüger zones without the zone prefix in the easting:
# EPSG:4534 (central meridian 75°E) … EPSG:4554 (135°E), one code per 3°.
_FIRST_ZONE_EPSG = 4534
_FIRST_CENTRAL_MERIDIAN = 75.0
_ZONE_WIDTH_DEG = 3.0
_ZONE_COUNT = 21
_WEST_EDGE = _FIRST_CENTRAL_MERIDIAN - _ZONE_WIDTH_DEG / 2  # 73.5°E
_EAST_EDGE = _WEST_EDGE + _ZONE_COUNT * _ZONE_WIDTH_DEG  # 136.5°E

#: Longest WGS-84 edge (in degrees, ~200 m) projected as a straight line. An edge stored in
#: EPSG:4326 is straight in (lon, lat) – that is how PostGIS reads it – but its image in a
#: transverse Mercator plane bows: by ~13 m over 30 km, under 1.5 mm over 0.002°.
MAX_SEGMENT_DEG = 0.002
#: The same bound for edges drawn in metres and sent back to WGS-84.
MAX_SEGMENT_M = 200.0


def in_china(lon: float, lat: float) -> bool:
    """The rough box inside which GCJ-02 is applied; outside it GCJ-02 equals WGS-84."""
    return 72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271


def _offset_lat(x: float, y: float) -> float:
    result = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    result += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    result += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    result += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return result


def _offset_lon(x: float, y: float) -> float:
    result = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    result += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    result += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    result += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return result


def _gcj02_offset(lon: float, lat: float) -> tuple[float, float]:
    """The GCJ-02 shift (dlon, dlat) in degrees at a WGS-84 point, without the China test."""
    dlat = _offset_lat(lon - 105.0, lat - 35.0)
    dlon = _offset_lon(lon - 105.0, lat - 35.0)
    radlat = math.radians(lat)
    magic = 1 - _KRASOVSKY_EE * math.sin(radlat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A / sqrt_magic * math.cos(radlat) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """WGS-84 → GCJ-02 (the published forward transform); outside China unchanged."""
    if not in_china(lon, lat):
        return lon, lat
    dlon, dlat = _gcj02_offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → WGS-84 by fixed-point iteration of the forward transform.

    The usual one-step inverse (subtract the offset taken at the GCJ-02 point) errs by 1–2 m;
    iterating until the forward image matches within 1e-9° gets well under a millimetre.
    Outside China the point is returned unchanged, as the forward transform does.
    """
    if not in_china(lon, lat):
        return lon, lat
    guess_lon, guess_lat = lon, lat
    for _ in range(_INVERSE_MAX_ITERATIONS):
        dlon, dlat = _gcj02_offset(guess_lon, guess_lat)
        error_lon = guess_lon + dlon - lon
        error_lat = guess_lat + dlat - lat
        if abs(error_lon) < _INVERSE_TOLERANCE_DEG and abs(error_lat) < _INVERSE_TOLERANCE_DEG:
            break
        guess_lon -= error_lon
        guess_lat -= error_lat
    return guess_lon, guess_lat


def gauss_kruger_epsg(lon: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss-Krüger zone whose central meridian is nearest.

    EPSG:4534 is central meridian 75°E and each next code is 3° further east, so 114°E
    (Xingtai) is EPSG:4547. A longitude exactly half-way between two meridians goes east.
    """
    if not _WEST_EDGE <= lon <= _EAST_EDGE:
        raise ValueError(f"longitude {lon} is outside the CGCS2000 3-degree zones ({_WEST_EDGE}–{_EAST_EDGE}°E)")
    zone = min(int((lon - _WEST_EDGE) // _ZONE_WIDTH_DEG), _ZONE_COUNT - 1)
    return _FIRST_ZONE_EPSG + zone


@lru_cache(maxsize=32)
def metric_transformers(epsg: int) -> tuple[Transformer, Transformer]:
    """(WGS-84 → EPSG:epsg, EPSG:epsg → WGS-84), both in (x, y) = (lon, lat)/(easting, northing) order.

    Cached because building a transformer costs milliseconds; pyproj ≥ 3.1 transformers are
    safe to share between threads.
    """
    return (Transformer.from_crs(4326, epsg, always_xy=True),
            Transformer.from_crs(epsg, 4326, always_xy=True))


def _coordinate_mapper(transformer: Transformer) -> Callable[[np.ndarray], np.ndarray]:
    def apply(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])
    return apply


def to_metric(geom: BaseGeometry, epsg: int, *, max_segment_deg: float | None = MAX_SEGMENT_DEG) -> BaseGeometry:
    """A WGS-84 geometry (or array of them) in the metric CRS `epsg`.

    Edges longer than `max_segment_deg` are densified first so the projected shape keeps the
    meaning of the stored one (see MAX_SEGMENT_DEG); pass None to move vertices only.
    """
    if max_segment_deg:
        geom = shapely.segmentize(geom, max_segment_deg)
    forward, _ = metric_transformers(epsg)
    return shapely.transform(geom, _coordinate_mapper(forward))


def to_wgs84(geom: BaseGeometry, epsg: int) -> BaseGeometry:
    """A geometry (or array of them) in the metric CRS `epsg` back in WGS-84, vertex by vertex."""
    _, backward = metric_transformers(epsg)
    return shapely.transform(geom, _coordinate_mapper(backward))


def area_m2(geom_wgs84: BaseGeometry) -> float:
    """Area in m², measured in the Gauss-Krüger zone of the geometry's centroid."""
    if geom_wgs84.is_empty:
        return 0.0
    return float(to_metric(geom_wgs84, gauss_kruger_epsg(geom_wgs84.centroid.x)).area)
