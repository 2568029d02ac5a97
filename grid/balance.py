"""Workload balancing: propose which inspector looks after which cells.

The rule (DESIGN §3): every cell gets one inspector, each inspector's cells are contiguous
(an inspector walks from cell to cell across shared edges), and the yearly workload is as
even as that allows. A proposal is only a proposal: it is applied on request.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from grid.adjacency import connected_parts, is_connected, neighbours_of
from grid.crs import gauss_kruger_epsg, to_metric
from grid.local_search import even_out
from grid.partition import hilbert_order, split_sequence

#: Improving moves allowed per cell before local search gives up (it normally stops far sooner).
_MOVES_PER_CELL = 4
# The eight symmetries of the square: each gives a different Hilbert order to start from.
_ORIENTATIONS = [(1, 1, False), (-1, 1, False), (1, -1, False), (-1, -1, False),
                 (1, 1, True), (-1, 1, True), (1, -1, True), (-1, -1, True)]
_ORIENTATION_BUDGET = 40_000  # cells × orientations tried


@dataclass
class CellLoad:
    """A cell (WGS-84 geometry) and its yearly workload: the inspection visits its facilities need."""

    id: str
    geometry: BaseGeometry
    workload: float


@dataclass
class Proposal:
    """A proposed assignment and how even it is; nothing is applied until someone asks."""

    assignment: dict[str, str]  # cell id → inspector id
    loads: dict[str, float]  # inspector id → total workload (0 for inspectors given nothing)
    spread_max_mean: float
    spread_max_min: float  # inf when someone has nothing while another has work; 1.0 when all zero
    contiguous: bool  # every inspector's cells form one connected piece


def _check_input(cells: Sequence[CellLoad], inspectors: Sequence[str]) -> None:
    if not inspectors:
        raise ValueError("at least one inspector is needed")
    if len(set(inspectors)) != len(inspectors):
        raise ValueError("inspector ids must be unique")
    if len({cell.id for cell in cells}) != len(cells):
        raise ValueError("cell ids must be unique")
    for cell in cells:
        if not (math.isfinite(cell.workload) and cell.workload >= 0):
            raise ValueError(f"cell {cell.id}: workload must be a finite number ≥ 0, got {cell.workload}")
        if cell.geometry is None or cell.geometry.is_empty:
            raise ValueError(f"cell {cell.id} has no geometry")


def _hilbert_rank_variants(geoms: Sequence[BaseGeometry]) -> list[list[int]]:
    """Each cell's rank along the Hilbert curve of the cells' centroids, once per orientation.

    Large maps get fewer orientations: each try costs time in proportion to the cells, and
    with many cells per group the result hardly depends on where the curve starts.
    """
    array = np.array(geoms, dtype=object)
    minx, _, maxx, _ = shapely.total_bounds(array)
    centroids = shapely.get_coordinates(shapely.centroid(to_metric(array, gauss_kruger_epsg((minx + maxx) / 2))))
    variants = []
    tries = min(len(_ORIENTATIONS), max(2, _ORIENTATION_BUDGET // len(geoms)))
    for sign_x, sign_y, swap in _ORIENTATIONS[:tries]:
        points = [(sign_x * x, sign_y * y) for x, y in centroids]
        points = [(y, x) for x, y in points] if swap else points
        ranks = [0] * len(geoms)
        for rank, position in enumerate(hilbert_order(points)):
            ranks[position] = rank
        variants.append(ranks)
    return variants


def _seats_per_part(part_loads: list[float], part_sizes: list[int], seats: int) -> list[int]:
    """Inspectors for each connected part of the map: one each, then one at a time to the part
    with the most work per inspector (by cell count when workloads tie), while it has cells to give."""
    given = [1] * len(part_loads)
    for _ in range(seats - len(part_loads)):
        open_parts = [i for i in range(len(given)) if given[i] < part_sizes[i]] or list(range(len(given)))
        neediest = max(open_parts, key=lambda i: (part_loads[i] / given[i], part_sizes[i] / given[i], -i))
        given[neediest] += 1
    return given


def _initial_groups(ranks: list[int], weights: list[float], neighbours: list[set[int]],
                    seats: int) -> list[set[int]]:
    """Consecutive runs of the Hilbert order. When the map falls into no more pieces than there
    are inspectors, each piece is split on its own, so no inspector has to straddle two."""
    parts = connected_parts(range(len(weights)), neighbours)
    if len(parts) > seats:
        parts = [list(range(len(weights)))]
    given = _seats_per_part([sum(weights[i] for i in part) for part in parts], [len(part) for part in parts], seats)
    groups: list[set[int]] = []
    for part, part_seats in zip(parts, given, strict=True):
        sequence = sorted(part, key=lambda i: ranks[i])
        for run in split_sequence([weights[i] for i in sequence], part_seats):
            groups.append({sequence[position] for position in run})
    return groups


def _repair_contiguity(groups: list[set[int]], weights: list[float], neighbours: list[set[int]]) -> None:
    """Hand each detached fragment of a group to the lightest group it touches.

    A fragment joins a group it borders, so the receiver stays connected; the number of
    fragments falls with every move, so this ends. Fragments touching no other group stay.
    """
    owner = {cell: index for index, group in enumerate(groups) for cell in group}
    moved = True
    while moved:
        moved = False
        for index, group in enumerate(groups):
            pieces = connected_parts(group, neighbours)
            pieces.sort(key=lambda piece: (-len(piece), -sum(weights[i] for i in piece), piece[0]))
            for fragment in pieces[1:]:
                touching = {owner[other] for cell in fragment for other in neighbours[cell]} - {index}
                if not touching:
                    continue
                loads = {target: sum(weights[i] for i in groups[target]) for target in touching}
                target = min(touching, key=lambda candidate: (loads[candidate], candidate))
                group.difference_update(fragment)
                groups[target].update(fragment)
                owner.update({cell: target for cell in fragment})
                moved = True


def _propose_groups(ranks: list[int], weights: list[float], neighbours: list[set[int]],
                    seats: int) -> list[set[int]]:
    groups = _initial_groups(ranks, weights, neighbours, seats)
    _repair_contiguity(groups, weights, neighbours)
    even_out(groups, weights, neighbours, ranks, max_moves=_MOVES_PER_CELL * len(weights))
    return groups


def _quality(groups: list[set[int]], weights: list[float], neighbours: list[set[int]]) -> tuple:
    """Sort key of a proposal, best first: contiguous, then lowest maximum, highest minimum, least Σload²."""
    loads = [sum(weights[i] for i in sorted(group)) for group in groups]
    contiguous = all(is_connected(group, neighbours) for group in groups)
    return not contiguous, max(loads), -min(loads), sum(load * load for load in loads)


def _spreads(loads: list[float]) -> tuple[float, float]:
    largest, smallest, total = max(loads), min(loads), sum(loads)
    if largest == 0:
        return 1.0, 1.0
    max_mean = largest / (total / len(loads))
    return max_mean, (math.inf if smallest == 0 else largest / smallest)


def balance(cells: Sequence[CellLoad], inspectors: Sequence[str]) -> Proposal:
    """Propose an inspector for every cell: contiguous groups with workloads as even as possible.

    Cells are ordered along a Hilbert curve and cut into runs of balanced load (one set of
    runs per connected piece of the map when there are enough inspectors for that), detached
    fragments are handed to a neighbouring group, then border cells move from heavier to
    lighter neighbouring groups while that evens the loads and keeps groups connected. This
    is done from several orientations of the curve (all eight on small maps), since a run
    boundary that lands badly in one is often fine in another, and the best result is kept.
    When the map itself is in more pieces than there are inspectors, contiguity cannot hold
    and `contiguous` says so. The result depends only on the input's content, not its order.
    """
    _check_input(cells, inspectors)
    ordered_cells = sorted(cells, key=lambda cell: cell.id)
    ordered_inspectors = sorted(inspectors)
    weights = [float(cell.workload) for cell in ordered_cells]
    if not ordered_cells:
        groups: list[set[int]] = [set() for _ in ordered_inspectors]
        neighbours: list[set[int]] = []
    else:
        geoms = [cell.geometry for cell in ordered_cells]
        neighbours = neighbours_of(geoms)
        proposals = [_propose_groups(ranks, weights, neighbours, len(ordered_inspectors))
                     for ranks in _hilbert_rank_variants(geoms)]
        groups = min(proposals, key=lambda candidate: _quality(candidate, weights, neighbours))

    assignment = {}
    loads = {}
    for inspector, group in zip(ordered_inspectors, groups, strict=True):
        for index in sorted(group):
            assignment[ordered_cells[index].id] = inspector
        loads[inspector] = float(sum(weights[index] for index in sorted(group)))
    spread_max_mean, spread_max_min = _spreads(list(loads.values()))
    contiguous = all(is_connected(group, neighbours) for group in groups)
    return Proposal(dict(sorted(assignment.items())), loads, spread_max_mean, spread_max_min, contiguous)
