from datetime import timedelta

from tests.factories import square
from tests.helpers import assert_problem

GEOJSON = {"type": "Polygon", "coordinates": [[[114.49, 37.06], [114.50, 37.06], [114.50, 37.07],
                                               [114.49, 37.07], [114.49, 37.06]]]}


def test_supervisor_draws_a_cell(client, supervisor, auth_headers):
    response = client.post("/api/v1/cells", json={"region_code": "130502", "boundary": GEOJSON, "name": "新华北"},
                           headers=auth_headers(supervisor))
    assert response.status_code == 201, response.get_json()
    feature = response.get_json()
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "MultiPolygon"
    assert feature["properties"]["code"].startswith("130502-") and feature["properties"]["name"] == "新华北"


def test_cell_codes_count_up_per_region(make_cell):
    first, second = make_cell(114.49, 37.06), make_cell(114.50, 37.06)
    assert int(second.code.split("-")[1]) == int(first.code.split("-")[1]) + 1


def test_overlapping_cell_is_refused_with_the_overlap(client, supervisor, auth_headers, make_cell):
    existing = make_cell(114.49, 37.06)
    shifted = {"type": "Polygon", "coordinates": [[[114.495, 37.06], [114.505, 37.06], [114.505, 37.07],
                                                   [114.495, 37.07], [114.495, 37.06]]]}
    response = client.post("/api/v1/cells", json={"region_code": "130502", "boundary": shifted},
                           headers=auth_headers(supervisor))
    body = assert_problem(response, 409, "cells_overlap")
    assert body["overlaps"][0]["cell_code"] == existing.code
    assert 400_000 < body["overlaps"][0]["area_m2"] < 500_000  # about 0.005° × 0.01° here
    assert body["overlaps"][0]["geometry"]["type"] == "Polygon"


def test_touching_cells_do_not_overlap(make_cell):
    make_cell(114.49, 37.06)
    assert make_cell(114.50, 37.06).status == "active"


def test_cell_outside_its_region_is_refused(client, supervisor, auth_headers):
    swapped = {"type": "Polygon", "coordinates": [[[37.06, 114.49], [37.07, 114.49], [37.07, 114.50],
                                                   [37.06, 114.50], [37.06, 114.49]]]}
    body = assert_problem(client.post("/api/v1/cells", json={"region_code": "130502", "boundary": swapped},
                                      headers=auth_headers(supervisor)), 422)
    assert body["code"] in ("validation_error", "coordinates_out_of_range", "outside_region")


def test_self_intersecting_polygon_is_refused(client, supervisor, auth_headers):
    bowtie = {"type": "Polygon", "coordinates": [[[114.49, 37.06], [114.50, 37.07], [114.50, 37.06],
                                                  [114.49, 37.07], [114.49, 37.06]]]}
    body = assert_problem(client.post("/api/v1/cells", json={"region_code": "130502", "boundary": bowtie},
                                      headers=auth_headers(supervisor)), 422, "invalid_geometry")
    assert "intersection" in body["detail"].lower()


def test_point_is_not_a_cell(client, supervisor, auth_headers):
    point = {"type": "Point", "coordinates": [114.49, 37.06]}
    body = assert_problem(client.post("/api/v1/cells", json={"region_code": "130502", "boundary": point},
                                      headers=auth_headers(supervisor)), 422)
    assert "boundary" in body["errors"]


def test_supervisor_cannot_draw_in_another_county(client, supervisor, auth_headers):
    response = client.post("/api/v1/cells", json={"region_code": "130503", "boundary": GEOJSON},
                           headers=auth_headers(supervisor))
    assert_problem(response, 403)


def test_inspector_cannot_draw(client, inspector, auth_headers):
    assert_problem(client.post("/api/v1/cells", json={"region_code": "130502", "boundary": GEOJSON},
                               headers=auth_headers(inspector)), 403)


def _collection(*boxes):
    from shapely.geometry import mapping

    return {"type": "FeatureCollection", "region_code": "130502", "features": [
        {"type": "Feature", "geometry": mapping(shape), "properties": {"name": f"手绘{i}"}}
        for i, shape in enumerate(boxes)]}


def test_import_feature_collection(client, supervisor, auth_headers):
    body = _collection(square(114.49, 37.06), square(114.50, 37.06))
    response = client.post("/api/v1/cells/import", json=body, headers=auth_headers(supervisor))
    assert response.status_code == 201
    assert [cell["properties"]["name"] for cell in response.get_json()] == ["手绘0", "手绘1"]


def test_import_is_all_or_nothing(client, supervisor, auth_headers):
    body = _collection(square(114.49, 37.06), square(114.495, 37.06))
    problem = assert_problem(client.post("/api/v1/cells/import", json=body, headers=auth_headers(supervisor)),
                             422, "import_rejected")
    assert problem["problems"][0]["code"] == "overlap"
    listing = client.get("/api/v1/cells?region_code=130502", headers=auth_headers(supervisor)).get_json()
    assert listing["features"] == []


def test_import_reports_overlap_with_existing_cells(client, supervisor, auth_headers, make_cell):
    make_cell(114.49, 37.06)
    problem = assert_problem(client.post("/api/v1/cells/import", json=_collection(square(114.495, 37.06)),
                                         headers=auth_headers(supervisor)), 422, "import_rejected")
    assert problem["problems"][0]["code"] == "overlaps_existing"


def test_empty_import_is_refused(client, supervisor, auth_headers):
    assert_problem(client.post("/api/v1/cells/import", json=_collection(), headers=auth_headers(supervisor)),
                   422, "empty_import")


def test_list_is_geojson_with_filters(client, supervisor, auth_headers, make_cell):
    west, east = make_cell(114.49, 37.06), make_cell(114.50, 37.06)
    headers = auth_headers(supervisor)
    listing = client.get("/api/v1/cells", headers=headers)
    assert listing.get_json()["type"] == "FeatureCollection"
    assert "X-Pagination" in listing.headers
    bbox = client.get("/api/v1/cells?bbox=114.505,37.061,114.509,37.069", headers=headers).get_json()
    assert [feature["id"] for feature in bbox["features"]] == [str(east.id)]
    assert {f["id"] for f in client.get("/api/v1/cells?status=active", headers=headers).get_json()["features"]} \
        == {str(west.id), str(east.id)}


def test_inspector_sees_only_own_cells(client, inspector, auth_headers, make_cell, assign):
    mine, _other = make_cell(114.49, 37.06), make_cell(114.50, 37.06)
    assign(mine, inspector)
    listing = client.get("/api/v1/cells", headers=auth_headers(inspector)).get_json()
    assert [feature["id"] for feature in listing["features"]] == [str(mine.id)]
    assert_problem(client.get(f"/api/v1/cells/{_other.id}", headers=auth_headers(inspector)), 404)


def test_list_shows_current_staff(client, supervisor, inspector, auth_headers, make_cell, assign):
    cell = make_cell()
    assign(cell, inspector)
    feature = client.get(f"/api/v1/cells/{cell.id}", headers=auth_headers(supervisor)).get_json()
    assert feature["properties"]["staff"][0] == {**feature["properties"]["staff"][0],
                                                 "inspector_id": str(inspector.id), "role": "lead"}


def test_retire_keeps_history_and_releases_staff(client, supervisor, inspector, auth_headers, make_cell, assign):
    cell = make_cell()
    assign(cell, inspector)
    response = client.post(f"/api/v1/cells/{cell.id}/retire", json={"reason": "redrawn by hand"},
                           headers=auth_headers(supervisor))
    assert response.get_json()["properties"]["status"] == "retired"
    history = client.get(f"/api/v1/cells/{cell.id}/assignments", headers=auth_headers(supervisor)).get_json()
    assert history[0]["valid_to"] is not None and history[0]["end_reason"] == "redrawn by hand"
    again = client.post(f"/api/v1/cells/{cell.id}/retire", json={"reason": "x"}, headers=auth_headers(supervisor))
    assert_problem(again, 409, "cell_retired")


def test_generate_preview_saves_nothing(client, supervisor, auth_headers):
    response = client.post("/api/v1/cells/generate", json={"region_code": "130502", "method": "square",
                                                          "side_m": 5000}, headers=auth_headers(supervisor))
    body = response.get_json()
    assert response.status_code == 200 and body["count"] > 10 and body["committed"] is False
    assert body["cells"]["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    listing = client.get("/api/v1/cells?region_code=130502", headers=auth_headers(supervisor)).get_json()
    assert listing["features"] == []


def test_generate_commit_then_redraw_needs_replace(client, supervisor, auth_headers, make_facility):
    headers = auth_headers(supervisor)
    request = {"region_code": "130502", "method": "square", "side_m": 5000, "commit": True}
    first = client.post("/api/v1/cells/generate", json=request, headers=headers).get_json()
    assert first["committed"] and first["cells"]["features"][0]["id"].startswith("130502-")
    facility = make_facility()
    assert facility.cell_id is not None
    assert_problem(client.post("/api/v1/cells/generate", json=request, headers=headers), 409, "region_has_cells")
    redraw = client.post("/api/v1/cells/generate", json={**request, "method": "h3", "resolution": 7,
                                                         "replace": True}, headers=headers).get_json()
    assert redraw["retired"] == first["count"]
    from backend.extensions import db
    from backend.regions.models import Cell

    db.session.refresh(facility)
    assert db.session.get(Cell, facility.cell_id).source == "h3:7"


def test_generate_needs_a_size(client, supervisor, auth_headers):
    body = assert_problem(client.post("/api/v1/cells/generate", json={"region_code": "130502", "method": "h3"},
                                      headers=auth_headers(supervisor)), 422)
    assert "resolution" in body["errors"]


def test_locate_wgs84_and_gcj02(client, inspector, auth_headers, make_cell, assign):
    from grid.crs import wgs84_to_gcj02

    cell = make_cell(114.49, 37.06)
    assign(cell, inspector)
    headers = auth_headers(inspector)
    plain = client.get("/api/v1/cells/locate?lon=114.495&lat=37.065", headers=headers).get_json()
    assert plain["cell"]["id"] == str(cell.id)
    assert plain["lead"]["username"] == inspector.username and plain["members"] == []
    lon, lat = wgs84_to_gcj02(114.495, 37.065)
    phone = client.get(f"/api/v1/cells/locate?lon={lon}&lat={lat}&crs=gcj02", headers=headers).get_json()
    assert phone["cell"]["id"] == str(cell.id)


def test_locate_on_a_shared_edge_picks_the_lowest_code(client, supervisor, auth_headers, make_cell):
    west, _east = make_cell(114.49, 37.06), make_cell(114.50, 37.06)
    located = client.get("/api/v1/cells/locate?lon=114.50&lat=37.065", headers=auth_headers(supervisor)).get_json()
    assert located["cell"]["properties"]["code"] == west.code


def test_locate_outside_every_cell_is_404(client, supervisor, auth_headers, make_cell):
    make_cell()
    assert_problem(client.get("/api/v1/cells/locate?lon=114.2&lat=37.3", headers=auth_headers(supervisor)),
                   404, "no_cell_here")


def test_locate_validates_coordinates(client, supervisor, auth_headers):
    body = assert_problem(client.get("/api/v1/cells/locate?lon=200&lat=37", headers=auth_headers(supervisor)), 422)
    assert "query.lon" in body["errors"]


def test_history_at_a_moment(client, supervisor, make_user, auth_headers, make_cell, assign):
    from backend.common import clock

    first, second = make_user("inspector"), make_user("inspector")
    cell = make_cell()
    assign(cell, first)
    before_change = clock.now()
    assign(cell, second, reason="调岗")
    headers = auth_headers(supervisor)
    then = client.get(f"/api/v1/cells/{cell.id}/assignments",
                      query_string={"at": before_change.isoformat()}, headers=headers).get_json()
    assert [row["inspector_id"] for row in then] == [str(first.id)]
    now_ = client.get(f"/api/v1/cells/{cell.id}/assignments",
                      query_string={"at": (clock.now() + timedelta(seconds=1)).isoformat()}, headers=headers)
    assert [row["inspector_id"] for row in now_.get_json()] == [str(second.id)]


def test_a_whole_region_comes_in_one_feature_collection(client, supervisor, auth_headers, make_cell):
    made = {make_cell(114.47 + 0.01 * i, 37.06).code for i in range(3)}
    response = client.get("/api/v1/regions/130502/cells", headers=auth_headers(supervisor))
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    body = response.get_json()
    assert body["type"] == "FeatureCollection" and "X-Pagination" not in response.headers
    assert made <= {feature["properties"]["code"] for feature in body["features"]}


def test_a_region_with_more_cells_than_the_cap_is_refused(app, client, supervisor, auth_headers, make_cell):
    for i in range(3):
        make_cell(114.47 + 0.01 * i, 37.06)
    app.config["REGION_CELLS_MAX"] = 2
    try:
        response = client.get("/api/v1/regions/130502/cells", headers=auth_headers(supervisor))
    finally:
        app.config["REGION_CELLS_MAX"] = 20_000
    assert_problem(response, 422, "too_many_cells")


def test_cells_of_an_unknown_region_are_404(client, supervisor, auth_headers):
    assert_problem(client.get("/api/v1/regions/139999/cells", headers=auth_headers(supervisor)), 404)
