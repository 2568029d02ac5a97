import h3
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from grid.crs import area_m2, to_metric, to_wgs84
from grid.generate import hex_cells, square_cells
from tests.grid.shapes import (
    ORIGIN_X,
    ORIGIN_Y,
    XINGTAI_EPSG,
    coverage_error_m2,
    in_metres,
    max_pairwise_overlap_m2,
    metric_box_wgs84,
)


@pytest.fixture(scope="module")
def box_10km():
    return metric_box_wgs84(ORIGIN_X, ORIGIN_Y, 10_000, 10_000)


def test_1000_m_squares_over_a_10_km_box_are_exactly_100(box_10km):
    assert len(square_cells(box_10km, 1000)) == 100


def test_full_squares_are_one_square_kilometre_to_within_a_square_metre(box_10km):
    # Edges kept as single 1 km segments would bow 1.5 cm in WGS-84 and miss by ~10 m².
    for cell in square_cells(box_10km, 1000):
        assert abs(area_m2(cell) - 1e6) < 1.0


def test_3000_m_squares_are_3_full_and_1_partial_per_axis(box_10km):
    areas = sorted(round(area_m2(cell) / 1e6, 2) for cell in square_cells(box_10km, 3000))
    assert areas == [1.0] + [3.0] * 6 + [9.0] * 9


def test_squares_run_north_to_south_then_west_to_east(box_10km):
    centres = [in_metres(cell).centroid for cell in square_cells(box_10km, 1000)]
    rows = [centres[i:i + 10] for i in range(0, 100, 10)]
    assert all(row[0].y > below[0].y for row, below in zip(rows, rows[1:], strict=False))
    assert all(a.x < b.x and a.y == pytest.approx(b.y) for row in rows for a, b in zip(row, row[1:], strict=False))


def test_same_boundary_gives_identical_squares(box_10km):
    first = [cell.wkb for cell in square_cells(box_10km, 700)]
    assert first == [cell.wkb for cell in square_cells(box_10km, 700)]


def test_lattice_lines_sit_on_multiples_of_the_side_in_zone_coordinates():
    disc = to_wgs84(shapely.Point(ORIGIN_X + 3210, ORIGIN_Y + 4321).buffer(2500), XINGTAI_EPSG)
    whole = [cell for cell in square_cells(disc, 500) if area_m2(cell) == pytest.approx(250_000, rel=1e-6)]
    assert whole
    edges = shapely.bounds(to_metric(whole, XINGTAI_EPSG, max_segment_deg=None)) / 500
    assert abs(edges - edges.round()).max() < 1e-6


def test_square_cut_in_two_by_the_boundary_stays_one_cell():
    slotted = box(0, 0, 3000, 2000).difference(box(1200, -1, 1800, 1000))
    boundary = to_wgs84(shapely.segmentize(shapely.affinity.translate(slotted, ORIGIN_X, ORIGIN_Y), 100), XINGTAI_EPSG)
    cells = square_cells(boundary, 1000)
    assert len(cells) == 6
    assert sum(isinstance(cell, MultiPolygon) for cell in cells) == 1


def test_zero_side_is_rejected(box_10km):
    with pytest.raises(ValueError):
        square_cells(box_10km, 0)


def test_lattice_above_max_cells_is_rejected_before_building(box_10km):
    with pytest.raises(ValueError, match="max_cells"):
        square_cells(box_10km, 1, max_cells=20000)  # 10^8 squares: would never finish if built


def test_hexagons_cover_the_box_without_overlapping(box_10km):
    cells = hex_cells(box_10km, 7)
    assert max_pairwise_overlap_m2(cells) < 1.0
    assert coverage_error_m2(cells, box_10km) < 1.0 + 1e-6 * area_m2(box_10km)


def test_hexagons_whose_centre_is_outside_are_included(box_10km):
    centred_inside = h3.h3shape_to_cells(h3.geo_to_h3shape(box_10km), 7)
    assert len(hex_cells(box_10km, 7)) > len(centred_inside)


def test_hexagons_run_north_to_south(box_10km):
    latitudes = [cell.centroid.y for cell in hex_cells(box_10km, 6)]
    assert latitudes[0] > latitudes[-1]


def test_boundary_inside_one_hexagon_is_one_cell():
    small = metric_box_wgs84(ORIGIN_X + 5000, ORIGIN_Y + 5000, 100, 100)
    cells = hex_cells(small, 4)
    assert len(cells) == 1
    assert area_m2(cells[0].symmetric_difference(small)) < 1e-3


@pytest.mark.parametrize("resolution", [-1, 16])
def test_h3_resolution_outside_0_to_15_is_rejected(box_10km, resolution):
    with pytest.raises(ValueError):
        hex_cells(box_10km, resolution)


def test_hexagons_above_max_cells_are_rejected(box_10km):
    with pytest.raises(ValueError, match="max_cells"):
        hex_cells(box_10km, 12)
