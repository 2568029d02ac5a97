"""The hash chain: each row's hash covers its content and the previous row's hash.

The id is left out: rows are numbered by the database at insert, and the chain
(prev_hash) already fixes their order; any edit, deletion or insertion breaks a link.
"""
from __future__ import annotations

import hashlib
import json
from datetime import timezone

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "occurred_at", "actor_id", "actor_username", "action", "entity_type",
    "entity_id", "region_code", "before", "after", "request_id", "prev_hash",
)


def _canonical(value):
    if hasattr(value, "astimezone"):
        return value.astimezone(timezone.utc).isoformat()
    if value is not None and not isinstance(value, (str, int, float, bool, dict, list)):
        return str(value)
    return value


def entry_hash(entry) -> str:
    """SHA-256 over a canonical JSON of the row's fields (sorted keys, UTC times)."""
    payload = {name: _canonical(getattr(entry, name)) for name in HASHED_FIELDS}
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def json_safe(value):
    """What JSONB will give back, so the hash computed now matches the one re-computed later."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))
