"""Regions: read access and the existence check other domains rely on."""
from __future__ import annotations

from sqlalchemy import Select, or_, select

from backend.common.actor import Actor
from backend.common.domain_errors import NotFound, RuleViolation
from backend.common.region_codes import is_valid_code
from backend.extensions import db
from backend.regions.models import Region


def require_region(code: str) -> Region:
    """The region with this code, or a 422 naming the field."""
    region = db.session.get(Region, code) if is_valid_code(code) else None
    if region is None:
        raise RuleViolation(f"Unknown region code {code!r} (GB/T 2260).", code="unknown_region",
                            field="region_code")
    return region


def regions_query(actor: Actor, *, parent_code: str | None = None, level: str | None = None,
                  q: str | None = None) -> Select:
    """Regions are public administrative facts: every signed-in user may read them."""
    query = select(Region).order_by(Region.code)
    if parent_code:
        query = query.where(Region.parent_code == parent_code)
    if level:
        query = query.where(Region.level == level)
    if q:
        query = query.where(or_(Region.name.contains(q), Region.name_en.ilike(f"%{q}%"), Region.code.startswith(q)))
    return query


def get_region(actor: Actor, code: str) -> Region:
    region = db.session.get(Region, code) if is_valid_code(code) else None
    if region is None:
        raise NotFound(f"No region {code}.")
    return region
