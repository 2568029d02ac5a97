"""The FSMA 204-style sortable spreadsheet of a trace, and reading it back.

One row per recorded event line at the places a trace reached (a transformation has a row
per input and per output), with the key data elements — event type and time, lot code and
product, quantity and unit, where it happened, the immediate counterparty, the reference
document — in human terms, followed by the ids that let the same file be imported again
(`POST /trace-events/import`): rows of one (`facility_id`, `event_id`) become one event, so a re-import
replays what is stored (nothing duplicated) or records it afresh elsewhere. Cells are
written through backend.common.csv_export (formulas made inert) and unescaped on import.
"""
from __future__ import annotations

import csv
import io
from collections import OrderedDict

from backend.common.csv_export import unescape_cell, write_csv

COLUMNS = ("event_id", "event_type", "occurred_at", "role", "lot_code", "product", "quantity", "unit",
           "location", "location_address", "counterparty", "reference", "flags",
           "lot_id", "facility_id", "counterparty_id")
REQUIRED = ("event_id", "event_type", "occurred_at", "role", "quantity", "unit", "lot_id", "facility_id")


def trace_csv(trace: dict) -> str:
    """UTF-8 with a BOM, so Excel opens the Chinese names correctly; formulas made inert."""
    places = {facility["id"]: facility for facility in trace["facilities"]}
    rows = []
    for record in trace["records"]:
        place, other = places.get(record["facility_id"], {}), places.get(record["other_facility_id"], {})
        rows.append([
            record["event_id"], record["type"], record["occurred_at"], record["role"], record["lot_code"],
            record["product"], record["quantity"], record["unit"], place.get("name", ""),
            place.get("address", ""), other.get("name", ""), record.get("reference") or "",
            " ".join(record.get("flags") or []), record["lot_id"], record["facility_id"],
            record.get("other_facility_id") or "",
        ])
    return write_csv(COLUMNS, rows)


def events_from_csv(text: str) -> tuple[list[dict], dict[str, list[str]]]:
    """The events of a spreadsheet in POST /trace-events form, or the problems by row."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = [unescape_cell(name) for name in reader.fieldnames or []]
        rows = [{name: unescape_cell(value) if isinstance(value, str) else value
                 for name, value in zip(header, row.values())} for row in reader]
    except csv.Error as error:
        return [], {f"line {reader.line_num}": [f"Not readable as CSV: {error}."]}
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        return [], {"header": [f"Missing columns: {', '.join(missing)}."]}
    events: OrderedDict[tuple[str, str], dict] = OrderedDict()
    for row in rows:  # event ids are unique per facility (events.py)
        event = events.setdefault((row["facility_id"], row["event_id"]), {
            "event_id": row["event_id"], "type": row["event_type"], "occurred_at": row["occurred_at"],
            "facility_id": row["facility_id"], "other_facility_id": row.get("counterparty_id") or None,
            "reference": row.get("reference") or None})
        part = {"lot_id": row["lot_id"], "quantity": row["quantity"], "unit": row["unit"]}
        if row["role"] == "subject":
            event.update(part)
        else:
            event.setdefault("inputs" if row["role"] == "input" else "outputs", []).append(part)
    return list(events.values()), {}
