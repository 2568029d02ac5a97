"""Validation of a set of cells: invalid geometries, overlaps between cells, gaps in coverage.

A region's cells must not overlap and should cover the region (tolerance 1 m² by default),
so that every point of the region lies in exactly one cell. Areas are measured in metres
in the Gauss-Krüger zone of the data; locations are reported in WGS-84.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from grid.crs import gauss_kruger_epsg, to_metric, to_wgs84

# GEOS reports where a geometry goes wrong, e.g. "Self-intersection[114.5 37.07]".
_REASON_LOCATION = re.compile(r"\[\s*(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)")


@dataclass(frozen=True)
class Problem:
    """One defect: `kind` is "invalid", "overlap" or "gap"; `cells` the ids involved (none for
    a gap); `location` a point (lon, lat) on the defect; `reason` GEOS's words for invalid ones."""

    kind: str
    cells: tuple[str, ...]
    area_m2: float
    location: tuple[float, float]
    reason: str = ""


@dataclass
class ValidationReport:
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def invalid(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.kind == "invalid"]

    @property
    def overlaps(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.kind == "overlap"]

    @property
    def gaps(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.kind == "gap"]


def _repair(geoms: np.ndarray | BaseGeometry) -> np.ndarray | BaseGeometry:
    """Valid, purely polygonal versions (a bow-tie becomes its two triangles), fit for overlay."""
    return shapely.make_valid(geoms, method="structure", keep_collapsed=False)


def _location(metric_geom: BaseGeometry, epsg: int) -> tuple[float, float]:
    point = to_wgs84(metric_geom.representative_point(), epsg)
    return point.x, point.y


def _invalid_problems(ids: list[str], geoms: np.ndarray, repaired_m: np.ndarray, epsg: int) -> list[Problem]:
    problems = []
    for index in np.flatnonzero(~shapely.is_valid(geoms)):
        reason = shapely.is_valid_reason(geoms[index])
        found = _REASON_LOCATION.search(reason)
        location = (float(found[1]), float(found[2])) if found else _location(repaired_m[index], epsg)
        problems.append(Problem("invalid", (ids[index],), float(repaired_m[index].area), location, reason))
    return problems


def _overlap_problems(ids: list[str], cells_m: np.ndarray, epsg: int, tolerance_m2: float) -> list[Problem]:
    tree = shapely.STRtree(cells_m)
    first, second = tree.query(cells_m, predicate="intersects")
    pairs = first < second  # each unordered pair once, never a cell with itself
    first, second = first[pairs], second[pairs]
    overlaps = shapely.intersection(cells_m[first], cells_m[second])
    areas = shapely.area(overlaps)
    problems = []
    for a, b, overlap, area in zip(first, second, overlaps, areas, strict=True):
        if area > tolerance_m2:
            pair = tuple(sorted((ids[a], ids[b])))
            problems.append(Problem("overlap", pair, float(area), _location(overlap, epsg)))
    return sorted(problems, key=lambda problem: problem.cells)


def _gap_problems(boundary_m: BaseGeometry, cells_m: np.ndarray, epsg: int, tolerance_m2: float) -> list[Problem]:
    uncovered = shapely.difference(boundary_m, shapely.union_all(cells_m))
    problems = [Problem("gap", (), float(part.area), _location(part, epsg))
                for part in shapely.get_parts(uncovered) if part.area > tolerance_m2]
    return sorted(problems, key=lambda problem: (-problem.area_m2, problem.location))


def validate_cells(cells: Mapping[str, BaseGeometry], boundary: BaseGeometry | None = None, *,
                   tolerance_m2: float = 1.0) -> ValidationReport:
    """Report invalid cells, pairs of cells overlapping by more than `tolerance_m2`, and
    uncovered parts of `boundary` larger than `tolerance_m2`, in that order (each sorted).

    Invalid cells are repaired (shapely.make_valid) before the overlap and gap checks, so
    one bad cell does not hide the others' defects. Tolerances are needed because cells
    drawn by hand or converted between CRSs never meet to the nanometre.
    """
    ids = sorted(cells)
    geoms = np.array([cells[cell_id] for cell_id in ids], dtype=object)
    everything = shapely.GeometryCollection([*geoms, *([boundary] if boundary is not None else [])])
    if everything.is_empty:
        return ValidationReport([])
    minx, _, maxx, _ = everything.bounds
    epsg = gauss_kruger_epsg((minx + maxx) / 2)
    repaired_m = to_metric(_repair(geoms), epsg) if len(geoms) else geoms

    problems = _invalid_problems(ids, geoms, repaired_m, epsg)
    if len(geoms):
        problems += _overlap_problems(ids, repaired_m, epsg, tolerance_m2)
    if boundary is not None:
        boundary_m = to_metric(_repair(boundary), epsg)
        problems += _gap_problems(boundary_m, repaired_m, epsg, tolerance_m2)
    return ValidationReport(problems)

