"""Pure rules of a field check: its outcome from the item results, and what is suspicious
about the place and time it was recorded. No database, no Flask: easy to test exhaustively.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pyproj import Geod
from shapely import Point

from grid.crs import gcj02_to_wgs84, in_china

_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Scored:
    results: list[dict]
    key_failures: int
    general_failures: int
    failed_items: list[str]


def score(items: list[tuple[str, bool]], results: list[dict]) -> tuple[Scored | None, dict[str, list[str]]]:
    """Match results to the template's (code, key_item) items, in the template's order.

    Returns the scored results, or the problems by field path: every item answered exactly
    once, nothing answered that the template does not ask.
    """
    known = dict(items)
    counts = Counter(result["item"] for result in results)
    errors: dict[str, list[str]] = {}
    for index, result in enumerate(results):
        if result["item"] not in known:
            errors[f"results.{index}.item"] = [f"Item {result['item']!r} is not in this template version."]
        elif counts[result["item"]] > 1:
            errors[f"results.{index}.item"] = [f"Item {result['item']!r} is answered more than once."]
    missing = [code for code, _ in items if code not in counts]
    if missing:
        errors["results"] = [f"Items without a result: {', '.join(missing)}."]
    if errors:
        return None, errors
    by_code = {result["item"]: result for result in results}
    ordered = [{"item": code, "result": by_code[code]["result"], "note": by_code[code].get("note", "")}
               for code, _ in items]
    failed = [code for code, _ in items if by_code[code]["result"] == "fail"]
    key_failures = sum(1 for code in failed if known[code])
    return Scored(ordered, key_failures, len(failed) - key_failures, failed), {}


def outcome(key_failures: int, general_failures: int, threshold: int) -> str:
    """日常监督检查结果: any key item failed, or general failures reaching the template's
    threshold → 不符合; fewer general failures → 基本符合; none → 符合."""
    if key_failures or general_failures >= threshold:
        return "non_compliant"
    return "basically_compliant" if general_failures else "compliant"


@dataclass
class Placement:
    """Where the check was made (WGS-84), how far from the facility, and what looks wrong."""

    point: Point | None = None
    distance_m: float | None = None
    flags: list[str] = field(default_factory=list)


def place(location: Point | None, crs: str, accuracy_m: float | None, facility: Point,
          geofence_m: float, low_accuracy_m: float | None = None) -> Placement:
    """Assess the phone's fix. Nothing here refuses a check: bad fixes are flagged.

    `outside_geofence` when the distance, as recorded (to 0.1 m), is more than `geofence_m`
    (exactly at the fence is inside); `low_accuracy` when the phone's own accuracy radius
    is more than `low_accuracy_m` (default: the geofence — a fix that vague cannot show the
    inspector was there)."""
    if location is None:
        return Placement(flags=["no_location"])
    lon, lat = location.x, location.y
    # A fix outside China is certainly wrong for a city's inspectors (a phone without a real fix).
    if not (-180 <= lon <= 180 and -90 <= lat <= 90) or (lon, lat) == (0, 0) or not in_china(lon, lat):
        return Placement(flags=["location_invalid"])
    if crs == "gcj02":
        lon, lat = gcj02_to_wgs84(lon, lat)
    _, _, distance = _GEOD.inv(lon, lat, facility.x, facility.y)
    distance = round(distance, 1)  # judged on the figure the check shows, not on float noise
    flags = []
    if accuracy_m is not None and accuracy_m > (geofence_m if low_accuracy_m is None else low_accuracy_m):
        flags.append("low_accuracy")
    if distance > geofence_m:
        flags.append("outside_geofence")
    return Placement(Point(lon, lat), distance, flags)


def clock_skewed(*, started_at: datetime, finished_at: datetime, sent_at: datetime | None,
                 received_at: datetime, tolerance: timedelta) -> bool:
    """A device clock we cannot believe: sending time more than `tolerance` from ours, a
    check finished more than `tolerance` in the future, or one that ended before it began.
    Exactly `tolerance` away is still believed."""
    if sent_at is not None and abs(sent_at - received_at) > tolerance:
        return True
    return finished_at > received_at + tolerance or started_at > finished_at
