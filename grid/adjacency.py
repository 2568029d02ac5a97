"""Which cells are neighbours, and whether a set of cells hangs together.

Two cells are neighbours when they share a stretch of boundary, not just a corner: an
inspector walks from one cell into the next across an edge. Cells drawn by hand or
converted between CRSs never meet exactly, so edges within a centimetre count as shared.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from grid.crs import gauss_kruger_epsg, to_metric

#: How far apart (m) two edges may be and still count as one shared edge.
EDGE_TOLERANCE_M = 0.01
#: Shortest shared boundary (m) that makes two cells neighbours; a corner touch is ~0.03 m.
MIN_SHARED_EDGE_M = 1.0


def neighbours_of(geoms_wgs84: Sequence[BaseGeometry]) -> list[set[int]]:
    """For each cell (by position), the positions of the cells sharing an edge with it."""
    neighbours: list[set[int]] = [set() for _ in geoms_wgs84]
    if len(geoms_wgs84) < 2:
        return neighbours
    geoms = np.array(geoms_wgs84, dtype=object)
    minx, _, maxx, _ = shapely.total_bounds(geoms)
    cells_m = to_metric(shapely.make_valid(geoms), gauss_kruger_epsg((minx + maxx) / 2))
    grown = shapely.buffer(cells_m, EDGE_TOLERANCE_M, join_style="mitre")  # no round corners: fewer vertices
    first, second = shapely.STRtree(cells_m).query(grown, predicate="intersects")
    pairs = first < second
    first, second = first[pairs], second[pairs]
    shared = shapely.length(shapely.intersection(grown[first], shapely.boundary(cells_m[second])))
    for a, b in zip(first[shared > MIN_SHARED_EDGE_M], second[shared > MIN_SHARED_EDGE_M], strict=True):
        neighbours[a].add(int(b))
        neighbours[b].add(int(a))
    return neighbours


def connected_parts(members: Iterable[int], neighbours: Sequence[set[int]]) -> list[list[int]]:
    """The connected pieces of `members` (each sorted), in order of their smallest member."""
    remaining = set(members)
    parts = []
    for start in sorted(remaining):
        if start not in remaining:
            continue
        remaining.discard(start)
        part, frontier = [start], [start]
        while frontier:
            for neighbour in neighbours[frontier.pop()]:
                if neighbour in remaining:
                    remaining.discard(neighbour)
                    part.append(neighbour)
                    frontier.append(neighbour)
        parts.append(sorted(part))
    return parts


def is_connected(members: set[int], neighbours: Sequence[set[int]]) -> bool:
    """True when `members` is empty or forms one connected piece."""
    if not members:
        return True
    start = next(iter(members))
    seen, frontier = {start}, [start]
    while frontier:
        for neighbour in neighbours[frontier.pop()]:
            if neighbour in members and neighbour not in seen:
                seen.add(neighbour)
                frontier.append(neighbour)
    return len(seen) == len(members)



def stays_connected_without(cell: int, members: set[int], neighbours: Sequence[set[int]]) -> bool:
    """Whether the piece of `members` around `cell` stays in one piece when `cell` leaves.

    Searches outward from each of the cell's neighbours in turn, merging searches that
    meet: around a cell inside a group they meet within a step or two, and when the cell
    is a bottleneck the search on the small side runs dry first, so the answer costs about
    the smaller side, not the whole group.
    """
    starts = sorted(other for other in neighbours[cell] if other in members)
    if len(starts) <= 1:
        return True
    root = list(range(len(starts)))

    def find(search: int) -> int:
        while root[search] != search:
            root[search] = root[root[search]]
            search = root[search]
        return search

    found_by = {start: search for search, start in enumerate(starts)}
    frontiers = [deque([start]) for start in starts]
    searches_left = len(starts)
    while True:
        for search in range(len(starts)):
            if find(search) != search:
                continue
            if not frontiers[search]:
                return False  # this side is used up without meeting the others
            for other in neighbours[frontiers[search].popleft()]:
                if other == cell or other not in members:
                    continue
                if other not in found_by:
                    found_by[other] = search
                    frontiers[search].append(other)
                    continue
                met = find(found_by[other])
                if met != search:
                    root[met] = search
                    frontiers[search].extend(frontiers[met])
                    frontiers[met].clear()
                    searches_left -= 1
                    if searches_left == 1:
                        return True
