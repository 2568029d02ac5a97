"""The grid issue's story, through the API: a supervisor cuts a county into cells, sees
them as GeoJSON, balances them over two inspectors, reassigns one cell, and asks who held
it yesterday; an inspector's phone finds its cell from a GCJ-02 point."""
from datetime import timedelta

from backend.common import clock
from grid.crs import wgs84_to_gcj02
from tests.factories import PASSWORD


def login(client, username):
    token = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD}).get_json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_a_supervisor_runs_the_grid_and_an_inspector_finds_it(client, make_user, make_facility, monkeypatch):
    make_user("supervisor", username="zhang")
    li, wang = make_user("inspector", username="li"), make_user("inspector", username="wang")
    boss = login(client, "zhang")

    # 1. generate: preview, then commit
    request = {"region_code": "130502", "method": "square", "side_m": 3000}
    preview = client.post("/api/v1/cells/generate", json=request, headers=boss).get_json()
    saved = client.post("/api/v1/cells/generate", json={**request, "commit": True}, headers=boss).get_json()
    assert saved["count"] == preview["count"] > 20 and saved["committed"]
    for lon in (114.45, 114.48, 114.52, 114.56):
        make_facility(lon, 37.07, risk_level="C")

    # 2. see them as GeoJSON, one page at a time
    page = client.get("/api/v1/cells?region_code=130502&page_size=100", headers=boss)
    assert page.get_json()["type"] == "FeatureCollection"
    assert len(page.get_json()["features"]) == min(100, saved["count"])

    # 3. balance over two inspectors, as of yesterday
    yesterday = clock.now() - timedelta(days=1)
    monkeypatch.setattr(clock, "now", lambda: yesterday)
    balance = {"region_code": "130502", "inspector_ids": [str(li.id), str(wang.id)], "apply": True}
    result = client.post("/api/v1/assignments/balance", json=balance, headers=boss).get_json()
    assert result["contiguous"] and result["changes"] == saved["count"]
    assert result["loads"]["li"] + result["loads"]["wang"] == 8  # four C-level facilities, 2 visits each
    monkeypatch.undo()

    # 4. reassign one cell today
    located = client.get("/api/v1/cells/locate?lon=114.45&lat=37.07", headers=boss).get_json()
    cell_id, was = located["cell"]["id"], located["lead"]["username"]
    newcomer = li if was == "wang" else wang
    client.post(f"/api/v1/cells/{cell_id}/assignments", headers=boss,
                json={"action": "set_lead", "inspector_id": str(newcomer.id), "reason": "轮岗"})

    # 5. who held it yesterday?
    at = (yesterday + timedelta(hours=1)).isoformat()
    then = client.get(f"/api/v1/cells/{cell_id}/assignments", query_string={"at": at}, headers=boss).get_json()
    assert [(row["role"], row["inspector_id"]) for row in then] == [("lead", str((li if was == "li" else wang).id))]

    # 6. the new lead's phone, with Amap's GCJ-02 coordinates, finds the cell and itself in it
    lon, lat = wgs84_to_gcj02(114.45, 37.07)
    phone = client.get(f"/api/v1/cells/locate?lon={lon}&lat={lat}&crs=gcj02",
                       headers=login(client, newcomer.username)).get_json()
    assert phone["cell"]["id"] == cell_id and phone["lead"]["username"] == newcomer.username
    mine = client.get("/api/v1/cells", headers=login(client, newcomer.username)).get_json()
    assert cell_id in {feature["id"] for feature in mine["features"]}
