"""GB/T 2260 region codes: level and containment, decided from the code itself.

Codes are hierarchical by prefix: 130000 a province, 130500 a city, 130502 a county,
130502001 a township (9 digits), 130502001001 a village (12 digits). A region contains
every code that starts with its prefix (province "13", city "1305", county "130502").
"""
from __future__ import annotations

import re

CODE_PATTERN = re.compile(r"^\d{6}(\d{3}(\d{3})?)?$")
LEVELS = ("province", "city", "county", "township", "village")


def is_valid_code(code: str) -> bool:
    return bool(CODE_PATTERN.match(code or ""))


def level_of(code: str) -> str:
    if len(code) == 12:
        return "village"
    if len(code) == 9:
        return "township"
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def scope_prefix(code: str) -> str:
    """The prefix shared by a region's own code and all codes under it."""
    return {"province": code[:2], "city": code[:4]}.get(level_of(code), code)


def is_within(code: str, ancestor: str) -> bool:
    """True when region `code` is `ancestor` itself or lies under it."""
    return code.startswith(scope_prefix(ancestor))
