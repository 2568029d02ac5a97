"""One EPCIS 2.0 event → one FoodGrid trace event (DESIGN.md §7).

What happened (`bizStep`): commissioning and creating_class_instance → produce, shipping → ship,
receiving → receive, retail_selling → sell, destroying → destroy, harvesting (a private
vocabulary's, CBV has none) → harvest; a TransformationEvent is a transform whatever its
bizStep. Aggregation and transaction events count only when shipping or receiving (the
goods move); any other step (storing, inspecting…), association events and error
declarations are skipped: they move no lot.

Where: `bizLocation`, else `readPoint` (SGLN, Digital Link /414, or our facility URN) is the
facility whose registered GLN it is; a sub-location (SGLN extension) counts as the facility.
The counterparty is the destination of a shipment or the source of a receipt, preferring a
`location`, then the `possessing_party`, then the `owning_party`. A GLN no facility has
refuses the event, naming the GLN.

What: LGTIN / Digital Link GTIN + lot → that lot of that product. An SGTIN says which item,
not which lot, and later events about the same item carry no lot either; so every
serialised item of a GTIN counts (one each) in one lot per producer, `SGTIN-<gtin>`,
whichever event mentions it — the serials stay in `extensions`. A lot not yet known is
created (with its product, if the GTIN is new) only where it comes into being: the
subject of a produce/harvest or the output of a transform, with the event's facility as
producer ("record first"); anywhere else an unknown lot refuses the event. Patterns
(`urn:epc:idpat:…`) and non-trade-item EPCs (SSCC…) name no lot: that line is skipped.

How much: an EPC counts one (unit EA); a quantity without `uom` counts instances (EA).
A lot created here keeps the UN/ECE code as its unit (KGM); an existing lot may be counted
in a name of the same unit (kg ≡ KGM), and the line is then stored in the lot's unit.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from backend.common.actor import Actor
from backend.common.domain_errors import RuleViolation
from backend.extensions import db
from backend.facilities.models import Facility
from backend.traceability.catalogue import create_lot, create_product
from backend.traceability.epcis_ids import EACH, BadIdentifier, Item, NotALot, parse_item, parse_place, same_unit
from backend.traceability.models import Lot, Product

STEPS = {"commissioning": "produce", "creating_class_instance": "produce", "harvesting": "harvest",
         "shipping": "ship", "receiving": "receive", "retail_selling": "sell", "destroying": "destroy"}
MOVES = ("ship", "receive")  # what aggregation and transaction events may record
# (role, list of EPCs, list of quantities) by event type
LISTS = {
    "ObjectEvent": (("subject", "epcList", "quantityList"),),
    "TransactionEvent": (("subject", "epcList", "quantityList"),),
    "AggregationEvent": (("subject", "childEPCs", "childQuantityList"),),
    "TransformationEvent": (("input", "inputEPCList", "inputQuantityList"),
                            ("output", "outputEPCList", "outputQuantityList")),
}
PARTY_ORDER = ("location", "possessing_party", "owning_party")
MAX_QUANTITY = Decimal(10) ** 15  # trace quantities are numeric(18, 3)
NOT_STORED = ("eventID", "eventTime", "recordTime")  # columns, or the capturing system's own


class Skip(Exception):
    """Not a tracking event FoodGrid records (nothing wrong with it)."""


class Refuse(RuleViolation):
    """The event cannot be recorded as sent: why, and the GLNs no facility has."""

    def __init__(self, *reasons: str, code: str = "epcis_unmappable", glns: tuple[str, ...] = ()):
        super().__init__(reasons[0], code=code, reasons=list(reasons), glns=list(glns))
        self.reasons, self.glns = list(reasons), glns


@dataclass
class Mapped:
    type: str
    occurred_at: datetime
    facility: Facility
    other: Facility | None
    raw_lines: list[tuple[str, Item, str, Decimal, str]]  # role, item, identifier, quantity, unit
    reference: str | None
    extensions: dict
    warnings: list[str] = field(default_factory=list)


class Places:
    """Facilities by GLN or id, looked up once per document."""

    def __init__(self):
        self._found: dict = {}

    def facility(self, identifier: str) -> Facility:
        try:
            place = parse_place(identifier)
        except BadIdentifier as error:
            raise Refuse(str(error), code="epcis_bad_identifier") from None
        key = place.facility_id or place.gln
        if key not in self._found:
            query = select(Facility).where(Facility.id == place.facility_id if place.facility_id else
                                           Facility.gln == place.gln)
            self._found[key] = db.session.scalar(query)
        if self._found[key] is None:
            raise unknown_place(identifier)
        return self._found[key]


def unknown_place(identifier: str) -> Refuse:
    """The refusal for a place no facility is — and, for the event's own location, one
    outside the sender's scope (the same words: existence is not revealed)."""
    place = parse_place(identifier)
    if place.gln:
        return Refuse(f"No facility has GLN {place.gln} ({identifier}).", code="unknown_gln", glns=(place.gln,))
    return Refuse(f"No facility {place.facility_id}.", code="unknown_facility")


def location_of(event: dict) -> str | None:
    return (event.get("bizLocation") or event.get("readPoint") or {}).get("id")


def step_of(event: dict) -> str:
    """`shipping`, `https://ref.gs1.org/cbv/BizStep-shipping`, `urn:epcglobal:cbv:bizstep:shipping` → shipping."""
    return re.split(r"[/:#-]", str(event.get("bizStep") or ""))[-1].lower()


def map_event(event: dict, occurred_at: datetime, context, places: Places) -> Mapped:
    """What, when, where and why of one event, in our terms (lots not yet resolved)."""
    kind = event.get("type")
    if kind not in LISTS:
        raise Skip(f"{kind} events move no lot.")
    if event.get("errorDeclaration"):
        raise Skip("Error declarations (corrections of earlier events) are not applied; correct the trace by hand.")
    step = step_of(event)
    type = "transform" if kind == "TransformationEvent" else STEPS.get(step)
    if type is None or (kind in ("AggregationEvent", "TransactionEvent") and type not in MOVES):
        raise Skip(f"bizStep {event.get('bizStep') or '(none)'} of a {kind} is not a tracking event FoodGrid records.")
    where = location_of(event)
    if not where:
        raise Refuse("The event has neither a bizLocation nor a readPoint: where did it happen?")
    facility = places.facility(where)
    other = _counterparty(event, type, facility, places)
    lines, warnings = _lines(event, kind)
    extensions = {key: value for key, value in event.items() if key not in NOT_STORED}
    if context is not None and "@context" not in event:  # prefixes of extension fields ("example:…")
        extensions["@context"] = context
    return Mapped(type, occurred_at, facility, other, lines, _reference(event), extensions, warnings)


def _counterparty(event: dict, type: str, facility: Facility, places: Places) -> Facility | None:
    if type not in MOVES:
        return None
    name = "destination" if type == "ship" else "source"
    entries = sorted(event.get(f"{name}List") or [],
                     key=lambda e: PARTY_ORDER.index(e["type"]) if e["type"] in PARTY_ORDER else len(PARTY_ORDER))
    refused = []
    for entry in entries:
        try:
            found = places.facility(entry[name])
        except Refuse as error:
            if error.code in ("unknown_gln", "unknown_facility"):
                refused.append(error)
            continue  # a party named otherwise than by GLN (a URL, a DID…) is not ours to resolve
        return None if found.id == facility.id else found
    if refused:
        raise Refuse(*(reason for error in refused for reason in error.reasons), code=refused[0].code,
                     glns=tuple(gln for error in refused for gln in error.glns))
    return None


def _lines(event: dict, kind: str) -> tuple[list, list[str]]:
    lines, warnings = [], []
    units = event.get("foodgrid:units") if isinstance(event.get("foodgrid:units"), dict) else {}
    for role, epcs, quantities in LISTS[kind]:
        for identifier in event.get(epcs) or []:
            item = _item(identifier, warnings)
            if item:
                lines.append((role, item, identifier, Decimal(1), EACH))
        for element in event.get(quantities) or []:
            identifier = element["epcClass"]
            item = _item(identifier, warnings)
            if item is None:
                continue
            if "quantity" not in element:
                warnings.append(f"{identifier}: no quantity given, so nothing to count; skipped.")
                continue
            unit = element.get("uom") or units.get(identifier) or EACH
            lines.append((role, item, identifier, _quantity(element["quantity"], identifier), unit))
    return lines, warnings


def _item(identifier: str, warnings: list[str]) -> Item | None:
    try:
        return parse_item(identifier)
    except NotALot as skipped:
        warnings.append(f"{skipped}; skipped.")
        return None
    except BadIdentifier as error:
        raise Refuse(str(error), code="epcis_bad_identifier") from None


def _quantity(value, identifier: str) -> Decimal:
    try:
        quantity = Decimal(str(value))
    except InvalidOperation:
        quantity = Decimal("NaN")
    if not quantity.is_finite() or not 0 < quantity < MAX_QUANTITY:
        raise Refuse(f"{identifier}: the quantity must be positive and below 10^15, not {value}.",
                     code="invalid_quantity")
    return quantity


def _reference(event: dict) -> str | None:
    """Our own reference if exported by FoodGrid, else the first business transaction."""
    reference = event.get("foodgrid:reference")
    if not isinstance(reference, str) and event.get("bizTransactionList"):
        first = event["bizTransactionList"][0]
        reference = " ".join(filter(None, (first.get("type"), first["bizTransaction"])))
    return reference if isinstance(reference, str) and 0 < len(reference) <= 200 else None


def resolve_lines(actor: Actor, mapped: Mapped) -> list[dict]:
    """record_event's lines: lots found (or created where they come into being), summed per lot."""
    summed: dict[tuple[str, uuid.UUID], dict] = {}
    for role, item, identifier, quantity, unit in mapped.raw_lines:
        creatable = role == "output" or mapped.type in ("produce", "harvest")
        lot = _lot(actor, item, identifier, unit, mapped, creatable)
        if not same_unit(lot.unit, unit):
            raise Refuse(f"{identifier}: lot {lot.lot_code} is counted in {lot.unit}, not {unit}.",
                         code="unit_mismatch")
        line = summed.setdefault((role, lot.id), {"role": role, "lot_id": lot.id, "quantity": Decimal(0),
                                                  "unit": lot.unit})
        line["quantity"] += quantity
    if not summed:
        raise Refuse("No lot left to record.", *mapped.warnings, code="no_lots")
    return list(summed.values())


def _lot(actor: Actor, item: Item, identifier: str, unit: str, mapped: Mapped, creatable: bool) -> Lot:
    if item.lot_id:
        lot = db.session.get(Lot, item.lot_id)
        if lot is None:
            raise Refuse(f"{identifier}: no such lot.", code="unknown_lot")
        return lot
    code = item.lot_code or f"SGTIN-{item.gtin}"
    if len(code) > 80:
        raise Refuse(f"{identifier}: a lot code is at most 80 characters.", code="epcis_bad_identifier")
    product = db.session.scalar(select(Product).where(Product.gtin == item.gtin))
    lots = list(db.session.scalars(select(Lot).where(Lot.product_id == product.id, Lot.lot_code == code))) \
        if product else []
    # The same code at several producers: the one made here, else the counterparty's.
    for producer in (mapped.facility, mapped.other):
        made = [lot for lot in lots if producer is not None and lot.facility_id == producer.id]
        if made:
            return made[0]
    if len(lots) == 1:
        return lots[0]
    if lots:
        raise Refuse(f"{identifier}: {len(lots)} producers have a lot {code} of GTIN {item.gtin}.",
                     code="ambiguous_lot")
    if not creatable:
        raise Refuse(f"{identifier}: no lot {code} of GTIN {item.gtin} is known (register it, or send its "
                     "commissioning first).", code="unknown_lot")
    if product is None:
        product = create_product(actor, name=f"GTIN {item.gtin}", category="unspecified", gtin=item.gtin,
                                 owner_facility_id=mapped.facility.id)
    return create_lot(actor, lot_code=code, product_id=product.id, facility_id=mapped.facility.id, unit=unit,
                      by_gtin=True, produced_at=mapped.occurred_at)
