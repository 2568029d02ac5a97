"""Cell generation: square lattice cells or H3 hexagons, clipped to a region boundary.

Input boundaries and output cells are WGS-84 (lon, lat). Squares are laid out in metres in
the CGCS2000 Gauss-Krüger zone of the boundary's centroid; hexagons come from H3.
"""
from __future__ import annotations

import math

import h3
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from grid.crs import MAX_SEGMENT_M, gauss_kruger_epsg, to_metric, to_wgs84

#: Pieces smaller than this (m²) are slivers left by floating point, not cells.
MIN_PIECE_AREA_M2 = 1e-6

# Projection round trips move vertices by nanometres; snapping the projected boundary and the
# lattice to one micrometre grid puts an edge drawn on a lattice line exactly on it: no slivers.
_SNAP_GRID_M = 1e-6
_SNAP_DECIMALS = 6

_H3_MAX_RESOLUTION = 15
_METRES_PER_DEGREE_LAT = 111_320.0


def _require_polygonal(boundary: BaseGeometry) -> None:
    if not isinstance(boundary, (Polygon, MultiPolygon)):
        raise ValueError(f"boundary must be a Polygon or MultiPolygon, not {boundary.geom_type}")
    if not boundary.is_valid:
        raise ValueError(f"boundary is not valid: {shapely.is_valid_reason(boundary)}")


def _polygonal_parts(pieces: np.ndarray, pieces_m: np.ndarray) -> list[BaseGeometry | None]:
    """Each piece reduced to its polygons of area ≥ MIN_PIECE_AREA_M2 (measured on `pieces_m`,
    the same pieces in metres): a Polygon, a MultiPolygon, or None when nothing is left.

    Clipping returns lines and points where a square only touches the boundary; those are
    not cells. A square cut into separate pieces stays one cell (a MultiPolygon).
    """
    result: list[BaseGeometry | None] = []
    for piece, piece_m in zip(pieces, pieces_m, strict=True):
        keep = [part for part, part_m in zip(shapely.get_parts(piece), shapely.get_parts(piece_m), strict=True)
                if isinstance(part, Polygon) and part_m.area >= MIN_PIECE_AREA_M2]
        result.append(None if not keep else keep[0] if len(keep) == 1 else MultiPolygon(keep))
    return result


def _clip(pieces: np.ndarray, region: BaseGeometry) -> np.ndarray:
    """Each piece ∩ region; pieces wholly inside are kept as they are (exact, cheaper)."""
    inside = shapely.contains_properly(region, pieces)
    clipped = pieces.copy()
    clipped[~inside] = shapely.intersection(pieces[~inside], region)
    return clipped


def _lattice_squares(west: np.ndarray, east: np.ndarray, south: float, north: float,
                     pieces: int) -> np.ndarray:
    """One row of squares whose edges are split into `pieces` equal parts.

    A square's edges are straight in metres but curved in (lon, lat): a 1 km edge kept as one
    segment would be 1.5 cm off once in WGS-84. Every intermediate point is computed from the
    shared edge's own end values, so two neighbours get bit-identical vertices and still meet
    exactly after reprojection.
    """
    t = np.arange(pieces) / pieces
    w, e = west[:, None], east[:, None]
    along_x = w + (e - w) * t  # starts exactly at w
    along_y = south + (north - south) * t  # starts exactly at south
    m = len(west)
    ones = np.ones((m, pieces))
    bottom = np.stack([along_x, south * ones], axis=-1)
    right = np.stack([e * ones, np.broadcast_to(along_y, (m, pieces))], axis=-1)
    top = np.stack([np.concatenate([e, along_x[:, :0:-1]], axis=1), north * ones], axis=-1)
    left = np.stack([w * ones, np.broadcast_to(np.concatenate([[north], along_y[:0:-1]]), (m, pieces))], axis=-1)
    ring = np.concatenate([bottom, right, top, left, bottom[:, :1]], axis=1)
    return shapely.polygons(ring)


def square_cells(boundary: BaseGeometry, side_m: float, *, max_cells: int = 20000) -> list[BaseGeometry]:
    """Squares of `side_m` metres clipped to `boundary`, in WGS-84, north→south then west→east.

    The lattice lines sit at whole multiples of `side_m` in the Gauss-Krüger zone's own
    coordinates, not at the boundary's corner, so the grids of neighbouring regions in one
    zone line up. The lattice size is checked against `max_cells` from the bounds, before
    anything is built.
    """
    if not side_m > 0:
        raise ValueError(f"side_m must be positive, got {side_m}")
    _require_polygonal(boundary)
    if boundary.is_empty:
        return []
    epsg = gauss_kruger_epsg(boundary.centroid.x)
    region = shapely.set_precision(to_metric(boundary, epsg), _SNAP_GRID_M)
    minx, miny, maxx, maxy = region.bounds
    # The epsilon keeps an edge lying on a lattice line from adding an empty row or column.
    first_col, end_col = math.floor(minx / side_m + 1e-9), math.ceil(maxx / side_m - 1e-9)
    first_row, end_row = math.floor(miny / side_m + 1e-9), math.ceil(maxy / side_m - 1e-9)
    end_col, end_row = max(end_col, first_col + 1), max(end_row, first_row + 1)
    lattice_size = (end_col - first_col) * (end_row - first_row)
    if lattice_size > max_cells:
        raise ValueError(f"a {side_m} m lattice over this boundary has {lattice_size} squares (max_cells={max_cells})")

    col_edges = np.round(np.arange(first_col, end_col + 1) * side_m, _SNAP_DECIMALS)
    row_edges = np.round(np.arange(first_row, end_row + 1) * side_m, _SNAP_DECIMALS)
    pieces = max(1, math.ceil(side_m / MAX_SEGMENT_M))
    cells: list[BaseGeometry] = []
    for south, north in reversed(list(zip(row_edges[:-1], row_edges[1:], strict=True))):
        row_region = shapely.intersection(region, shapely.box(col_edges[0], south, col_edges[-1], north))
        if row_region.is_empty:  # clipping the region once per row keeps each square's clip small
            continue
        shapely.prepare(row_region)
        squares = _lattice_squares(col_edges[:-1], col_edges[1:], south, north, pieces)
        squares = squares[shapely.intersects(row_region, squares)]
        pieces_m = _clip(squares, row_region)
        kept = [piece for piece in _polygonal_parts(pieces_m, pieces_m) if piece is not None]
        if kept:
            cells.extend(to_wgs84(np.array(kept, dtype=object), epsg))
    return cells


def _boundary_sample_cells(boundary: BaseGeometry, resolution: int) -> set[str]:
    """H3 cells within one ring of points sampled along the boundary's rings every half edge.

    Together with the cells whose centre is inside, these are all cells that touch the
    boundary: a hexagon meeting the region either has its centre inside or is crossed by
    a ring, and any point within an edge length of a sample lies in the sample's 1-disk.
    """
    spacing_deg = h3.average_hexagon_edge_length(resolution, unit="m") / 2 / _METRES_PER_DEGREE_LAT
    rings = shapely.segmentize(shapely.boundary(boundary), spacing_deg)
    cells: set[str] = set()
    for lon, lat in shapely.get_coordinates(rings):
        cells.update(h3.grid_disk(h3.latlng_to_cell(lat, lon, resolution), 1))
    return cells


def hex_cells(boundary: BaseGeometry, resolution: int, *, max_cells: int = 20000) -> list[BaseGeometry]:
    """H3 hexagons of `resolution` that meet `boundary`, clipped to it, in WGS-84.

    Every hexagon that overlaps the region is included – not only those whose centre is
    inside, which would leave the edge uncovered. Ordered north→south, then west→east, by
    the hexagon's centre (so a cell's rank does not depend on how it was clipped).
    """
    if not isinstance(resolution, int) or not 0 <= resolution <= _H3_MAX_RESOLUTION:
        raise ValueError(f"H3 resolution must be an integer 0–{_H3_MAX_RESOLUTION}, got {resolution!r}")
    _require_polygonal(boundary)
    if boundary.is_empty:
        return []
    epsg = gauss_kruger_epsg(boundary.centroid.x)
    region_m = to_metric(boundary, epsg)
    edge_m = h3.average_hexagon_edge_length(resolution, unit="m")
    estimate = region_m.area / h3.average_hexagon_area(resolution, unit="m^2") + region_m.length / edge_m
    if estimate > max_cells:
        raise ValueError(f"about {estimate:.0f} H3 cells at resolution {resolution} (max_cells={max_cells})")

    candidates = set(h3.h3shape_to_cells(h3.geo_to_h3shape(boundary), resolution))
    candidates |= _boundary_sample_cells(boundary, resolution)

    def north_to_south(cell: str) -> tuple[float, float]:
        lat, lng = h3.cell_to_latlng(cell)  # h3 speaks (lat, lng)
        return -lat, lng

    ordered = sorted(candidates, key=north_to_south)
    hexagons = np.array([Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(cell)]) for cell in ordered],
                        dtype=object)
    hexagons = hexagons[shapely.intersects(boundary, hexagons)]
    pieces = _clip(hexagons, boundary)
    cells = [piece for piece in _polygonal_parts(pieces, to_metric(pieces, epsg)) if piece is not None]
    if len(cells) > max_cells:
        raise ValueError(f"{len(cells)} H3 cells at resolution {resolution} (max_cells={max_cells})")
    return cells
