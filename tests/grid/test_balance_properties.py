"""Properties of balancing random workloads on full rectangular lattices."""
from hypothesis import given, settings
from hypothesis import strategies as st

from grid.balance import balance
from tests.grid.balance_support import groups_of, is_contiguous_on_lattice, lattice_loads


@st.composite
def lattices(draw):
    rows, cols = draw(st.integers(2, 7)), draw(st.integers(2, 7))
    workloads = draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 4.0, 12.0]), min_size=rows * cols,
                              max_size=rows * cols))
    return lattice_loads(rows, cols, lambda row, col: workloads[row * cols + col])


@settings(max_examples=25, deadline=None, database=None)
@given(lattices(), st.integers(1, 5))
def test_every_cell_is_assigned_and_every_group_is_contiguous(cells, inspector_count):
    inspectors = [f"ins-{i}" for i in range(inspector_count)]
    proposal = balance(cells, inspectors)
    assert sorted(proposal.assignment) == sorted(cell.id for cell in cells)
    assert set(proposal.assignment.values()) <= set(inspectors)
    assert all(is_contiguous_on_lattice(group) for group in groups_of(proposal.assignment).values())
    assert proposal.contiguous
    assert sum(proposal.loads.values()) == sum(cell.workload for cell in cells)
