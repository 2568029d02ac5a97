"""A trace in other shapes: the FSMA 204-style sortable spreadsheet (CSV) and a map (GeoJSON)."""
from __future__ import annotations

import csv
import io

# One row per movement, with its key data elements (FSMA 204 KDEs), in this order.
CSV_COLUMNS = ("event_id", "event_type", "occurred_at", "lot_code", "product", "quantity", "unit",
               "from_facility", "to_facility", "location", "location_address", "input_lot_code",
               "reference", "flags")


def trace_csv(trace: dict) -> str:
    """UTF-8 with a BOM, so Excel opens the Chinese names correctly."""
    lots = {lot["id"]: lot for lot in trace["lots"]}
    places = {facility["id"]: facility for facility in trace["facilities"]}
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for event in trace["events"]:
        made, source = lots.get(event["to_lot_id"], {}), lots.get(event["from_lot_id"], {})
        sender, receiver = places.get(event["from_facility_id"], {}), places.get(event["to_facility_id"], {})
        # Where it happened: the receiver for a receipt, otherwise the sender (or the transforming plant).
        where = receiver if event["type"] == "receive" else sender
        writer.writerow([
            event["event_id"], event["type"], event["occurred_at"], made.get("lot_code", ""), made.get("product", ""),
            event["quantity"], event["unit"], sender.get("name", ""), receiver.get("name", ""),
            where.get("name", ""), where.get("address", ""),
            source.get("lot_code", "") if event["type"] == "transform" else "",
            event.get("reference") or "", " ".join(event.get("flags") or []),
        ])
    return out.getvalue()


def trace_geojson(trace: dict) -> dict:
    """The facilities as points and each shipment as a line from sender to receiver."""
    places = {facility["id"]: facility for facility in trace["facilities"]}
    lots = {lot["id"]: lot for lot in trace["lots"]}
    features = [{"type": "Feature", "id": facility["id"],
                 "geometry": {"type": "Point", "coordinates": facility["location"]},
                 "properties": {key: facility[key] for key in ("name", "kind", "region_code", "cell_id", "depth")}}
                for facility in trace["facilities"]]
    for event in trace["events"]:
        if event["from_facility_id"] == event["to_facility_id"]:
            continue  # a transformation happens in one place: no line to draw
        start, end = places.get(event["from_facility_id"]), places.get(event["to_facility_id"])
        if start and end:
            features.append({"type": "Feature", "geometry": {"type": "LineString",
                                                             "coordinates": [start["location"], end["location"]]},
                             "properties": {"event_id": event["event_id"], "type": event["type"],
                                            "lot_code": lots.get(event["to_lot_id"], {}).get("lot_code"),
                                            "quantity": event["quantity"], "unit": event["unit"],
                                            "occurred_at": event["occurred_at"]}})
    return {"type": "FeatureCollection", "features": features}
