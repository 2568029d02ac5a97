from datetime import datetime
from zoneinfo import ZoneInfo

from backend.auth.models import User
from backend.common import clock
from backend.extensions import db
from seeds import DEMO_USERS, load_demo
from seeds.field_checks import OVERDUE, VISITS

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _overdue_by_kind() -> dict[str, int]:
    from backend.inspections.models import InspectionTask as Task

    late = Task.status.in_(("open", "in_progress")) & (Task.due_at < clock.now())
    return dict(db.session.execute(db.select(Task.kind, db.func.count()).where(late).group_by(Task.kind)).all())


def test_demo_seeds_are_idempotent():
    # Runs on whatever day the suite runs (also under --today): the story is told relative to now.
    first = load_demo("demo-password-1")
    users_before = db.session.scalar(db.select(db.func.count()).select_from(User))
    summary = load_demo("demo-password-1")
    assert summary["users_created"] == 0 and summary["checks_made"] == 0 and summary["trace_events"] == 0
    assert summary["recall_story"] == 0 and summary["plan_tasks"] == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == users_before
    assert first["checks_made"] == VISITS == 40


def test_demo_is_a_plan_under_way_even_on_new_years_night(time_machine):
    """1 January, 00:30 in Xingtai: last year's plan done but for the newest visits, a handful overdue
    (five routine tasks and the follow-ups of the oldest demo checks' rectification orders)."""
    from backend.inspections.models import InspectionPlan, InspectionTask
    from backend.notifications import worker
    from backend.notifications.models import Notification

    time_machine.move_to(datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI), tick=False)
    assert load_demo("demo-password-1")["checks_made"] == VISITS
    assert set(db.session.scalars(db.select(InspectionPlan.year))) == {2026, 2027}
    overdue = _overdue_by_kind()
    assert overdue["routine"] == OVERDUE and sum(overdue.values()) <= OVERDUE + 6, overdue
    ahead = db.session.scalar(db.select(db.func.count()).select_from(InspectionTask).where(
        InspectionTask.status == "open", InspectionTask.due_at > clock.now()))
    assert ahead > 300  # this year's plan lies ahead
    assert worker.escalate_overdue() == sum(overdue.values())
    while worker.process_batch():
        pass
    assert db.session.scalar(db.select(db.func.count()).select_from(Notification)) <= 20


def test_demo_checks_include_rectification_orders_and_flags():
    from backend.inspections.models import Check, RectificationOrder

    load_demo("demo-password-1")
    outcomes = set(db.session.scalars(db.select(Check.outcome)))
    assert outcomes == {"compliant", "basically_compliant", "non_compliant"}
    assert db.session.scalar(db.select(db.func.count()).select_from(RectificationOrder)) > 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Check).where(Check.flags != [])) > 0


def test_demo_users_log_in(client):
    load_demo("demo-password-1")
    db.session.commit()
    for username, *_ in DEMO_USERS:
        response = client.post("/api/v1/auth/login", json={"username": username, "password": "demo-password-1"})
        assert response.status_code == 200, username


def test_cli_creates_user(app):
    result = app.test_cli_runner().invoke(args=["users", "create", "--username", "cli-admin", "--role", "admin",
                                                "--region", "130500", "--password", "cli-password-123"])
    assert result.exit_code == 0, result.output
    assert "created admin cli-admin" in result.output
    assert db.session.scalar(db.select(User).where(User.username == "cli-admin")).role == "admin"


def test_cli_reports_bad_region(app):
    result = app.test_cli_runner().invoke(args=["users", "create", "--username", "x-user", "--role", "admin",
                                                "--region", "999999", "--password", "cli-password-123"])
    assert result.exit_code != 0 and "Unknown region" in result.output


def test_demo_supply_chain_traces_from_farm_to_shops():
    from backend.common.actor import Actor
    from backend.traceability.models import Lot
    from backend.traceability.trace import trace_lot

    assert load_demo("demo-password-1")["trace_events"] > 40
    cabbage = db.session.scalar(db.select(Lot).where(Lot.lot_code.like("BC-%-A")))
    forward = trace_lot(Actor.system(), cabbage.id, direction="forward")
    assert {"farm", "wholesale_market", "retailer", "producer"} <= {f["kind"] for f in forward["facilities"]}
    assert any(lot["lot_code"].startswith("LBC-") for lot in forward["lots"])  # into the pickles


def test_demo_shows_a_workshop_shipping_outside_its_sales_area(client, make_user, auth_headers):
    load_demo("demo-password-1")
    found = client.get("/api/v1/traceability/violations?type=restricted_sales",
                       headers=auth_headers(make_user("supervisor", "130500"))).get_json()
    assert len(found) == 1 and "信都区便民超市（演示）" in found[0]["detail"]


def test_demo_recall_is_initiated_and_public(client):
    assert load_demo("demo-password-1")["recall_story"] == 1
    notices = client.get("/api/v1/public/recalls").get_json()
    assert notices and notices[0]["level"] == 2 and "辣白菜" in notices[0]["notice"]
