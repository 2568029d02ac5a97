"""Properties of square generation over random convex and concave regions near Xingtai."""
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from grid.crs import area_m2, to_wgs84
from grid.generate import square_cells
from tests.grid.shapes import XINGTAI_EPSG, coverage_error_m2, max_pairwise_overlap_m2

FAST = settings(max_examples=25, deadline=None, database=None)

centres = st.tuples(st.floats(520_000, 570_000), st.floats(4_080_000, 4_130_000))
extents = st.floats(2_000, 20_000)


@st.composite
def regions(draw):
    """A box, a disc (polygonised coarsely or finely) or an L-shape, 2–20 km across, in WGS-84.
    Boxes are sometimes left with 2–20 km edges, which curve when projected."""
    x, y = draw(centres)
    width, height = draw(extents), draw(extents)
    kind = draw(st.sampled_from(["box", "disc", "l-shape"]))
    if kind == "box":
        shape = box(x, y, x + width, y + height)
    elif kind == "disc":
        shape = shapely.Point(x, y).buffer(width / 2, quad_segs=draw(st.integers(2, 16)))
    else:
        shape = box(x, y, x + width, y + height).difference(box(x + width / 2, y + height / 2, x + width, y + height))
    if draw(st.booleans()):
        shape = shapely.segmentize(shape, 100.0)
    return to_wgs84(shape, XINGTAI_EPSG)


@FAST
@given(regions(), st.floats(500, 5_000))
def test_squares_never_overlap(boundary, side_m):
    assert max_pairwise_overlap_m2(square_cells(boundary, side_m)) < 1.0


@FAST
@given(regions(), st.floats(500, 5_000))
def test_squares_cover_the_boundary(boundary, side_m):
    cells = square_cells(boundary, side_m)
    assert coverage_error_m2(cells, boundary) < 1.0 + 1e-6 * area_m2(boundary)
