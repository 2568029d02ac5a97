import math
import random

import pytest

from grid.balance import CellLoad, balance
from tests.grid.balance_support import cell_id, groups_of, is_contiguous_on_lattice, lattice_loads
from tests.grid.shapes import lattice_cell

INSPECTORS = ["ins-a", "ins-b", "ins-c", "ins-d"]


def heavy_corner(row: int, col: int) -> float:
    return 20.0 if row < 2 and col < 2 else 1.0


def test_equal_workload_on_6x6_splits_into_four_equal_contiguous_groups():
    proposal = balance(lattice_loads(6, 6), INSPECTORS)
    assert len(proposal.assignment) == 36
    assert all(is_contiguous_on_lattice(group) for group in groups_of(proposal.assignment).values())
    assert proposal.loads == {inspector: 9.0 for inspector in INSPECTORS}
    assert proposal.spread_max_min == 1.0 and proposal.spread_max_mean == 1.0
    assert proposal.contiguous


def test_heavy_corner_is_spread_better_than_a_naive_row_split():
    cells = lattice_loads(6, 6, heavy_corner)
    row_major = [heavy_corner(row, col) for row in range(6) for col in range(6)]
    naive_loads = [sum(row_major[i:i + 9]) for i in range(0, 36, 9)]
    naive_spread = max(naive_loads) / (sum(naive_loads) / 4)
    proposal = balance(cells, INSPECTORS)
    assert proposal.spread_max_mean < naive_spread
    assert proposal.contiguous


def test_same_input_gives_the_same_proposal():
    cells = lattice_loads(5, 7, lambda row, col: (row * 7 + col) % 5)
    assert balance(cells, INSPECTORS) == balance(cells, INSPECTORS)


def test_input_order_does_not_change_the_proposal():
    cells = lattice_loads(5, 7, lambda row, col: (row * 7 + col) % 5)
    shuffled = cells[:]
    random.Random(7).shuffle(shuffled)
    assert balance(shuffled, INSPECTORS[::-1]) == balance(cells, INSPECTORS)


def test_more_inspectors_than_cells_leaves_some_with_nothing():
    proposal = balance(lattice_loads(2, 2), [f"ins-{i}" for i in range(6)])
    assert sorted(proposal.assignment) == sorted(cell_id(row, col) for row in range(2) for col in range(2))
    assert len(set(proposal.assignment.values())) == 4
    assert sorted(proposal.loads.values()) == [0.0, 0.0, 1.0, 1.0, 1.0, 1.0]
    assert proposal.spread_max_min == math.inf


def test_all_zero_workload_has_spread_one():
    proposal = balance(lattice_loads(3, 3, lambda row, col: 0.0), INSPECTORS[:2])
    assert proposal.spread_max_min == 1.0 and proposal.spread_max_mean == 1.0
    assert proposal.contiguous


def test_cells_touching_only_at_a_corner_are_not_contiguous():
    diagonal = [CellLoad("a", lattice_cell(0, 0), 1.0), CellLoad("b", lattice_cell(1, 1), 1.0)]
    proposal = balance(diagonal, ["solo"])
    assert proposal.assignment == {"a": "solo", "b": "solo"}
    assert not proposal.contiguous


def test_separate_islands_get_their_own_inspectors_when_there_are_enough():
    islands = lattice_loads(3, 3) + [CellLoad(f"far{col}", lattice_cell(0, col + 10), 1.0) for col in range(2)]
    proposal = balance(islands, ["ins-a", "ins-b"])
    assert proposal.contiguous
    assert {proposal.assignment["far0"], proposal.assignment["far1"]} != {proposal.assignment["r0c0"]}


def test_no_inspectors_is_rejected():
    with pytest.raises(ValueError):
        balance(lattice_loads(2, 2), [])


def test_duplicate_cell_ids_are_rejected():
    cells = lattice_loads(1, 2)
    with pytest.raises(ValueError):
        balance([cells[0], CellLoad(cells[0].id, cells[1].geometry, 1.0)], INSPECTORS)


def test_negative_workload_is_rejected():
    with pytest.raises(ValueError):
        balance([CellLoad("a", lattice_cell(0, 0), -1.0)], INSPECTORS)
