"""Bulk import of facilities from CSV (DESIGN.md §4).

Good rows are imported, each bad row is reported with its line and reason, and a row
whose USCC or licence number is already registered updates that facility instead of
adding a second one, so importing the same file twice changes nothing. Each row runs in
its own savepoint: one bad row never sinks the others.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate
from shapely import Point
from sqlalchemy import or_, select

from backend.common.actor import Actor
from backend.common.domain_errors import Conflict, DomainError, Forbidden, RuleViolation
from backend.common.geo import crs_field
from backend.extensions import db
from backend.facilities.models import KINDS, RISK_LEVELS, STATUSES, Facility
from backend.facilities.policy import may_write_facilities, visible_facilities
from backend.facilities.service import create_facility, snapshot, update_facility

MAX_ROWS = 50_000
COLUMNS = ("name", "kind", "uscc", "licence_no", "address", "lon", "lat", "crs", "risk_level", "status",
           "operator_name", "operator_phone", "market_uscc", "sales_area")


class CsvRowSchema(Schema):
    """One CSV row; empty cells mean "not given"."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    uscc = fields.String(validate=validate.Length(equal=18))
    licence_no = fields.String(validate=validate.Length(max=32))
    address = fields.String(validate=validate.Length(max=300))
    lon = fields.Float(validate=validate.Range(-180, 180))
    lat = fields.Float(validate=validate.Range(-90, 90))
    crs = crs_field()
    risk_level = fields.String(load_default="B", validate=validate.OneOf(RISK_LEVELS))
    status = fields.String(load_default="active", validate=validate.OneOf(STATUSES))
    operator_name = fields.String(validate=validate.Length(max=100))
    operator_phone = fields.String(validate=validate.Length(max=32))
    market_uscc = fields.String(validate=validate.Length(equal=18))
    sales_area = fields.List(fields.String(validate=validate.Regexp(r"^\d{6}(\d{3})?$")))

    @pre_load
    def _clean(self, row, **_):
        row = {key.strip().lower(): (value or "").strip() for key, value in row.items() if key}
        row = {key: value for key, value in row.items() if value != ""}
        for key in ("uscc", "market_uscc", "licence_no", "risk_level"):
            if key in row:
                row[key] = row[key].upper()
        if "sales_area" in row:
            codes = row["sales_area"].replace(",", ";").split(";")
            row["sales_area"] = [code.strip() for code in codes if code.strip()]
        return row


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.errors)


def _existing(actor: Actor, row: dict) -> Facility | None:
    """The facility a row updates. One registered outside the caller's scope is a plain
    conflict: the report must not reveal where it is or that the caller could not change it."""
    keys = [Facility.uscc == row["uscc"]] if row.get("uscc") else []
    keys += [Facility.licence_no == row["licence_no"]] if row.get("licence_no") else []
    facility = db.session.scalar(select(Facility).where(or_(*keys))) if keys else None
    if facility is not None and not db.session.scalar(
            visible_facilities(actor, select(Facility.id).where(Facility.id == facility.id))):
        field = "uscc" if row.get("uscc") and facility.uscc == row["uscc"] else "licence_no"
        raise Conflict(f"Another facility already has {field} {row[field]}.", code=f"duplicate_{field}", field=field)
    return facility


def _import_row(actor: Actor, row: dict, report: ImportReport) -> None:
    market_uscc = row.pop("market_uscc", None)
    if market_uscc:
        market = db.session.scalar(visible_facilities(actor, select(Facility.id).where(Facility.uscc == market_uscc)))
        if market is None:
            raise RuleViolation(f"No market with USCC {market_uscc} (import markets before their stalls).",
                                code="unknown_market", field="market_uscc")
        row["parent_id"] = market
    lon, lat = row.pop("lon", None), row.pop("lat", None)
    if (lon is None) != (lat is None):
        raise RuleViolation("Give both lon and lat, or neither (stalls only).", code="half_a_location", field="lon")
    location = Point(lon, lat) if lon is not None else None
    facility = _existing(actor, row)
    if facility is None:
        create_facility(actor, location=location, **row)
        report.created += 1
        return
    before = snapshot(facility)
    changes = {key: value for key, value in row.items() if key != "crs" and getattr(facility, key) != value}
    if location is not None:
        changes.update(location=location, crs=row["crs"])
    if changes:
        update_facility(actor, facility, changes)
    report.updated += snapshot(facility) != before
    report.unchanged += snapshot(facility) == before


def import_facilities_csv(actor: Actor, text: str, progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import every good row of a CSV text; report the bad ones by line."""
    if not may_write_facilities(actor):
        raise Forbidden("Only administrators and supervisors import facilities.")
    if "\x00" in text:
        raise RuleViolation("The file contains NUL bytes; is it really CSV text?", code="bad_csv")
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        return _import_rows(actor, reader, progress)
    except csv.Error as error:  # a broken file (not a bad row): nothing is imported
        raise RuleViolation(f"Malformed CSV at line {reader.line_num}: {error}; nothing was imported.",
                            code="bad_csv") from error


def _import_rows(actor: Actor, reader: csv.DictReader, progress) -> ImportReport:
    missing = {"name", "kind"} - set(name.strip().lower() for name in reader.fieldnames or [])
    if missing:
        raise RuleViolation(f"The CSV header lacks column(s) {', '.join(sorted(missing))}; columns are "
                            f"{', '.join(COLUMNS)}.", code="bad_csv_header")
    report = ImportReport()
    schema = CsvRowSchema()
    for raw in reader:
        report.rows += 1
        if report.rows > MAX_ROWS:
            raise RuleViolation(f"At most {MAX_ROWS} rows per import; split the file.", code="too_many_rows")
        line = reader.line_num
        try:
            with db.session.begin_nested():
                _import_row(actor, schema.load(raw), report)
        except ValidationError as error:
            report.errors.append({"line": line, "errors": error.normalized_messages()})
        except DomainError as error:
            report.errors.append({"line": line, "errors": {error.extra.get("field", "row"): [error.detail]}})
        if progress:
            progress(1)
    return report
