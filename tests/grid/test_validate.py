import pytest
import shapely
import shapely.affinity
from shapely.geometry import Point, Polygon, box

from grid.crs import to_wgs84
from grid.generate import hex_cells, square_cells
from grid.validate import validate_cells
from tests.grid.shapes import ORIGIN_X, ORIGIN_Y, XINGTAI_EPSG, metric_box_wgs84

BOW_TIE = Polygon([(0, 0), (1000, 1000), (1000, 0), (0, 1000)])


def drawn_in_metres(geom):
    """`geom` drawn in metres from the test origin, in WGS-84."""
    return to_wgs84(shapely.affinity.translate(geom, ORIGIN_X, ORIGIN_Y), XINGTAI_EPSG)


def square(x: float, y: float, side: float = 1000.0):
    return metric_box_wgs84(ORIGIN_X + x, ORIGIN_Y + y, side, side)


def test_two_overlapping_squares_give_one_overlap_with_its_area_and_place():
    report = validate_cells({"b": square(500, 0), "a": square(0, 0)})
    (overlap,) = report.problems
    assert overlap.kind == "overlap" and overlap.cells == ("a", "b")
    assert overlap.area_m2 == pytest.approx(500_000, rel=0.01)
    assert square(0, 0).intersection(square(500, 0)).contains(Point(overlap.location))
    assert report.overlaps == [overlap] and not report.ok


def test_overlap_below_tolerance_is_not_reported():
    cells = {"a": square(0, 0), "b": square(999.9995, 0)}  # a 0.5 m² overlap
    assert validate_cells(cells).ok
    assert len(validate_cells(cells, tolerance_m2=0.1).overlaps) == 1


def test_cells_meeting_along_an_edge_do_not_overlap():
    assert validate_cells({"a": square(0, 0), "b": square(1000, 0)}).ok


def test_uncovered_hole_is_one_gap_with_its_area_and_place():
    donut = square(0, 0, 3000).difference(square(1000, 1000))
    report = validate_cells({"ring": donut}, boundary=square(0, 0, 3000))
    (gap,) = report.gaps
    assert gap.cells == () and gap.area_m2 == pytest.approx(1e6, rel=0.01)
    assert square(1000, 1000).contains(Point(gap.location))


def test_missing_cell_is_reported_as_a_gap():
    boundary = square(0, 0, 5000)
    cells = {f"c{i:02d}": cell for i, cell in enumerate(square_cells(boundary, 1000))}
    del cells["c07"]
    (gap,) = validate_cells(cells, boundary).problems
    assert gap.kind == "gap" and gap.area_m2 == pytest.approx(1e6, rel=0.01)


def test_bow_tie_is_invalid_with_a_self_intersection_reason():
    (invalid,) = validate_cells({"bow": drawn_in_metres(BOW_TIE)}).invalid
    assert invalid.cells == ("bow",)
    assert "self-intersection" in invalid.reason.lower()
    assert invalid.area_m2 == pytest.approx(500_000, rel=0.01)
    assert Point(invalid.location).distance(drawn_in_metres(Point(500, 500))) < 1e-6


def test_invalid_cell_still_takes_part_in_the_overlap_check():
    report = validate_cells({"bow": drawn_in_metres(BOW_TIE), "square": square(0, 0)})
    assert [problem.kind for problem in report.problems] == ["invalid", "overlap"]


def test_generated_squares_are_clean():
    l_shape = drawn_in_metres(box(123, 456, 7423, 5556).union(box(2123, 5456, 4123, 9456)))
    cells = {f"c{i:03d}": cell for i, cell in enumerate(square_cells(l_shape, 1000))}
    assert validate_cells(cells, l_shape).ok


def test_generated_hexagons_are_clean():
    boundary = square(0, 0, 8000)
    cells = {f"h{i:03d}": cell for i, cell in enumerate(hex_cells(boundary, 8))}
    assert validate_cells(cells, boundary).ok


def test_no_cells_and_no_boundary_is_ok():
    assert validate_cells({}).ok
