from tests.helpers import assert_problem

POINT = {"type": "Point", "coordinates": [114.495, 37.065]}
VALID_USCC = "91350100M000100Y43"


def create(client, headers, **overrides):
    body = {"name": "老王面馆", "kind": "restaurant", "location": POINT, "risk_level": "C", **overrides}
    return client.post("/api/v1/facilities", json=body, headers=headers)


def test_cell_and_region_are_derived_from_location(client, supervisor, auth_headers, make_cell):
    cell = make_cell()
    feature = create(client, auth_headers(supervisor)).get_json()
    assert feature["properties"]["cell_id"] == str(cell.id)
    assert feature["properties"]["region_code"] == "130502"
    assert feature["geometry"] == {"type": "Point", "coordinates": [114.495, 37.065]}


def test_without_a_cell_the_region_still_comes_from_location(client, supervisor, auth_headers):
    feature = create(client, auth_headers(supervisor)).get_json()
    assert feature["properties"]["cell_id"] is None and feature["properties"]["region_code"] == "130502"


def test_gcj02_location_is_stored_as_wgs84(client, supervisor, auth_headers):
    from grid.crs import wgs84_to_gcj02

    lon, lat = wgs84_to_gcj02(114.495, 37.065)
    feature = create(client, auth_headers(supervisor), location={"type": "Point", "coordinates": [lon, lat]},
                     crs="gcj02").get_json()
    stored_lon, stored_lat = feature["geometry"]["coordinates"]
    assert abs(stored_lon - 114.495) < 1e-5 and abs(stored_lat - 37.065) < 1e-5


def test_swapped_coordinates_are_caught(client, supervisor, auth_headers):
    body = assert_problem(create(client, auth_headers(supervisor),
                                 location={"type": "Point", "coordinates": [37.065, 114.495]}), 422)
    assert body["code"] in ("validation_error", "coordinates_out_of_range", "outside_known_regions")


def test_location_far_away_is_refused(client, supervisor, auth_headers):
    assert_problem(create(client, auth_headers(supervisor), location={"type": "Point", "coordinates": [2.35, 48.85]}),
                   422, "outside_known_regions")


def test_uscc_check_character_is_verified(client, supervisor, auth_headers):
    body = assert_problem(create(client, auth_headers(supervisor), uscc="91350100M000100Y44"), 422, "invalid_uscc")
    assert "expected 3" in body["detail"] and body["field"] == "uscc"


def test_duplicate_uscc_is_conflict(client, supervisor, auth_headers):
    headers = auth_headers(supervisor)
    first = create(client, headers, uscc=VALID_USCC).get_json()
    body = assert_problem(create(client, headers, uscc=VALID_USCC.lower()), 409, "duplicate_uscc")
    assert body["facility_id"] == first["id"]


def test_licence_number_format(client, supervisor, auth_headers):
    headers = auth_headers(supervisor)
    assert create(client, headers, kind="producer", licence_no="SC10613050200019").status_code == 201
    assert_problem(create(client, headers, kind="producer", licence_no="SC1061305020001"), 422, "invalid_licence_no")


def test_supervisor_cannot_register_in_another_county(client, make_user, auth_headers):
    other = make_user("supervisor", "130503")
    assert_problem(create(client, auth_headers(other)), 403)


def test_stall_stands_in_its_market(client, supervisor, auth_headers, make_facility):
    market = make_facility(kind="farmers_market")
    stall = create(client, auth_headers(supervisor), name="3号摊位", kind="stall", parent_id=str(market.id),
                   location=None).get_json()
    assert stall["geometry"]["coordinates"] == [114.495, 37.065]
    stalls = client.get(f"/api/v1/facilities/{market.id}/stalls", headers=auth_headers(supervisor)).get_json()
    assert [row["name"] for row in stalls] == ["3号摊位"]


def test_stall_needs_a_market(client, supervisor, auth_headers, make_facility):
    shop = make_facility(kind="retailer")
    headers = auth_headers(supervisor)
    assert_problem(create(client, headers, kind="stall", parent_id=str(shop.id)), 422, "stall_needs_market")
    assert_problem(create(client, headers, kind="stall"), 422, "stall_needs_market")


def test_near_orders_by_distance(client, supervisor, auth_headers, make_facility):
    far = make_facility(114.500, 37.065, name="远")
    near = make_facility(114.4955, 37.065, name="近")
    make_facility(114.60, 37.065, name="太远")
    listing = client.get("/api/v1/facilities?near=114.495,37.065&radius_m=1000",
                         headers=auth_headers(supervisor)).get_json()
    assert [feature["id"] for feature in listing["features"]] == [str(near.id), str(far.id)]


def test_filters(client, supervisor, auth_headers, make_facility, make_cell):
    cell = make_cell()
    restaurant = make_facility(kind="restaurant", risk_level="D")
    make_facility(kind="retailer", risk_level="A")
    headers = auth_headers(supervisor)
    by_kind = client.get("/api/v1/facilities?kind=restaurant&risk_level=D", headers=headers).get_json()
    assert [feature["id"] for feature in by_kind["features"]] == [str(restaurant.id)]
    assert len(client.get(f"/api/v1/facilities?cell_id={cell.id}", headers=headers).get_json()["features"]) == 2


def test_inspector_sees_facilities_of_own_cells_only(client, inspector, auth_headers, make_cell, make_facility,
                                                     assign):
    mine = make_cell(114.49, 37.06)
    make_cell(114.50, 37.06)
    assign(mine, inspector)
    inside = make_facility(114.495, 37.065)
    outside = make_facility(114.505, 37.065)
    headers = auth_headers(inspector)
    listing = client.get("/api/v1/facilities", headers=headers).get_json()
    assert [feature["id"] for feature in listing["features"]] == [str(inside.id)]
    assert_problem(client.get(f"/api/v1/facilities/{outside.id}", headers=headers), 404)
    assert_problem(create(client, headers), 403)


def test_enterprise_sees_only_its_own_facility(client, make_user, auth_headers, make_facility):
    own, other = make_facility(), make_facility()
    operator = make_user("enterprise", facility_id=own.id)
    headers = auth_headers(operator)
    assert client.get(f"/api/v1/facilities/{own.id}", headers=headers).status_code == 200
    assert_problem(client.get(f"/api/v1/facilities/{other.id}", headers=headers), 404)


def test_update_requires_if_match_and_moves_cell(client, supervisor, auth_headers, make_cell, make_facility):
    west, east = make_cell(114.49, 37.06), make_cell(114.50, 37.06)
    facility = make_facility(114.495, 37.065)
    assert facility.cell_id == west.id
    headers = auth_headers(supervisor)
    url = f"/api/v1/facilities/{facility.id}"
    assert_problem(client.patch(url, json={"name": "新名"}, headers=headers), 428)
    etag = client.get(url, headers=headers).headers["ETag"]
    moved = client.patch(url, json={"location": {"type": "Point", "coordinates": [114.505, 37.065]}},
                         headers={**headers, "If-Match": etag})
    assert moved.status_code == 200
    assert moved.get_json()["properties"]["cell_id"] == str(east.id)
    assert_problem(client.patch(url, json={"name": "x"}, headers={**headers, "If-Match": etag}), 412)


def test_new_cell_claims_existing_facilities(make_cell, make_facility):
    from backend.extensions import db

    facility = make_facility(114.495, 37.065)
    assert facility.cell_id is None
    cell = make_cell()
    db.session.refresh(facility)
    assert facility.cell_id == cell.id


def test_retiring_a_cell_releases_its_facilities(client, supervisor, auth_headers, make_cell, make_facility):
    from backend.extensions import db

    cell = make_cell()
    facility = make_facility()
    client.post(f"/api/v1/cells/{cell.id}/retire", json={"reason": "gone"}, headers=auth_headers(supervisor))
    db.session.refresh(facility)
    assert facility.cell_id is None


def test_unknown_fields_are_rejected(client, supervisor, auth_headers):
    body = assert_problem(create(client, auth_headers(supervisor), cell_id="x"), 422)
    assert body["errors"] == {"cell_id": ["Unknown field."]}


def test_write_racing_another_is_412_not_500(client, supervisor, auth_headers, make_facility):
    from sqlalchemy import text

    from backend.extensions import db

    facility = make_facility()
    headers = auth_headers(supervisor)
    url = f"/api/v1/facilities/{facility.id}"
    etag = client.get(url, headers=headers).headers["ETag"]
    # another writer bumps the row's version after our read (same session, so the ETag check still passes)
    db.session.execute(text("UPDATE facilities SET version = version + 1 WHERE id = :id"), {"id": facility.id})
    response = client.patch(url, json={"name": "并发"}, headers={**headers, "If-Match": etag})
    assert_problem(response, 412, "precondition_failed")
