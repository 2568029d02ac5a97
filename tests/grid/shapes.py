"""Test geometry near Xingtai, built in EPSG:4547 metres (CGCS2000 GK, CM 114°E)."""
from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from grid.crs import to_metric, to_wgs84

XINGTAI_EPSG = 4547
# A lattice-aligned origin (a multiple of 3000 m on both axes) near Xingtai (~114.45°E, 37.03°N).
ORIGIN_X, ORIGIN_Y = 540_000.0, 4_098_000.0


def metric_box_wgs84(x0: float, y0: float, width: float, height: float) -> BaseGeometry:
    """A box drawn in EPSG:4547 metres, densified every 100 m so its WGS-84 copy keeps the shape."""
    return to_wgs84(shapely.segmentize(box(x0, y0, x0 + width, y0 + height), 100.0), XINGTAI_EPSG)


def in_metres(geom: BaseGeometry) -> BaseGeometry:
    return to_metric(geom, XINGTAI_EPSG)


def max_pairwise_overlap_m2(cells: list[BaseGeometry]) -> float:
    cells_m = np.array([in_metres(cell) for cell in cells], dtype=object)
    first, second = shapely.STRtree(cells_m).query(cells_m, predicate="intersects")
    pairs = first < second
    overlaps = shapely.area(shapely.intersection(cells_m[first[pairs]], cells_m[second[pairs]]))
    return float(overlaps.max()) if len(overlaps) else 0.0


def coverage_error_m2(cells: list[BaseGeometry], boundary: BaseGeometry) -> float:
    """Area (m²) covered by the cells or the boundary but not both."""
    union_m = shapely.union_all([in_metres(cell) for cell in cells])
    return float(shapely.symmetric_difference(union_m, in_metres(boundary)).area)


def lattice_cell(row: int, col: int, side: float = 1000.0) -> BaseGeometry:
    """Square (row, col) of a lattice anchored at the origin, in WGS-84."""
    x0, y0 = ORIGIN_X + col * side, ORIGIN_Y + row * side
    return to_wgs84(box(x0, y0, x0 + side, y0 + side), XINGTAI_EPSG)
