"""Field-check flags at their boundaries (DESIGN.md §5, issue 12): the geofence, the
accuracy of the fix and the device clock — just inside, at and just past each limit."""
from datetime import datetime, timedelta, timezone

import pytest
from geoalchemy2.shape import to_shape
from pyproj import Geod
from shapely import Point

from backend.inspections.scoring import clock_skewed, place
from tests.factories import check_body

FACILITY = Point(114.5, 37.07)
GEOD = Geod(ellps="WGS84")
RECEIVED = datetime(2026, 11, 2, 2, tzinfo=timezone.utc)


def metres_north_of(point: Point, metres: float) -> Point:
    lon, lat, _ = GEOD.fwd(point.x, point.y, 0, metres)
    return Point(lon, lat)


@pytest.mark.parametrize("metres, outside", [(199, False), (200, False), (201, True)])
def test_outside_geofence_only_past_the_fence(metres, outside):
    placement = place(metres_north_of(FACILITY, metres), "wgs84", 5.0, FACILITY, 200)
    assert placement.distance_m == metres
    assert ("outside_geofence" in placement.flags) is outside


@pytest.mark.parametrize("accuracy, low", [(199, False), (200, False), (201, True)])
def test_low_accuracy_only_past_its_threshold(accuracy, low):
    placement = place(FACILITY, "wgs84", accuracy, FACILITY, 200)
    assert ("low_accuracy" in placement.flags) is low


@pytest.mark.parametrize("accuracy, low", [(49, False), (50, False), (51, True)])
def test_the_accuracy_threshold_is_its_own_setting(accuracy, low):
    placement = place(FACILITY, "wgs84", accuracy, FACILITY, 200, low_accuracy_m=50)
    assert ("low_accuracy" in placement.flags) is low


@pytest.mark.parametrize("seconds, skewed", [(299, False), (300, False), (301, True)])
@pytest.mark.parametrize("sign", [1, -1])
def test_sending_time_is_skew_only_past_the_tolerance(seconds, skewed, sign):
    sent = RECEIVED + sign * timedelta(seconds=seconds)
    assert clock_skewed(started_at=RECEIVED - timedelta(hours=1), finished_at=RECEIVED - timedelta(minutes=30),
                        sent_at=sent, received_at=RECEIVED, tolerance=timedelta(seconds=300)) is skewed


@pytest.mark.parametrize("seconds, skewed", [(299, False), (300, False), (301, True)])
def test_finishing_in_the_future_is_skew_only_past_the_tolerance(seconds, skewed):
    finished = RECEIVED + timedelta(seconds=seconds)
    assert clock_skewed(started_at=RECEIVED - timedelta(hours=1), finished_at=finished, sent_at=None,
                        received_at=RECEIVED, tolerance=timedelta(seconds=300)) is skewed


@pytest.mark.parametrize("metres, flags", [(199, []), (200, []), (201, ["outside_geofence"])])
def test_the_api_flags_a_check_just_past_the_geofence(client, field, metres, flags):
    point = metres_north_of(to_shape(field["facility"].location), metres)
    body = check_body(field["template"], field["facility"],
                      location={"type": "Point", "coordinates": [point.x, point.y]})
    check = client.post("/api/v1/checks", json=body, headers=field["headers"]).get_json()
    assert check["distance_m"] == metres and check["flags"] == flags


@pytest.mark.parametrize("metres, flags", [(99, []), (100, []), (101, ["outside_geofence"])])
def test_the_geofence_comes_from_the_settings(client, field, app, monkeypatch, metres, flags):
    monkeypatch.setitem(app.config, "GEOFENCE_M", 100)
    point = metres_north_of(to_shape(field["facility"].location), metres)
    body = check_body(field["template"], field["facility"],
                      location={"type": "Point", "coordinates": [point.x, point.y]})
    assert client.post("/api/v1/checks", json=body, headers=field["headers"]).get_json()["flags"] == flags


@pytest.mark.parametrize("seconds, flags", [(299, []), (300, []), (301, ["clock_skew"])])
def test_the_api_flags_a_device_clock_just_past_the_tolerance(client, field, monkeypatch, seconds, flags):
    from backend.common import clock
    monkeypatch.setattr(clock, "now", lambda: RECEIVED)
    body = check_body(field["template"], field["facility"],
                      started_at=(RECEIVED - timedelta(hours=1)).isoformat(),
                      finished_at=(RECEIVED - timedelta(minutes=30)).isoformat(),
                      sent_at=(RECEIVED - timedelta(seconds=seconds)).isoformat())
    assert client.post("/api/v1/checks", json=body, headers=field["headers"]).get_json()["flags"] == flags
