"""A trace as a map (GeoJSON); the spreadsheet is in spreadsheet.py."""
from __future__ import annotations


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
