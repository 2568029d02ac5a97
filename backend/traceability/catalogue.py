"""Products and lots (DESIGN.md §7): the things trace events move.

Who may see and write: staff read every product and lot (a trace crosses regions: food
safety needs the whole chain); an enterprise user sees the lots its facility produced or
holds, and the products it owns or of those lots (a business's catalogue is its own: it
must not list its competitors'), and registers lots only for its own facility;
supervisors and inspectors register lots for facilities in their scope.
"""
from __future__ import annotations

import uuid

from sqlalchemy import Select, select

from backend.common import audit_trail as audit
from backend.common.actor import Actor
from backend.common.domain_errors import Conflict, Forbidden, NotFound, RuleViolation, unknown_reference
from backend.common.region_codes import scope_prefix
from backend.extensions import db
from backend.facilities.identifiers import gs1_check_digit
from backend.facilities.models import Facility
from backend.facilities.policy import visible_facilities
from backend.traceability.models import Holding, Lot, Product
from backend.traceability.policy import WRITERS as WRITERS  # epcis reads it here
from backend.traceability.policy import may_record, visible_lots, visible_products


def require_writer(actor: Actor) -> None:
    if not may_record(actor):
        raise Forbidden("Traceability data is recorded by businesses, inspectors and supervisors.")


def writable_facility(actor: Actor, facility_id: uuid.UUID, *, field: str = "facility_id") -> Facility:
    """A facility the actor may record for: its own (enterprise), in its scope (staff)."""
    require_writer(actor)
    facility = db.session.scalar(visible_facilities(actor, select(Facility).where(Facility.id == facility_id)))
    if facility is None:  # absent or out of scope: one answer, so existence is not revealed
        raise unknown_reference(field, "facility")
    return facility


def may_record_at(actor: Actor, facility_id: uuid.UUID) -> bool:
    require_writer(actor)
    return bool(db.session.scalar(visible_facilities(actor, select(Facility.id).where(Facility.id == facility_id))))


def create_product(actor: Actor, *, name: str, category: str, gtin: str | None = None,
                   owner_facility_id: uuid.UUID | None = None) -> Product:
    require_writer(actor)
    if gtin is not None:
        if gs1_check_digit(gtin[:-1]) != gtin[-1]:
            raise RuleViolation(f"GTIN {gtin}: the check digit should be {gs1_check_digit(gtin[:-1])}.",
                                code="invalid_gtin", field="gtin")
        if db.session.scalar(select(Product.id).where(Product.gtin == gtin)):
            raise Conflict(f"A product with GTIN {gtin} exists.", code="duplicate_gtin", field="gtin")
    if owner_facility_id is None and actor.role == "enterprise":
        owner_facility_id = actor.facility_id  # so that the business sees what it registered
    if owner_facility_id is not None:
        writable_facility(actor, owner_facility_id, field="owner_facility_id")
    product = Product(name=name, category=category, gtin=gtin, owner_facility_id=owner_facility_id)
    db.session.add(product)
    db.session.flush()
    audit.record(actor, "product.create", "product", product.id, after={"name": name, "gtin": gtin})
    return product


def products_query(actor: Actor, *, gtin: str | None = None, q: str | None = None) -> Select:
    query = visible_products(actor, select(Product)).order_by(Product.name, Product.id)
    if gtin:
        query = query.where(Product.gtin == gtin)
    if q:
        query = query.where(Product.name.contains(q))
    return query


def create_lot(actor: Actor, *, lot_code: str, product_id: uuid.UUID, facility_id: uuid.UUID, unit: str,
               by_gtin: bool = False, **details) -> Lot:
    """A lot code is unique per producer (the facility that assigns it). The product must be
    one the caller sees (an invisible one is answered as unknown), unless it was found by
    the GTIN the caller sent (EPCIS: a GTIN is printed on every pack, it reveals nothing)."""
    facility = writable_facility(actor, facility_id)
    query = select(Product.id).where(Product.id == product_id)
    if not db.session.scalar(query if by_gtin else visible_products(actor, query)):
        raise unknown_reference("product_id", "product")
    if db.session.scalar(select(Lot.id).where(Lot.facility_id == facility_id, Lot.lot_code == lot_code)):
        raise Conflict(f"{facility.name} already has a lot {lot_code}.", code="duplicate_lot_code", field="lot_code")
    lot = Lot(lot_code=lot_code, product_id=product_id, facility_id=facility_id, region_code=facility.region_code,
              unit=unit, **details)
    db.session.add(lot)
    db.session.flush()
    audit.record(actor, "lot.create", "lot", lot.id, region_code=lot.region_code,
                 after={"lot_code": lot_code, "product_id": product_id, "facility_id": facility_id})
    return lot


def lots_query(actor: Actor, *, lot_code: str | None = None, product_id=None, facility_id=None,
               region_code: str | None = None) -> Select:
    query = visible_lots(actor, select(Lot)).order_by(Lot.created_at.desc(), Lot.id)
    for column, value in ((Lot.lot_code, lot_code), (Lot.product_id, product_id), (Lot.facility_id, facility_id)):
        if value is not None:
            query = query.where(column == value)
    if region_code:
        query = query.where(Lot.region_code.startswith(scope_prefix(region_code)))
    return query


def referenced_lot(actor: Actor, lot_id: uuid.UUID | None, *, field: str = "lot_id") -> Lot | None:
    """The lot a body names in `field` (a sample's, say) if the actor sees it (visible_lots:
    staff see every lot, a trace crosses regions), else a 422 naming that field."""
    if lot_id is None:
        return None
    lot = db.session.scalar(visible_lots(actor, select(Lot).where(Lot.id == lot_id)))
    if lot is None:
        raise unknown_reference(field, "lot")
    return lot


def get_lot(actor: Actor, lot_id: uuid.UUID) -> Lot:
    lot = db.session.scalar(visible_lots(actor, select(Lot).where(Lot.id == lot_id)))
    if lot is None:
        raise NotFound("No such lot.")
    return lot


def holdings_query(actor: Actor, facility_id: uuid.UUID) -> Select:
    """What a facility holds now (visible to whoever sees the facility)."""
    if not db.session.scalar(visible_facilities(actor, select(Facility.id).where(Facility.id == facility_id))):
        raise NotFound("No such facility.")
    return (select(Holding).where(Holding.facility_id == facility_id, Holding.quantity != 0)
            .order_by(Holding.updated_at.desc(), Holding.lot_id))
