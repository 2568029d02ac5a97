"""The sync cursor: opaque to phones, signed so a mangled one is a clear 422.

A round of sync delivers what changed between two database snapshots: `since` (the
previous round's end; None for a first, full sync) and `upto` (taken when the round
began). Paging within a round keeps both and remembers the stage and last id; the next
round starts from `upto`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from backend.common.domain_errors import RuleViolation

SALT = "foodgrid.sync.v1"


@dataclass(frozen=True)
class Cursor:
    since: str | None = None  # pg_snapshot text, e.g. "7841:7850:7843,7846"
    upto: str | None = None
    stage: int = 0
    after: str | None = None  # the last id delivered in `stage`


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def encode(cursor: Cursor) -> str:
    return _serializer().dumps(asdict(cursor))


def decode(token: str | None) -> Cursor:
    if not token:
        return Cursor()
    try:
        return Cursor(**_serializer().loads(token))
    except (BadSignature, TypeError, ValueError) as exc:
        raise RuleViolation("This sync cursor is not one the server gave out; sync again without a cursor.",
                            code="invalid_cursor", field="cursor") from exc
