"""Business identifiers: the unified social credit code and the production licence number.

USCC (统一社会信用代码, GB 32100-2015): 18 characters over a 31-character alphabet (no
I, O, S, V, Z); the last is a check character computed from the first 17 with weights
3^(i-1) mod 31. Production licence (食品生产许可证编号): "SC" + 14 digits — category (3),
GB/T 2260 area (6), sequence (4), check digit (1). Its check-digit algorithm is not
public (REFERENCE.md), so only the format and the area's province are checked.
"""
from __future__ import annotations

import re

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
USCC_PATTERN = re.compile(f"^[{USCC_ALPHABET}]{{18}}$")
LICENCE_PATTERN = re.compile(r"^SC([12]\d{2})(\d{6})(\d{4})(\d)$")
# Province-level GB/T 2260 prefixes (31 provinces, Taiwan, Hong Kong, Macao).
PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82",
}


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(char) * weight for char, weight in zip(first17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why `code` is not a valid USCC, or None when it is."""
    if not USCC_PATTERN.match(code):
        return "must be 18 characters of 0-9 and A-Z without I, O, S, V, Z"
    if code[2:4] not in PROVINCES:
        return f"area code {code[2:8]} is not a GB/T 2260 code"
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        return f"check character is {code[17]}, expected {expected} (GB 32100)"
    return None


def licence_problem(number: str) -> str | None:
    """Why `number` is not a well-formed production licence number, or None."""
    match = LICENCE_PATTERN.match(number)
    if not match:
        return "must be SC followed by 14 digits, the first 1 (food) or 2 (additive)"
    if match.group(2)[:2] not in PROVINCES:
        return f"area code {match.group(2)} is not a GB/T 2260 code"
    return None


def gs1_check_digit(digits: str) -> str:
    """GS1 mod-10 check digit of the digits before it (GTIN, GLN, SSCC): weights 3, 1, …
    from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def gln_problem(gln: str) -> str | None:
    """What is wrong with a Global Location Number (13 digits, GS1 check digit), if anything."""
    if len(gln) != 13 or not gln.isdigit():
        return "a GLN is 13 digits"
    if gs1_check_digit(gln[:12]) != gln[12]:
        return f"the check digit should be {gs1_check_digit(gln[:12])}"
    return None
