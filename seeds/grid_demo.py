"""Demo grid for 襄都区 (130502): generated cells, a few hundred facilities of every kind
with plausible names, identifiers and locations, and the demo inspectors balanced over the
cells. Deterministic (fixed random seed) and idempotent."""
from __future__ import annotations

import random

from geoalchemy2.shape import to_shape
from shapely import Point
from sqlalchemy import func, select

from backend.auth.models import User
from backend.common.actor import Actor
from backend.extensions import db
from backend.facilities.identifiers import USCC_ALPHABET, uscc_check_character
from backend.facilities.models import Facility
from backend.facilities.service import create_facility
from backend.regions import assignments, cells
from backend.regions.models import Assignment, Cell, Region

DEMO_COUNTY = "130502"
CELL_SIDE_M = 2000
PLACES = ["新华", "中兴", "团结", "顺德", "钢铁", "冶金", "豫让桥", "东大街", "守敬", "泉北", "大梁庄",
          "晏家屯", "祝村", "东汪", "皇寺", "百泉", "七里河", "达活泉", "清风楼", "开元"]
# kind: (count, name patterns, risk weights A, B, C, D)
KINDS = {
    "workshop": (40, ["{p}豆腐坊", "{p}馒头加工坊", "{p}酱菜作坊", "{p}挂面坊"], (1, 3, 4, 2)),
    "producer": (20, ["邢台{p}食品有限公司", "{p}乳制品有限公司", "{p}肉制品加工厂"], (1, 3, 4, 2)),
    "retailer": (80, ["{p}便利店", "{p}生鲜超市", "{p}副食店", "{p}连锁超市"], (4, 4, 1, 1)),
    "restaurant": (90, ["{p}面馆", "{p}饺子馆", "{p}家常菜馆", "{p}烧烤店", "{p}快餐"], (2, 4, 3, 1)),
    "farm": (20, ["{p}蔬菜种植基地", "{p}养殖场", "{p}果园"], (3, 4, 2, 1)),
    "cold_store": (5, ["{p}冷链仓储中心"], (1, 3, 4, 2)),
}
MARKETS = [("farmers_market", "{p}农贸市场", 10), ("farmers_market", "{p}农贸市场", 10),
           ("wholesale_market", "{p}农产品批发市场", 15)]


def _uscc(rng: random.Random) -> str:
    body = "92" + DEMO_COUNTY + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_check_character(body)


def _licence(rng: random.Random) -> str:
    return f"SC1{rng.randint(1, 31):02d}{DEMO_COUNTY}{rng.randint(1, 9999):04d}{rng.randint(0, 9)}"


def _point_in(shape, rng: random.Random) -> Point:
    minx, miny, maxx, maxy = shape.bounds
    while True:
        point = Point(round(rng.uniform(minx, maxx), 6), round(rng.uniform(miny, maxy), 6))
        if shape.contains(point):
            return point


def _facility(actor, rng, kind, name, location=None, **extra) -> Facility:
    # Every random draw happens before the existence check, so a second run draws the
    # same sequence and finds the same facilities.
    fields = dict(
        uscc=_uscc(rng),
        licence_no=_licence(rng) if kind in ("producer", "workshop") else None,
        address=f"邢台市襄都区{rng.choice(PLACES)}路{rng.randint(1, 300)}号",
        operator_name=rng.choice("王李张刘陈杨赵黄周吴") + "经理",
        operator_phone=f"13{rng.randint(100000000, 999999999)}",
    )
    existing = db.session.scalar(select(Facility).where(Facility.uscc == fields["uscc"]))
    if existing is not None:
        return existing
    return create_facility(actor, name=name, kind=kind, location=location,
                           sales_area=[DEMO_COUNTY] if kind == "workshop" else [], **fields, **extra)


def load_facilities(actor: Actor, boundary) -> int:
    rng = random.Random(20261125)
    before = db.session.scalar(select(func.count()).select_from(Facility))
    for kind, name_pattern, stalls in MARKETS:
        market = _facility(actor, rng, kind, name_pattern.format(p=rng.choice(PLACES)), _point_in(boundary, rng),
                           risk_level="C")
        for number in range(1, stalls + 1):
            _facility(actor, rng, "stall", f"{market.name}{number}号摊位", parent_id=market.id,
                      risk_level=rng.choice("ABBC"))
    for kind, (count, patterns, weights) in KINDS.items():
        for _ in range(count):
            name = rng.choice(patterns).format(p=rng.choice(PLACES))
            risk = rng.choices("ABCD", weights=weights)[0]
            _facility(actor, rng, kind, name, _point_in(boundary, rng), risk_level=risk)
    return db.session.scalar(select(func.count()).select_from(Facility)) - before


def load_grid() -> dict:
    actor = Actor.system()
    region = db.session.get(Region, DEMO_COUNTY)
    summary = {"cells_created": 0, "facilities_created": 0, "leads_assigned": 0}
    if not db.session.scalar(select(Cell.id).where(Cell.region_code == DEMO_COUNTY, Cell.status == "active")):
        generated = cells.generate_cells(actor, region_code=DEMO_COUNTY, method="square", size=CELL_SIDE_M,
                                         commit=True)
        summary["cells_created"] = len(generated.cells)
    summary["facilities_created"] = load_facilities(actor, to_shape(region.boundary))
    has_leads = db.session.scalar(
        select(Assignment.id).join(Cell).where(Cell.region_code == DEMO_COUNTY, Assignment.valid_to.is_(None)))
    inspectors = db.session.scalars(
        select(User.id).where(User.username.in_(["inspector1", "inspector2"])).order_by(User.username)).all()
    if not has_leads and inspectors:
        result = assignments.balance_region(actor, region_code=DEMO_COUNTY, inspector_ids=list(inspectors),
                                            apply=True, reason="demo grid")
        summary["leads_assigned"] = result.changes
    return summary
