"""A demo supply chain in 襄都区, recorded through the same service as the API, so that a
supervisor can trace a lot in `make run`: three farms ship cabbage and tomatoes to the
wholesale market, which supplies shops and restaurants and a pickle plant; the plant turns
cabbage from two farms into one lot of pickled cabbage (辣白菜) sold by three shops; a tofu
workshop sells locally but also ships a few kilograms to a shop in 信都区, outside its
sales area (a restricted-sales violation, 限区域销售); one restaurant reports selling more
than it received (a mass-balance violation to review). Invented names, quantities and codes; idempotent.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from geoalchemy2.shape import to_shape
from sqlalchemy import func, select

from backend.common import clock
from backend.common.actor import Actor
from backend.extensions import db
from backend.facilities.identifiers import gs1_check_digit
from backend.facilities.models import Facility
from backend.facilities.service import create_facility, update_facility
from backend.regions.models import Region
from backend.traceability.catalogue import create_lot, create_product
from backend.traceability.events import record_event
from backend.traceability.models import Product
from seeds.grid_demo import DEMO_COUNTY

COMPANY_PREFIX = "6901234"  # invented GS1 company prefix for the demo
PRODUCTS = {  # key: (name, category, item reference)
    "cabbage": ("大白菜", "vegetables", "10001"),
    "tomato": ("西红柿", "vegetables", "10002"),
    "kimchi": ("辣白菜", "pickled vegetables", "20001"),
    "tofu": ("卤水豆腐", "soy products", "30001"),
}


def _gtin(item_ref: str) -> str:
    body = "0" + COMPANY_PREFIX + item_ref
    return body + gs1_check_digit(body)


def _places() -> dict[str, list[Facility]]:
    def of(kind: str, count: int) -> list[Facility]:
        return list(db.session.scalars(select(Facility).where(
            Facility.region_code == DEMO_COUNTY, Facility.kind == kind, Facility.status == "active")
            .order_by(Facility.name, Facility.id).limit(count)))

    return {"farm": of("farm", 3), "market": of("wholesale_market", 1), "plant": of("producer", 1),
            "shop": of("retailer", 6), "restaurant": of("restaurant", 3), "workshop": of("workshop", 1)}


def _shop_outside(system: Actor) -> Facility:
    """A shop in 信都区 (130503), next to the demo county, where the tofu may not be sold."""
    name = "信都区便民超市（演示）"
    shop = db.session.scalar(select(Facility).where(Facility.name == name))
    if shop is None:
        point = db.session.scalar(select(func.ST_PointOnSurface(Region.boundary)).where(Region.code == "130503"))
        shop = create_facility(system, name=name, kind="retailer", location=to_shape(point),
                               address="邢台市信都区（演示）")
    return shop


def load_supply_chain() -> int:
    """Record the demo chain; returns the number of events recorded (0 when already there)."""
    if db.session.scalar(select(Product.id).where(Product.gtin == _gtin(PRODUCTS["cabbage"][2]))):
        return 0
    system, places = Actor.system(), _places()
    if not all(places.values()):
        return 0
    for serial, facility in enumerate([*places["market"], *places["plant"], *places["farm"]], start=1):
        if not facility.gln:
            body = COMPANY_PREFIX + f"{serial:05d}"
            update_facility(system, facility, {"gln": body + gs1_check_digit(body)})
    products = {key: create_product(system, name=name, category=category, gtin=_gtin(ref))
                for key, (name, category, ref) in PRODUCTS.items()}
    start = clock.now() - timedelta(days=6)
    day = start.strftime("%Y%m%d")
    farm_a, farm_b, farm_c = places["farm"]
    market, plant, workshop = places["market"][0], places["plant"][0], places["workshop"][0]

    def lot(key, facility, code):
        return create_lot(system, lot_code=code, product_id=products[key].id, facility_id=facility.id, unit="kg",
                          produced_at=start)

    lots = {"cabbage-a": lot("cabbage", farm_a, f"BC-{day}-A"), "cabbage-b": lot("cabbage", farm_b, f"BC-{day}-B"),
            "tomato": lot("tomato", farm_c, f"XH-{day}-C"), "kimchi": lot("kimchi", plant, f"LBC-{day}-01"),
            "tofu": lot("tofu", workshop, f"DF-{day}-01")}
    recorded = 0

    def event(name, type, hours, facility, lot_key=None, quantity=None, other=None, **extra):
        nonlocal recorded
        lines = extra.pop("lines", None) or [{"role": "subject", "lot_id": lots[lot_key].id,
                                              "quantity": Decimal(quantity), "unit": "kg"}]
        record_event(system, event_id=f"demo-{day}-{name}", type=type, occurred_at=start + timedelta(hours=hours),
                     facility_id=facility.id, other_facility_id=other and other.id, lines=lines, **extra)
        recorded += 1

    def move(name, hours, sender, receiver, lot_key, quantity):
        event(f"{name}-ship", "ship", hours, sender, lot_key, quantity, other=receiver, reference=f"DN-{name}")
        event(f"{name}-recv", "receive", hours + 3, receiver, lot_key, quantity, other=sender, reference=f"DN-{name}")

    event("harvest-a", "harvest", 0, farm_a, "cabbage-a", 2000)
    event("harvest-b", "harvest", 1, farm_b, "cabbage-b", 1500)
    event("harvest-c", "harvest", 2, farm_c, "tomato", 1200)
    move("a-market", 6, farm_a, market, "cabbage-a", 1800)
    move("b-market", 7, farm_b, market, "cabbage-b", 1400)
    move("c-market", 8, farm_c, market, "tomato", 1100)
    for index, shop in enumerate(places["shop"][:4]):
        move(f"market-shop{index}", 24 + index, market, shop, "cabbage-a", 200 + 50 * index)
        move(f"market-shop{index}-t", 25 + index, market, shop, "tomato", 150)
    for index, restaurant in enumerate(places["restaurant"]):
        move(f"market-rest{index}", 30 + index, market, restaurant, "cabbage-b", 80)
    move("market-plant-a", 34, market, plant, "cabbage-a", 500)
    move("market-plant-b", 34, market, plant, "cabbage-b", 600)
    event("pickling", "transform", 48, plant, lines=[
        {"role": "input", "lot_id": lots["cabbage-a"].id, "quantity": Decimal(500), "unit": "kg"},
        {"role": "input", "lot_id": lots["cabbage-b"].id, "quantity": Decimal(600), "unit": "kg"},
        {"role": "output", "lot_id": lots["kimchi"].id, "quantity": Decimal(900), "unit": "kg"}])
    for index, shop in enumerate(places["shop"][3:6]):
        move(f"plant-shop{index}", 72 + index, plant, shop, "kimchi", 150)
    event("tofu", "produce", 90, workshop, "tofu", 60)
    move("tofu-shop", 92, workshop, places["shop"][0], "tofu", 20)
    event("tofu-out", "ship", 94, workshop, "tofu", 5, other=_shop_outside(system),
          reference="DN-tofu-out")  # 限区域销售: outside the workshop's sales area
    event("rest0-sold", "sell", 100, places["restaurant"][0], "cabbage-b", 95)  # more than the 80 kg received
    return recorded
