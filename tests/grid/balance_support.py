"""Lattices of cells with workloads, and an independent contiguity check on lattice positions."""
from __future__ import annotations

from collections.abc import Callable

from grid.balance import CellLoad
from tests.grid.shapes import lattice_cell


def cell_id(row: int, col: int) -> str:
    return f"r{row}c{col}"


def lattice_loads(rows: int, cols: int, workload: Callable[[int, int], float] = lambda row, col: 1.0) -> list[CellLoad]:
    return [CellLoad(cell_id(row, col), lattice_cell(row, col), workload(row, col))
            for row in range(rows) for col in range(cols)]


def groups_of(assignment: dict[str, str]) -> dict[str, set[tuple[int, int]]]:
    groups: dict[str, set[tuple[int, int]]] = {}
    for cell, inspector in assignment.items():
        row, col = cell[1:].split("c")
        groups.setdefault(inspector, set()).add((int(row), int(col)))
    return groups


def is_contiguous_on_lattice(positions: set[tuple[int, int]]) -> bool:
    """Breadth-first search over edge neighbours (not corners) of lattice positions."""
    start = next(iter(positions))
    seen, frontier = {start}, [start]
    while frontier:
        row, col = frontier.pop()
        for neighbour in ((row + 1, col), (row - 1, col), (row, col + 1), (row, col - 1)):
            if neighbour in positions and neighbour not in seen:
                seen.add(neighbour)
                frontier.append(neighbour)
    return seen == positions
