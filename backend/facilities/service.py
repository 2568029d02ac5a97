"""Facility rules (DESIGN.md §4).

A facility's cell and region follow from its location, never from the client: they are
derived on every write and re-derived whenever cells change. Identifiers are checked
(USCC check character per GB 32100, licence format) and unique. Stalls belong to a
market. Scope: admins everywhere, supervisors and labs in their region, inspectors in
their current cells, an enterprise user its own facility.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from geoalchemy2.shape import to_shape
from shapely import Point
from sqlalchemy import Select, case, func, or_, select, union, update

from backend.common import audit_trail as audit
from backend.common.actor import Actor
from backend.common.domain_errors import Conflict, Forbidden, NotFound, RuleViolation, unknown_reference
from backend.common.geo import to_db, to_wgs84_point
from backend.common.region_codes import scope_prefix
from backend.common.signals import facilities_moved
from backend.extensions import db
from backend.facilities.identifiers import gln_problem, licence_problem, uscc_problem
from backend.facilities.models import MARKET_KINDS, Facility
from backend.facilities.policy import may_write_facilities, visible_facilities
from backend.regions.cells import locate_cell
from backend.regions.models import Cell, Region

MUTABLE_FIELDS = ("name", "kind", "parent_id", "uscc", "licence_no", "gln", "address", "risk_level", "credit_grade",
                  "status", "sales_area", "operator_name", "operator_phone")
LEVEL_RANK = case({"township": 4, "county": 3, "city": 2, "province": 1}, value=Region.level, else_=0)


def snapshot(facility: Facility) -> dict:
    point = to_shape(facility.location)
    return {**{name: getattr(facility, name) for name in MUTABLE_FIELDS},
            "location": [point.x, point.y], "cell_id": facility.cell_id, "region_code": facility.region_code}


def get_facility(actor: Actor, facility_id: uuid.UUID) -> Facility:
    facility = db.session.scalar(visible_facilities(actor, select(Facility).where(Facility.id == facility_id)))
    if facility is None:
        raise NotFound("No such facility.")
    return facility


def referenced_facility(actor: Actor, facility_id: uuid.UUID, *, field: str = "facility_id") -> Facility:
    """The facility a body names in `field`, or a 422 naming that field. Existence only:
    where the caller may act on it is each write's own rule."""
    facility = db.session.get(Facility, facility_id)
    if facility is None:
        raise unknown_reference(field, "facility")
    return facility


def _require_writer(actor: Actor, region_code: str) -> None:
    if not may_write_facilities(actor):
        raise Forbidden("Only administrators and supervisors register and change facilities.")
    if not actor.covers_region(region_code):
        raise Forbidden(f"The facility lies in region {region_code}, outside your region {actor.region_code}.")


@dataclass(frozen=True)
class Near:
    lon: float
    lat: float
    radius_m: float
    crs: str = "wgs84"


def facilities_query(actor: Actor, *, cell_id=None, region_code=None, kind=None, risk_level=None, status=None,
                     parent_id=None, q=None, near: Near | None = None) -> Select:
    """Facilities in scope, filtered; with `near`, within radius_m metres, nearest first."""
    query = visible_facilities(actor, select(Facility))
    for column, value in ((Facility.cell_id, cell_id), (Facility.kind, kind), (Facility.risk_level, risk_level),
                          (Facility.status, status), (Facility.parent_id, parent_id)):
        if value is not None:
            query = query.where(column == value)
    if region_code:
        query = query.where(Facility.region_code.startswith(scope_prefix(region_code)))
    if q:
        identifier = q.upper()
        query = query.where(or_(Facility.name.contains(q), Facility.uscc == identifier,
                                Facility.licence_no == identifier))
    if near is None:
        return query.order_by(Facility.name, Facility.id)
    centre = func.ST_GeogFromText(to_wgs84_point(near.lon, near.lat, near.crs).wkt)
    location = func.geography(Facility.location)
    return query.where(func.ST_DWithin(location, centre, near.radius_m)).order_by(
        func.ST_Distance(location, centre), Facility.id)


# ---------------------------------------------------------------- place

def derive_place(point: Point) -> tuple[uuid.UUID | None, str]:
    """The (cell, region) of a WGS-84 point: the covering active cell, else the deepest region."""
    cell = locate_cell(point)
    if cell is not None:
        return cell.id, cell.region_code
    region_code = db.session.scalar(
        select(Region.code).where(func.ST_Covers(Region.boundary, to_db(point)))
        .order_by(LEVEL_RANK.desc(), Region.code).limit(1)
    )
    if region_code is None:
        raise RuleViolation(f"Location ({point.x:.6f}, {point.y:.6f}) is outside every known region; "
                            "GeoJSON is [longitude, latitude] — are they swapped?",
                            code="outside_known_regions", field="location")
    return None, region_code


def refresh_facility_cells(_sender, cell_ids: list[uuid.UUID], **_):
    """Re-derive the cell of every facility in or near the changed cells, in one statement
    (connected to `cells_changed` by create_app)."""
    if not cell_ids:
        return
    # Candidates: facilities filed under a changed cell, and those lying inside one (found
    # from the cells through the facilities' GiST index, never by scanning facilities).
    candidates = union(
        select(Facility.id).where(Facility.cell_id.in_(cell_ids)),
        select(Facility.id).join(Cell, func.ST_Covers(Cell.boundary, Facility.location)).where(Cell.id.in_(cell_ids)),
    )
    new_cell = (
        select(Cell.id).where(Cell.status == "active", func.ST_Covers(Cell.boundary, Facility.location))
        .order_by(Cell.code).limit(1).scalar_subquery()
    )
    moved = db.session.scalars(
        update(Facility)
        .where(Facility.id.in_(candidates), Facility.cell_id.is_distinct_from(new_cell))
        .values(cell_id=new_cell, version=Facility.version + 1)
        .returning(Facility.id),
        execution_options={"synchronize_session": "fetch"},  # facilities already loaded see their new cell
    ).all()
    if moved:
        facilities_moved.send(None, facility_ids=moved)


# ---------------------------------------------------------------- writes

def _check_identifiers(actor: Actor, uscc: str | None, licence_no: str | None, facility_id: uuid.UUID | None,
                       gln: str | None = None) -> None:
    """Identifiers are well-formed and unique. A clash names the other facility only when
    the caller may see it: the answer must not reveal a facility outside the caller's scope."""
    for field, value, problem in (("uscc", uscc, uscc_problem), ("licence_no", licence_no, licence_problem),
                                  ("gln", gln, gln_problem)):
        if value is None:
            continue
        reason = problem(value)
        if reason:
            raise RuleViolation(f"{field} {value}: {reason}.", code=f"invalid_{field}", field=field)
        column = getattr(Facility, field)
        other = db.session.scalar(select(Facility.id).where(column == value, Facility.id != facility_id))
        if other is None:
            continue
        if db.session.scalar(visible_facilities(actor, select(Facility.id).where(Facility.id == other))):
            raise Conflict(f"Another facility ({other}) already has {field} {value}.", code=f"duplicate_{field}",
                           field=field, facility_id=str(other))
        raise Conflict(f"Another facility already has {field} {value}.", code=f"duplicate_{field}", field=field)


def _market(actor: Actor, parent_id: uuid.UUID) -> Facility:
    market = db.session.scalar(visible_facilities(actor, select(Facility).where(Facility.id == parent_id)))
    if market is None or market.kind not in MARKET_KINDS:
        raise RuleViolation("A stall's parent_id must be a farmers' or wholesale market.", code="stall_needs_market",
                            field="parent_id")
    return market


def _place(facility: Facility, point: Point) -> None:
    facility.location = to_db(point)
    facility.cell_id, facility.region_code = derive_place(point)


def create_facility(actor: Actor, *, location: Point | None = None, crs: str = "wgs84", **data) -> Facility:
    """Register a facility. A stall may omit its location: it stands in its market."""
    data = {key: value for key, value in data.items() if value is not None}
    if (data.get("kind") == "stall") != ("parent_id" in data):
        raise RuleViolation("Stalls, and only stalls, have a parent market.", code="stall_needs_market",
                            field="parent_id")
    parent = _market(actor, data["parent_id"]) if "parent_id" in data else None
    if location is None and parent is None:
        raise RuleViolation("A location is required.", code="location_required", field="location")
    point = to_wgs84_point(location.x, location.y, crs) if location is not None else to_shape(parent.location)
    _check_identifiers(actor, data.get("uscc"), data.get("licence_no"), None, data.get("gln"))
    facility = Facility(**data)
    _place(facility, point)
    _require_writer(actor, facility.region_code)
    db.session.add(facility)
    db.session.flush()
    audit.record(actor, "facility.create", "facility", facility.id, after=snapshot(facility),
                 region_code=facility.region_code)
    return facility


def update_facility(actor: Actor, facility: Facility, changes: dict) -> Facility:
    """Change a facility; a new location re-derives its cell and region."""
    _require_writer(actor, facility.region_code)
    before = snapshot(facility)
    location, crs = changes.pop("location", None), changes.pop("crs", "wgs84")
    kind = changes.get("kind", facility.kind)
    parent_id = changes.get("parent_id", facility.parent_id)
    if (kind == "stall") != (parent_id is not None):
        raise RuleViolation("Stalls, and only stalls, have a parent market.", code="stall_needs_market",
                            field="parent_id")
    if "parent_id" in changes and parent_id is not None:
        _market(actor, parent_id)
    _check_identifiers(actor, changes.get("uscc"), changes.get("licence_no"), facility.id, changes.get("gln"))
    for name, value in changes.items():
        setattr(facility, name, value)
    old_cell_id = facility.cell_id
    if location is not None:
        _place(facility, to_wgs84_point(location.x, location.y, crs))
        _require_writer(actor, facility.region_code)
    db.session.flush()
    if facility.cell_id != old_cell_id:
        facilities_moved.send(None, facility_ids=[facility.id])
    audit.record(actor, "facility.update", "facility", facility.id, before=before, after=snapshot(facility),
                 region_code=facility.region_code)
    return facility
