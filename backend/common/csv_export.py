"""The one CSV writer of this service: every CSV it produces goes through `write_csv`.

Spreadsheet formula injection (CWE-1236): a cell that begins with `=`, `+`, `-`, `@`, a
tab or a carriage return is run as a formula by Excel, LibreOffice and Sheets, so stored
text (a lot code `=2+3`, a counterparty `+SUM(1+1)*cmd|' /C calc'!A0`) would come back
live. As OWASP recommends, such a cell gets a leading `'`, which spreadsheets show as
text. Plain numbers (`-1.5`) are left alone: they are not formulas and stay sortable.
`unescape_cell` undoes it, so a file this service wrote can be read back unchanged.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
BOM = "\ufeff"


def escape_cell(value) -> str:
    """A cell's text, made inert if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.match(text):
        return "'" + text
    return text


def unescape_cell(text: str) -> str:
    """The inverse of escape_cell for text it wrote: `'` before a formula start is dropped."""
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_STARTS) and not _NUMBER.match(text[1:]):
        return text[1:]
    return text


def write_csv(header: Iterable[str], rows: Iterable[Iterable], *, bom: bool = True) -> str:
    """CSV text (CRLF line ends; with a BOM so that Excel reads UTF-8), every cell escaped."""
    out = io.StringIO()
    if bom:
        out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([escape_cell(name) for name in header])
    for row in rows:
        writer.writerow([escape_cell(value) for value in row])
    return out.getvalue()
