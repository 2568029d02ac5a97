"""Demo dataset for `make run`: Xingtai's regions, demo accounts and a demo grid. Idempotent."""
from __future__ import annotations

from geoalchemy2.shape import from_shape
from shapely import MultiPolygon
from sqlalchemy import select

from backend.auth import users
from backend.auth.models import User
from backend.common.actor import Actor
from backend.common.region_codes import level_of
from backend.extensions import db
from backend.regions.models import Region
from seeds.xingtai import APPROXIMATE, CITY, CITY_OUTLINE, COUNTIES, PROVINCE, county_boundaries

# username, display name, role, region
DEMO_USERS = [
    ("admin", "系统管理员", "admin", "130500"),
    ("supervisor", "襄都区监管科", "supervisor", "130502"),
    ("inspector1", "网格员一", "inspector", "130502"),
    ("inspector2", "网格员二", "inspector", "130502"),
    ("lab", "邢台市食品检验检测中心", "lab", "130500"),
]


def _upsert_region(code, name, name_en, parent_code, boundary=None) -> None:
    region = db.session.get(Region, code) or Region(code=code)
    region.name, region.name_en, region.level, region.parent_code = name, name_en, level_of(code), parent_code
    if boundary is not None:
        region.boundary = from_shape(boundary, srid=4326)
        region.boundary_source = APPROXIMATE
    db.session.add(region)
    db.session.flush()


def load_regions() -> int:
    _upsert_region(*PROVINCE, None)
    _upsert_region(*CITY, PROVINCE[0], MultiPolygon([CITY_OUTLINE]))
    boundaries = county_boundaries()
    for code, name, name_en, _seat in COUNTIES:
        _upsert_region(code, name, name_en, CITY[0], boundaries[code])
    return 2 + len(COUNTIES)


def load_users(password: str) -> int:
    created = 0
    for username, display_name, role, region_code in DEMO_USERS:
        if db.session.scalar(select(User.id).where(User.username == username)):
            continue
        users.create_user(Actor.system(), username=username, display_name=display_name, role=role,
                          region_code=region_code, password=password)
        created += 1
    return created


def load_demo(password: str) -> dict:
    """Load everything; existing rows are updated or kept, never duplicated."""
    from seeds.calendar import load_calendar
    from seeds.checklists import load_checklists
    from seeds.field_checks import load_checks
    from seeds.grid_demo import load_grid
    from seeds.limits import load_limits
    from seeds.recall_demo import load_recall_story
    from seeds.supply_chain import load_supply_chain

    summary = {"regions": load_regions(), "users_created": load_users(password)}
    return {**summary, **load_grid(), "checklists_published": load_checklists(), "plan_tasks": load_plan(),
            "checks_made": load_checks(), "trace_events": load_supply_chain(), "limits": load_limits(),
            "calendar_days": load_calendar(), "recall_story": load_recall_story()}


def demo_plan_years(today) -> list[int]:
    """Last year's plan (its work done, or nearly), this year's under way and, from
    1 December, next year's, so phones always have work ahead and the recent past always
    has work behind (seeds/field_checks.py), whatever the day."""
    return [today.year - 1, today.year] + ([today.year + 1] if today.month == 12 else [])


def load_plan() -> int:
    """The demo county's inspection plans (demo_plan_years), so inspectors' phones have tasks."""
    from backend.calendar import service as workdays
    from backend.common import clock
    from backend.inspections import tasks
    from backend.inspections.models import InspectionPlan
    from seeds.grid_demo import DEMO_COUNTY

    created = 0
    for year in demo_plan_years(workdays.local_today(clock.now())):
        if not db.session.scalar(select(InspectionPlan.id).where(InspectionPlan.region_code == DEMO_COUNTY,
                                                                 InspectionPlan.year == year)):
            created += tasks.create_plan(Actor.system(), region_code=DEMO_COUNTY, year=year).tasks_created
    return created
