"""Field validators shared by the domains' schemas."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from marshmallow import ValidationError


def decimal_range(low: int, high: int, *, positive: bool = False, message: str) -> Callable[[Decimal | None], None]:
    """`low ≤ value < high` (`low < value` when `positive`). A function, not validate.Range:
    apispec would print a Decimal bound into the OpenAPI document as a string."""
    def check(value: Decimal | None) -> None:
        if value is None:
            return
        if (value <= low if positive else value < low) or value >= high:
            raise ValidationError(message)
    return check
