"""A trace as a GS1 EPCIS 2.0 document (DESIGN.md §7): one EPCIS event per recorded trace
event at the places the trace reached (the trace's `records`, as in the spreadsheet).

produce → ObjectEvent ADD `commissioning`; harvest → the same with bizStep
`urn:foodgrid:bizstep:harvesting` (CBV has no harvesting step; a private one keeps the
kind, which capture reads back); ship → ObjectEvent OBSERVE `shipping` at the sender,
destination the receiver; receive → ObjectEvent OBSERVE `receiving` at the receiver, source
the sender; sell → OBSERVE `retail_selling`; destroy → DELETE `destroying`; transform →
TransformationEvent (CBV has no `transforming` step: `commissioning`, as GS1's examples do).

Lots are GS1 Digital Link URIs, GTIN + lot (`https://id.gs1.org/01/…/10/…`): an EPC URN
(LGTIN) would need the company prefix's length, which a GTIN does not carry; a lot without
GTIN (or with a code AI 10 cannot hold) is `urn:foodgrid:lot:<id>`. Facilities are Digital
Link GLNs (`/414/…`), else `urn:foodgrid:facility:<id>`; event ids that are not URIs
become `urn:foodgrid:event:<id>`. Capture reads all of these back. Units become UN/ECE
codes (kg → KGM); one without a code is named in the event's `foodgrid:units`. Times are
given in Asia/Shanghai.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from backend.common import clock
from backend.traceability.epcis_ids import LOT_PREFIX, event_uri, item_uri, place_uri, uom_of

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"foodgrid": "urn:foodgrid:epcis:"}]
LOCAL = ZoneInfo("Asia/Shanghai")
HARVESTING = "urn:foodgrid:bizstep:harvesting"
# type → action, bizStep, disposition
OBJECT_EVENTS = {
    "harvest": ("ADD", HARVESTING, "active"),
    "produce": ("ADD", "commissioning", "active"),
    "ship": ("OBSERVE", "shipping", "in_transit"),
    "receive": ("OBSERVE", "receiving", "in_progress"),
    "sell": ("OBSERVE", "retail_selling", "retail_sold"),
    "destroy": ("DELETE", "destroying", "destroyed"),
}


def trace_document(trace: dict) -> dict:
    """An EPCISDocument of the trace's events, valid against the official schema."""
    writer = _Writer({str(lot["id"]): lot for lot in trace["lots"]},
                     {str(place["id"]): place for place in trace["facilities"]})
    grouped: dict[tuple[str, str], list[dict]] = {}
    for record in trace["records"]:  # event ids are unique per facility (events.py)
        grouped.setdefault((record["facility_id"], record["event_id"]), []).append(record)
    return {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": _time(clock.now()),
            "foodgrid:trace": {"lot": writer.lot(trace["lot_id"]), "direction": trace["direction"],
                               "truncated": trace["truncated"]},
            "epcisBody": {"eventList": [writer.event(records) for records in grouped.values()]}}


def _time(moment: datetime | str) -> str:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(LOCAL).isoformat()


def _number(value) -> int | float:
    value = Decimal(str(value))
    return int(value) if value == value.to_integral_value() else float(value)


class _Writer:
    def __init__(self, lots: dict, places: dict):
        self.lots, self.places = lots, places

    def lot(self, lot_id) -> str:
        lot = self.lots.get(str(lot_id))
        return item_uri(lot["gtin"], lot["lot_code"], lot["id"]) if lot else f"{LOT_PREFIX}{lot_id}"

    def place(self, facility_id) -> str:
        place = self.places.get(str(facility_id))
        return place_uri(place and place["gln"], facility_id)

    def quantities(self, records: list[dict], role: str, units: dict) -> list[dict]:
        entries = []
        for record in (record for record in records if record["role"] == role):
            entry = {"epcClass": self.lot(record["lot_id"]), "quantity": _number(record["quantity"])}
            if uom_of(record["unit"]):
                entry["uom"] = uom_of(record["unit"])
            else:
                units[entry["epcClass"]] = record["unit"]
            entries.append(entry)
        return entries

    def event(self, records: list[dict]) -> dict:
        first, units = records[0], {}
        moment = _time(first["occurred_at"])
        here = {"id": self.place(first["facility_id"])}
        event = {"eventID": event_uri(first["event_id"]), "eventTime": moment, "eventTimeZoneOffset": moment[-6:]}
        if first["type"] == "transform":
            event = {"type": "TransformationEvent", **event, "bizStep": "commissioning", "disposition": "active",
                     "readPoint": here, "bizLocation": here,
                     "inputQuantityList": self.quantities(records, "input", units),
                     "outputQuantityList": self.quantities(records, "output", units)}
        else:
            action, step, disposition = OBJECT_EVENTS[first["type"]]
            event = {"type": "ObjectEvent", **event, "action": action, "bizStep": step, "disposition": disposition,
                     "readPoint": here, "quantityList": self.quantities(records, "subject", units)}
            if first["type"] != "ship":  # goods in transit are at no business location
                event["bizLocation"] = here
            other = first["other_facility_id"] and self.place(first["other_facility_id"])
            if first["type"] == "ship":
                event["sourceList"] = [{"type": "location", "source": here["id"]}]
                if other:
                    event["destinationList"] = [{"type": "location", "destination": other}]
            elif first["type"] == "receive":
                if other:
                    event["sourceList"] = [{"type": "location", "source": other}]
                event["destinationList"] = [{"type": "location", "destination": here["id"]}]
        for name, value in (("reference", first.get("reference")), ("flags", first.get("flags")), ("units", units)):
            if value:
                event[f"foodgrid:{name}"] = value
        return event
