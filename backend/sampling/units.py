"""Units of measured values: converted within a dimension, refused across dimensions."""
from __future__ import annotations

from decimal import Decimal

from backend.common.domain_errors import RuleViolation

# unit -> (dimension, factor to the dimension's base unit)
UNITS: dict[str, tuple[str, Decimal]] = {
    "g/kg": ("mass fraction", Decimal(1000)),
    "mg/kg": ("mass fraction", Decimal(1)),
    "µg/kg": ("mass fraction", Decimal("0.001")),
    "ug/kg": ("mass fraction", Decimal("0.001")),
    "μg/kg": ("mass fraction", Decimal("0.001")),  # Greek mu, as some keyboards type it
    "g/L": ("concentration", Decimal(1000)),
    "mg/L": ("concentration", Decimal(1)),
    "µg/L": ("concentration", Decimal("0.001")),
    "ug/L": ("concentration", Decimal("0.001")),
    "CFU/g": ("count per mass", Decimal(1)),
    "CFU/mL": ("count per volume", Decimal(1)),
    "/25g": ("presence in 25 g", Decimal(1)),
}


def convert(value: Decimal, from_unit: str, to_unit: str, *, field: str = "unit") -> Decimal:
    """`value` in `from_unit` expressed in `to_unit` (mg/kg ⇄ µg/kg …); a 422 across dimensions."""
    if from_unit == to_unit:
        return value
    source, target = UNITS.get(from_unit), UNITS.get(to_unit)
    if source is None:
        raise RuleViolation(f"Unknown unit {from_unit!r}; use one of {', '.join(UNITS)}.", code="unknown_unit",
                            field=field)
    if target is None or source[0] != target[0]:
        raise RuleViolation(f"{from_unit} cannot be converted to {to_unit}, the unit of the limit.",
                            code="unit_mismatch", field=field)
    return value * source[1] / target[1]
