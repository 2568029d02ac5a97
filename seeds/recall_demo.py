"""The recall story in the demo data, through the services the API uses: a lab finds lead
above the limit in the plant's pickled cabbage (辣白菜) sampled at a shop; the verdict
proposes a recall by itself; the county supervisor initiates it at level 2, so its public
notice shows at GET /api/v1/public/recalls and every shop that received the lot has a
verification task for its cell's inspector. Invented; idempotent (the seal number).
"""
from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from backend.auth.models import User
from backend.common import clock
from backend.common.actor import Actor
from backend.extensions import db
from backend.facilities.models import Facility
from backend.inspections.tasks import current_leads
from backend.recalls.models import Recall
from backend.recalls.service import transition
from backend.sampling import results, samples
from backend.sampling.models import Sample
from backend.traceability.models import Holding, Lot

SEAL = "XT-2026-DEMO-0001"


def _actor(username: str) -> Actor:
    user = db.session.scalar(select(User).where(User.username == username))
    return Actor(id=user.id, username=user.username, role=user.role, region_code=user.region_code)


def load_recall_story() -> int:
    """Returns 1 when the story was recorded now, 0 when it was already there (or cannot be)."""
    if db.session.scalar(select(Sample.id).where(Sample.sample_no == SEAL)):
        return 0
    kimchi = db.session.scalar(select(Lot).where(Lot.lot_code.like("LBC-%")).order_by(Lot.created_at.desc()))
    shop_id = kimchi and db.session.scalar(select(Holding.facility_id).where(
        Holding.lot_id == kimchi.id, Holding.facility_id != kimchi.facility_id, Holding.quantity > 0).limit(1))
    if shop_id is None:
        return 0
    shop = db.session.get(Facility, shop_id)
    lead = current_leads({shop.cell_id}).get(shop.cell_id)
    inspector = db.session.get(User, lead)
    sampler = Actor(id=inspector.id, username=inspector.username, role="inspector", region_code=inspector.region_code)
    sample, _ = samples.record_sample(sampler, {
        "id": uuid.uuid5(uuid.NAMESPACE_URL, f"foodgrid-demo:{SEAL}"), "sample_no": SEAL, "facility_id": shop.id,
        "lot_id": kimchi.id, "product_name": "辣白菜", "food_category": "pickled vegetables", "quantity": "3 × 500 g",
        "method": "lab", "sampled_at": clock.now() - timedelta(days=2)})
    lab = _actor("lab")
    samples.receive_in_lab(lab, sample, "邢台市食品检验检测中心")
    results.enter_results(lab, sample, [{"analyte": "lead", "value": Decimal("0.62"), "unit": "mg/kg",
                                         "method": "GB 5009.12-2023", "lod": None}])
    results.issue_verdict(lab, sample)
    recall = db.session.scalar(select(Recall).where(Recall.sample_id == sample.id))
    transition(_actor("supervisor"), recall, "initiate", level=2, kind="ordered",
               hazard="铅含量超标（0.62 mg/kg，限量 0.3）",
               notice=f"批号 {kimchi.lot_code} 的辣白菜铅含量超标，请经营者立即停止销售并下架，"
                      "消费者请停止食用。")
    return 1
