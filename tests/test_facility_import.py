from backend.extensions import db
from backend.facilities.models import Facility
from tests.helpers import assert_problem

HEADER = "name,kind,uscc,licence_no,address,lon,lat,crs,risk_level,market_uscc\n"
GOOD = [
    "新华农贸市场,farmers_market,91350100M000100Y43,,新华路1号,114.495,37.065,,C,",
    "一号摊位,stall,91110108551385082Q,,,,,,B,91350100M000100Y43",
    "老王豆腐坊,workshop,91310000775785552L,SC10613050200019,,114.496,37.066,wgs84,D,",
]
BAD = [
    "坏代码,restaurant,91350100M000100Y44,,,114.495,37.065,,B,",   # check character
    ",restaurant,,,,114.495,37.065,,B,",                            # no name
    "远方,restaurant,,,,2.35,48.85,,B,",                            # outside every region
    "无市场,stall,,,,,,,B,91350100M000100Y99",                       # unknown market
]


def upload(client, headers, text: str, encoding: str = "utf-8"):
    return client.post("/api/v1/facilities/import", data=text.encode(encoding), content_type="text/csv",
                       headers=headers)


def test_good_rows_in_bad_rows_reported_by_line(client, supervisor, auth_headers):
    report = upload(client, auth_headers(supervisor), HEADER + "\n".join(GOOD + BAD) + "\n").get_json()
    assert (report["rows"], report["created"], report["failed"]) == (7, 3, 4)
    assert [error["line"] for error in report["errors"]] == [5, 6, 7, 8]
    assert "uscc" in report["errors"][0]["errors"] and "name" in report["errors"][1]["errors"]
    assert "market_uscc" in report["errors"][3]["errors"]
    stall = db.session.scalar(db.select(Facility).where(Facility.name == "一号摊位"))
    assert stall.parent_id is not None


def test_reimport_is_idempotent(client, supervisor, auth_headers):
    headers = auth_headers(supervisor)
    text = HEADER + "\n".join(GOOD) + "\n"
    upload(client, headers, text)
    report = upload(client, headers, text).get_json()
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 3)
    changed = upload(client, headers, text.replace("老王豆腐坊", "老王豆腐坊(新)")).get_json()
    assert (changed["created"], changed["updated"]) == (0, 1)
    assert db.session.scalar(db.select(db.func.count()).select_from(Facility)) == 3


def test_gb18030_from_chinese_excel(client, supervisor, auth_headers):
    report = upload(client, auth_headers(supervisor), HEADER + GOOD[0] + "\n", "gb18030").get_json()
    assert report["created"] == 1
    assert db.session.scalar(db.select(Facility.name)) == "新华农贸市场"


def test_header_without_required_columns(client, supervisor, auth_headers):
    assert_problem(upload(client, auth_headers(supervisor), "foo,bar\n1,2\n"), 422, "bad_csv_header")


def test_import_needs_csv(client, supervisor, auth_headers):
    response = client.post("/api/v1/facilities/import", json={"a": 1}, headers=auth_headers(supervisor))
    assert_problem(response, 415)


def test_inspector_cannot_import(client, inspector, auth_headers):
    assert_problem(upload(client, auth_headers(inspector), HEADER + GOOD[0]), 403)


def test_cli_import_with_progress(app, tmp_path):
    path = tmp_path / "facilities.csv"
    path.write_text(HEADER + "\n".join(GOOD) + "\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["facilities", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "created 3" in result.output


def test_broken_csv_is_refused_whole(client, supervisor, auth_headers):
    body = assert_problem(upload(client, auth_headers(supervisor), 'name,kind\n"unclosed,restaurant\n'), 422,
                          "bad_csv")
    assert "nothing was imported" in body["detail"]


def test_binary_file_is_refused(client, supervisor, auth_headers):
    assert_problem(upload(client, auth_headers(supervisor), "name,kind\n\x00\x01,restaurant\n"), 422, "bad_csv")
