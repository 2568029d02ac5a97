"""The fingerprint of a client's submission, to tell a replay (same id, same content) from
a reused id (same id, other content). Canonical: sorted keys, no empty (None) fields, times
in UTC, decimals normalised, geometry as WKT — so equal content always hashes equal."""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal

from shapely.geometry.base import BaseGeometry


def _canonical(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, BaseGeometry):
        return value.wkt
    return str(value)


def content_sha256(data: dict, *, ignore: tuple[str, ...] = ()) -> str:
    """SHA-256 of `data` in canonical form, leaving out `ignore` (fields that may differ between retries)."""
    stable = {key: value for key, value in data.items() if key not in ignore and value is not None}
    return hashlib.sha256(json.dumps(stable, sort_keys=True, default=_canonical,
                                     separators=(",", ":")).encode()).hexdigest()
