"""The limits table (analyte × food category → maximum), kept with its history.

Administrators maintain it. A new limit for an (analyte, category) closes the one in force
the day before it starts, so results are always judged against the limit in force on the
sampling date (GB 2763 and GB 2762 are revised every few years).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Select, or_, select

from backend.common import audit_trail as audit
from backend.common.actor import Actor
from backend.common.domain_errors import Conflict, Forbidden, RuleViolation
from backend.extensions import db
from backend.sampling.models import Limit
from backend.sampling.policy import may_maintain_limits
from backend.sampling.units import UNITS


def create_limit(actor: Actor, *, analyte: str, food_category: str, unit: str, standard: str, valid_from: date,
                 max_value: Decimal | None = None, must_not_detect: bool = False, lod: Decimal | None = None) -> Limit:
    if not may_maintain_limits(actor):
        raise Forbidden("Only administrators maintain the limits table.")
    if unit not in UNITS:
        raise RuleViolation(f"Unknown unit {unit!r}.", code="unknown_unit", field="unit")
    if must_not_detect == (max_value is not None):
        raise RuleViolation("Give either a maximum value or must_not_detect (with its LOD).", code="limit_shape",
                            field="max_value")
    current = db.session.scalar(select(Limit).where(
        Limit.analyte == analyte, Limit.food_category == food_category, Limit.valid_to.is_(None)).with_for_update())
    if current is not None:
        if current.valid_from >= valid_from:
            raise Conflict(f"The limit in force since {current.valid_from} is not older than {valid_from}.",
                           code="limit_not_newer", field="valid_from")
        current.valid_to = valid_from
    limit = Limit(analyte=analyte, food_category=food_category, unit=unit, standard=standard,
                  valid_from=valid_from, max_value=max_value, must_not_detect=must_not_detect, lod=lod,
                  created_by=actor.id)
    db.session.add(limit)
    db.session.flush()
    audit.record(actor, "limit.create", "limit", limit.id,
                 after={"analyte": analyte, "food_category": food_category, "max_value": max_value, "unit": unit,
                        "must_not_detect": must_not_detect, "standard": standard, "valid_from": valid_from})
    return limit


def limits_query(actor: Actor, *, analyte: str | None = None, food_category: str | None = None,
                 on: date | None = None) -> Select:
    """Every signed-in caller reads the whole table, unscoped on purpose: limits are public
    reference data (each row cites a published national standard, GB 2763 / GB 2762), the
    same for every region, and a business needs them to check its own products. Unlike
    products or lots, no row belongs to anyone or reveals anything about a business."""
    query = select(Limit).order_by(Limit.analyte, Limit.food_category, Limit.valid_from.desc())
    if analyte:
        query = query.where(Limit.analyte == analyte)
    if food_category:
        query = query.where(Limit.food_category == food_category)
    if on:
        query = query.where(*_in_force(on))
    return query


def _in_force(on: date):
    return Limit.valid_from <= on, or_(Limit.valid_to.is_(None), Limit.valid_to > on)


def limit_in_force(analyte: str, food_category: str, on: date, *, field: str = "analyte") -> Limit:
    limit = db.session.scalar(select(Limit).where(Limit.analyte == analyte, Limit.food_category == food_category,
                                                  *_in_force(on)))
    if limit is None:
        raise RuleViolation(f"No limit for {analyte} in {food_category} on {on}: unknown analyte or category.",
                            code="no_limit", field=field)
    return limit


def judge(limit: Limit, value: Decimal, lod: Decimal | None) -> str:
    """GB rules: a value equal to the maximum passes, above it fails; for 不得检出 (must not be
    detected) any value at or above the limit of detection fails."""
    if limit.must_not_detect:
        detection = lod if lod is not None else limit.lod
        return "fail" if detection is not None and value >= detection or detection is None and value > 0 else "pass"
    return "fail" if value > limit.max_value else "pass"
