"""The keyed hash chain: each row's hash is an HMAC-SHA256, under a key the database
does not hold, of its content and the previous row's hash; checkpoints are signed with
the same key. Pure functions only (no Flask, no database), so the request path today and
a sealer in the worker tomorrow compute exactly the same thing.

The id is left out: rows are numbered by the database at insert, and the chain
(prev_hash) already fixes their order; any edit, deletion or insertion breaks a link.
Without the key nobody can compute a valid hash, so rewriting a row and "fixing" every
hash after it no longer passes. Rows written before the key existed were hashed with
plain SHA-256 (`legacy_hash`); they are accepted only as the chain's first rows, up to
the boundary a signed checkpoint fixed (service.py).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timezone
from functools import lru_cache

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "occurred_at", "actor_id", "actor_username", "action", "entity_type",
    "entity_id", "region_code", "before", "after", "request_id", "prev_hash",
)
# Separate sub-keys, so a row's MAC can never pass as a checkpoint's or the other way round.
_ROW_LABEL = b"foodgrid audit row v1"
_CHECKPOINT_LABEL = b"foodgrid audit checkpoint v1"


def _canonical(value):
    if hasattr(value, "astimezone"):
        return value.astimezone(timezone.utc).isoformat()
    if value is not None and not isinstance(value, (str, int, float, bool, dict, list)):
        return str(value)
    return value


def _encode(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _row_payload(entry) -> bytes:
    """A canonical JSON of the row's fields (sorted keys, UTC times)."""
    return _encode({name: _canonical(getattr(entry, name)) for name in HASHED_FIELDS})


@lru_cache(maxsize=8)
def _subkey(key: str | bytes, label: bytes) -> bytes:
    raw = key.encode("utf-8") if isinstance(key, str) else key
    if not raw:
        raise ValueError("the audit key is empty")
    return hmac.new(raw, label, hashlib.sha256).digest()


def entry_hash(entry, key: str | bytes) -> str:
    """HMAC-SHA256 (hex) of the row's content and prev_hash, under the audit key."""
    return hmac.new(_subkey(key, _ROW_LABEL), _row_payload(entry), hashlib.sha256).hexdigest()


def legacy_hash(entry) -> str:
    """How rows were hashed before the chain was keyed: plain SHA-256 of the same payload."""
    return hashlib.sha256(_row_payload(entry)).hexdigest()


def checkpoint_mac(fields: dict, key: str | bytes) -> str:
    """HMAC-SHA256 (hex) of a checkpoint's fields (everything but the MAC itself)."""
    payload = _encode({name: value for name, value in fields.items() if name != "mac"})
    return hmac.new(_subkey(key, _CHECKPOINT_LABEL), payload, hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("ascii", "replace"), b.encode("ascii", "replace"))
