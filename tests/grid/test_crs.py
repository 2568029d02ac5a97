import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString

from grid.crs import (
    area_m2,
    gauss_kruger_epsg,
    gcj02_to_wgs84,
    in_china,
    metric_transformers,
    to_metric,
    wgs84_to_gcj02,
)
from tests.grid.shapes import ORIGIN_X, ORIGIN_Y, metric_box_wgs84

GEOD = Geod(ellps="WGS84")


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


def test_known_beijing_pair_converts_to_gcj02():
    lon, lat = wgs84_to_gcj02(116.39748, 39.90872)
    assert lon == pytest.approx(116.40372, abs=1e-4)
    assert lat == pytest.approx(39.91012, abs=1e-4)


def test_gcj02_round_trip_errs_less_than_half_a_metre_across_china():
    points = [(74.0 + 2.0 * i, 18.0 + 2.5 * j) for i in range(31) for j in range(15)]
    worst = max(metres_between(point, gcj02_to_wgs84(*wgs84_to_gcj02(*point))) for point in points)
    assert worst < 0.5


@pytest.mark.parametrize("point", [(-0.1276, 51.5072), (139.7, 35.68), (100.5, -5.0)])
def test_points_outside_china_pass_through_unchanged(point):
    assert not in_china(*point)
    assert wgs84_to_gcj02(*point) == point
    assert gcj02_to_wgs84(*point) == point


def test_gcj02_offset_around_xingtai_is_about_530_m_east_and_55_m_north():
    wgs = (114.50, 37.07)
    gcj = wgs84_to_gcj02(*wgs)
    east_west = metres_between(wgs, (gcj[0], wgs[1]))
    north_south = metres_between(wgs, (wgs[0], gcj[1]))
    assert gcj[0] > wgs[0] and gcj[1] > wgs[1]
    assert 480 < east_west < 580  # measured 526.9 m
    assert 30 < north_south < 80  # measured 54.5 m


@pytest.mark.parametrize(("lon", "epsg"), [(114.5, 4547), (75.0, 4534), (135.0, 4554), (73.5, 4534),
                                           (115.4, 4547), (115.6, 4548)])
def test_gauss_kruger_zone_is_the_nearest_central_meridian(lon, epsg):
    assert gauss_kruger_epsg(lon) == epsg


@pytest.mark.parametrize("lon", [10.0, 73.4, 136.6])
def test_gauss_kruger_zone_outside_china_is_rejected(lon):
    with pytest.raises(ValueError):
        gauss_kruger_epsg(lon)


def test_metric_transformers_are_cached():
    assert metric_transformers(4547) is metric_transformers(4547)


def test_area_of_a_square_kilometre_drawn_in_metres():
    assert area_m2(metric_box_wgs84(ORIGIN_X, ORIGIN_Y, 1000, 1000)) == pytest.approx(1e6, rel=1e-6)


def test_long_wgs84_edges_are_densified_before_projecting():
    edge = LineString([(114.2, 37.0), (114.6, 37.0)])  # straight in (lon, lat), curved in metres
    assert len(shapely.get_coordinates(to_metric(edge, 4547, max_segment_deg=None))) == 2
    assert len(shapely.get_coordinates(to_metric(edge, 4547))) == 201
