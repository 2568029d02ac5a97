"""Field validators shared by the domains' schemas."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from marshmallow import ValidationError


@dataclass(frozen=True)
class DecimalRange:
    """`low ≤ value < high` (`low < value` when `positive`). Not validate.Range: apispec
    would print a Decimal bound into the OpenAPI document as a string; this one is
    documented as numbers (`minimum`/`exclusiveMinimum`, `exclusiveMaximum`) by
    backend.common.openapi."""

    low: int
    high: int
    positive: bool
    message: str

    def __call__(self, value: Decimal | None) -> None:
        if value is None:
            return
        if (value <= self.low if self.positive else value < self.low) or value >= self.high:
            raise ValidationError(self.message)

    def json_schema(self) -> dict:
        bound = {"exclusiveMinimum": self.low} if self.positive else {"minimum": self.low}
        return {**bound, "exclusiveMaximum": self.high}


def decimal_range(low: int, high: int, *, positive: bool = False, message: str) -> DecimalRange:
    return DecimalRange(low, high, positive, message)
