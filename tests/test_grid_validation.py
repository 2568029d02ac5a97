"""A region's grid checked against its boundary (DESIGN.md §3, issue 12): the service reports
gaps (area in m², where) and overlaps of the active cells, within the caller's scope."""
import pytest
from geoalchemy2.shape import from_shape
from shapely import MultiPolygon, box

from backend.extensions import db
from backend.regions.models import Cell, Region
from tests.factories import square
from tests.helpers import assert_problem

TOWN = "130502100"
URL = f"/api/v1/regions/{TOWN}/grid/validation"


@pytest.fixture
def town(db_session):
    """A 2 × 2 km-ish township of 襄都区 (an invented test region)."""
    region = Region(code=TOWN, name="测试镇", level="township", parent_code="130502",
                    boundary=from_shape(MultiPolygon([box(114.49, 37.06, 114.51, 37.08)]), srid=4326))
    db.session.add(region)
    db.session.flush()
    return region


def _quadrants(make_cell, skip=None):
    corners = [(114.49, 37.06), (114.50, 37.06), (114.49, 37.07), (114.50, 37.07)]
    return [make_cell(lon, lat, 0.01, region_code=TOWN) for index, (lon, lat) in enumerate(corners) if index != skip]


def test_a_fully_covered_region_has_no_problems(client, town, make_cell, supervisor, auth_headers):
    _quadrants(make_cell)
    report = client.get(URL, headers=auth_headers(supervisor)).get_json()
    assert report["ok"] is True and report["cells"] == 4 and report["gaps"] == report["overlaps"] == []


def test_a_hole_in_the_grid_is_reported_with_its_area_and_place(client, town, make_cell, supervisor, auth_headers):
    _quadrants(make_cell, skip=3)  # the north-east quadrant has no cell
    report = client.get(URL, headers=auth_headers(supervisor)).get_json()
    assert report["ok"] is False and report["overlaps"] == []
    [gap] = report["gaps"]
    assert 950_000 < gap["area_m2"] < 1_050_000  # 0.01° × 0.01° at 37° N ≈ 0.99 km²
    lon, lat = gap["location"]
    assert 114.50 < lon < 114.51 and 37.07 < lat < 37.08


def test_overlapping_cells_are_reported_by_code(client, town, make_cell, supervisor, auth_headers):
    cells = _quadrants(make_cell)
    overlapping = Cell(code=f"{TOWN}-9999", name="重叠", region_code=TOWN, source="test", status="active",
                       boundary=from_shape(MultiPolygon([square(114.495, 37.065, 0.01)]), srid=4326))
    db.session.add(overlapping)  # the service refuses overlaps: written directly, as an old import might have
    db.session.flush()
    report = client.get(URL, headers=auth_headers(supervisor)).get_json()
    assert len(report["overlaps"]) == 4 and report["gaps"] == []
    assert {code for overlap in report["overlaps"] for code in overlap["cells"]} == \
        {cell.code for cell in cells} | {overlapping.code}


def test_a_region_outside_the_callers_is_not_found(client, town, make_user, auth_headers):
    assert_problem(client.get(URL, headers=auth_headers(make_user("supervisor", "130503"))), 404)
    assert_problem(client.get("/api/v1/regions/139999/grid/validation",
                              headers=auth_headers(make_user("admin", "130500"))), 404)


def test_inspectors_do_not_validate_the_grid(client, town, make_user, auth_headers):
    assert_problem(client.get(URL, headers=auth_headers(make_user("inspector", "130502"))), 403)


def test_the_city_sees_its_counties_cells(client, town, make_cell, make_user, auth_headers):
    _quadrants(make_cell, skip=0)
    report = client.get(URL, headers=auth_headers(make_user("admin", "130500"))).get_json()
    assert report["cells"] == 3 and len(report["gaps"]) == 1
