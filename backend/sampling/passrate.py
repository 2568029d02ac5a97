"""Pass rate (合格率) = qualified ÷ judged lab samples, by region, facility kind, food
category or month (Asia/Shanghai). Rapid tests are screening, not 抽检: left out."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, cast, func, select

from backend.common.actor import Actor
from backend.common.domain_errors import Forbidden
from backend.common.region_codes import scope_prefix
from backend.extensions import db
from backend.facilities.models import Facility
from backend.sampling.models import Sample
from backend.sampling.policy import may_read_reports

JUDGED = ("qualified", "unqualified", "retest_requested", "retested")
GROUPS = {
    "region": Sample.region_code,
    "facility_kind": Facility.kind,
    "food_category": Sample.food_category,
    "month": func.to_char(func.timezone("Asia/Shanghai", Sample.sampled_at), "YYYY-MM"),
}


def pass_rate(actor: Actor, *, group_by: str, region_code: str | None = None, since: datetime | None = None,
              until: datetime | None = None) -> list[dict]:
    if not may_read_reports(actor):
        raise Forbidden("Reports are for supervision staff.")
    key = GROUPS[group_by].label("key")
    qualified = func.sum(cast(Sample.status == "qualified", Integer))
    query = (select(key, func.count().label("judged"), qualified.label("qualified"))
             .join(Facility, Facility.id == Sample.facility_id)
             .where(Sample.method == "lab", Sample.status.in_(JUDGED),
                    Sample.region_code.startswith(scope_prefix(region_code or actor.region_code)))
             .group_by(key).order_by(key))
    if region_code and not actor.covers_region(region_code):
        raise Forbidden(f"Region {region_code} is outside your region.")
    if since:
        query = query.where(Sample.sampled_at >= since)
    if until:
        query = query.where(Sample.sampled_at < until)
    return [{"key": row.key, "judged": row.judged, "qualified": row.qualified,
             "rate": round(row.qualified / row.judged, 4)} for row in db.session.execute(query)]
