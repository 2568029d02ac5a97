"""Strings a JSON value may carry that the database cannot store: NUL (PostgreSQL text
refuses it) and lone UTF-16 surrogates (`"\\ud800"` is valid JSON but no valid UTF-8).

Pure functions, no Flask: used on whole bodies and, in batches, on each item alone, so
that one bad item is refused by itself.
"""
from __future__ import annotations

from collections.abc import Iterator

NUL = "NUL characters are not allowed."
SURROGATE = "Lone surrogate characters (invalid Unicode) are not allowed."


def string_problem(text: str) -> str | None:
    """Why `text` cannot be stored, or None."""
    if "\x00" in text:
        return NUL
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE
    return None


def bad_strings(value, root: str = "body") -> Iterator[tuple[str, str]]:
    """(path, message) for each string, key or value, that cannot be stored; paths are dotted
    (`results.0.note`), a bad key names the object holding it, `root` names the whole value.
    A loop, not recursion: a value may nest as deep as the JSON parser allows."""
    stack: list[tuple[str, object]] = [("", value)]
    while stack:
        path, current = stack.pop()
        if isinstance(current, str):
            message = string_problem(current)
            if message:
                yield path or root, message
        elif isinstance(current, dict):
            children = []
            for key, item in current.items():
                message = string_problem(key) if isinstance(key, str) else None
                if message:  # named by its object: a path holding it could not be answered either
                    yield path or root, message
                else:
                    children.append((f"{path}.{key}" if path else str(key), item))
            stack.extend(reversed(children))
        elif isinstance(current, list):
            stack.extend(reversed([(f"{path}.{index}" if path else str(index), item)
                                   for index, item in enumerate(current)]))


def find_bad_string(value, root: str = "body") -> str | None:
    """The path of the first string in `value` that cannot be stored, or None."""
    found = next(bad_strings(value, root), None)
    return found and found[0]
