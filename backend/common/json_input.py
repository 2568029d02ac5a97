"""Reading JSON request bodies: what a parser accepts but the service cannot hold is
refused here, once, with the path of the offending value.

- nesting deeper than MAX_DEPTH (the C scanner's RecursionError included): 400;
- lone surrogates (`"\\ud800"`: not encodable as UTF-8, so not storable or answerable)
  and NUL characters (PostgreSQL text cannot hold them), in values and keys: 422;
- number literals longer than MAX_NUMBER_CHARS (Python refuses to convert integers of
  more than 4,300 digits), NaN/Infinity (not JSON) and floats that overflow: 422.

Pure: no Flask, no application imports.
"""
from __future__ import annotations

import json
import math

MAX_DEPTH = 64
MAX_NUMBER_CHARS = 100


class JsonInputError(Exception):
    """A body that is JSON but not acceptable input. Not a ValueError on purpose: callers
    that turn ValueError into "not JSON" must let this one through with its paths."""

    def __init__(self, status: int, detail: str, errors: dict[str, list[str]] | None = None):
        super().__init__(detail)
        self.status, self.detail, self.errors = status, detail, errors or {}


class _Refused:
    """Put in place of a number literal that is refused; reported with its path."""

    def __init__(self, message: str):
        self.message = message


def _int(literal: str):
    return int(literal) if len(literal) <= MAX_NUMBER_CHARS else _Refused("Number has too many digits.")


def _float(literal: str):
    if len(literal) > MAX_NUMBER_CHARS:
        return _Refused("Number has too many digits.")
    value = float(literal)
    return value if math.isfinite(value) else _Refused("Number is out of range.")


def _constant(literal: str):
    return _Refused(f"{literal} is not a JSON number.")


def _string_problem(text: str) -> str | None:
    if "\x00" in text:
        return "NUL characters are not allowed."
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "Lone UTF-16 surrogates are not allowed."
    return None


def _join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def problems(document) -> dict[str, list[str]]:
    """Refused values by path (`items.0.name`; a refused key is reported at its object's
    path, `body` at the top). Iterative, so any depth is safe; raises past MAX_DEPTH."""
    found: dict[str, list[str]] = {}
    stack = [(document, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        message = None
        if isinstance(value, str):
            message = _string_problem(value)
        elif isinstance(value, _Refused):
            message = value.message
        elif isinstance(value, (dict, list)):
            if depth >= MAX_DEPTH:
                raise JsonInputError(400, f"JSON nested deeper than {MAX_DEPTH} levels.")
            if isinstance(value, dict):
                for key, item in value.items():
                    key_message = _string_problem(key)
                    if key_message:
                        found.setdefault(path or "body", []).append(f"Field name: {key_message}")
                        continue
                    stack.append((item, _join(path, key), depth + 1))
            else:
                stack.extend((item, _join(path, index), depth + 1) for index, item in enumerate(value))
        if message:
            found.setdefault(path or "body", []).append(message)
    return found


def parse(data: bytes | str):
    """Parse a request body (UTF-8) without judging its values: refused number literals are
    left in place as markers for `problems`. Raises ValueError when it is not JSON at all
    and JsonInputError (400) when it nests too deep."""
    text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
    try:
        document = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError:
        raise JsonInputError(400, f"JSON nested deeper than {MAX_DEPTH} levels.") from None
    check_depth(document)
    return document


def check_depth(document) -> None:
    """Raise JsonInputError (400) when `document` nests deeper than MAX_DEPTH."""
    stack = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth >= MAX_DEPTH:
                raise JsonInputError(400, f"JSON nested deeper than {MAX_DEPTH} levels.")
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))


def refuse(found: dict[str, list[str]]) -> None:
    """Raise JsonInputError (422) listing `found` (from `problems`), if anything was found."""
    if found:
        raise JsonInputError(422, "The body holds values that cannot be accepted; see errors.", found)


def loads(data: bytes | str):
    """Parse a request body (UTF-8); raises ValueError when it is not JSON at all and
    JsonInputError when it is JSON the service refuses."""
    document = parse(data)
    refuse(problems(document))
    return document
