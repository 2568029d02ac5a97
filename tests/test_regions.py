import pytest
from geoalchemy2.shape import to_shape

from backend.common.actor import Actor
from backend.common.region_codes import is_valid_code, is_within, level_of, scope_prefix
from backend.extensions import db
from backend.regions.models import Region
from seeds.xingtai import COUNTIES
from tests.helpers import assert_problem


@pytest.mark.parametrize("code,level", [("130000", "province"), ("130500", "city"), ("130502", "county"),
                                        ("130581", "county"), ("130502001", "township"), ("130502001001", "village")])
def test_level_of(code, level):
    assert level_of(code) == level


@pytest.mark.parametrize("code,ancestor,inside", [
    ("130502", "130500", True), ("130502001", "130502", True), ("130500", "130500", True),
    ("130503", "130502", False), ("130602", "130500", False), ("130502", "130000", True),
    ("140502", "130000", False), ("130500", "130502", False),
])
def test_is_within(code, ancestor, inside):
    assert is_within(code, ancestor) is inside


def test_scope_prefix():
    assert [scope_prefix(c) for c in ("130000", "130500", "130502")] == ["13", "1305", "130502"]


@pytest.mark.parametrize("code", ["13050", "1305000", "abcdef", "", "130502-01"])
def test_invalid_codes(code):
    assert not is_valid_code(code)


def test_actor_scope():
    city = Actor(id=None, username="a", role="supervisor", region_code="130500")
    county = Actor(id=None, username="b", role="supervisor", region_code="130502")
    assert city.covers_region("130503") and county.covers_region("130502001")
    assert not county.covers_region("130503")


def test_seeded_counties_are_valid_and_labelled():
    regions = db.session.scalars(db.select(Region).where(Region.parent_code == "130500")).all()
    assert len(regions) == 18 == len(COUNTIES)
    for region in regions:
        shape = to_shape(region.boundary)
        assert shape.is_valid and not shape.is_empty
        assert region.boundary_source.startswith("approximate")


def test_seeded_counties_do_not_overlap():
    regions = db.session.scalars(db.select(Region).where(Region.parent_code == "130500")).all()
    shapes = [to_shape(region.boundary) for region in regions]
    for i, first in enumerate(shapes):
        for second in shapes[i + 1:]:
            assert first.intersection(second).area < 1e-9


def test_list_children_of_city(client, inspector, auth_headers):
    response = client.get("/api/v1/regions?parent_code=130500&page_size=100", headers=auth_headers(inspector))
    assert len(response.get_json()) == 18
    assert response.get_json()[0]["code"] == "130502"


def test_search_by_name(client, inspector, auth_headers):
    response = client.get("/api/v1/regions?q=襄都", headers=auth_headers(inspector))
    assert [region["code"] for region in response.get_json()] == ["130502"]


def test_region_feature_has_geojson_boundary(client, inspector, auth_headers):
    feature = client.get("/api/v1/regions/130502", headers=auth_headers(inspector)).get_json()
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "MultiPolygon"
    lon, lat = feature["geometry"]["coordinates"][0][0][0]
    assert 113.8 < lon < 115.9 and 36.7 < lat < 37.9  # [lon, lat] order, in Xingtai


def test_unknown_region_is_404(client, inspector, auth_headers):
    assert_problem(client.get("/api/v1/regions/999999", headers=auth_headers(inspector)), 404)
