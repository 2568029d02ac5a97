"""Reading uploaded CSV files: the encodings Chinese offices actually produce, or a clear 422."""
from __future__ import annotations

import codecs

from backend.common.domain_errors import RuleViolation

ENCODINGS = ["utf-8", "gb18030", "utf-16"]
ACCEPTED = "UTF-8 (with or without BOM), GB18030 (what Chinese Excel writes) or UTF-16 with a BOM"


def decode_csv(raw: bytes) -> str:
    """UTF-8 (with or without Excel's BOM), else GB18030; UTF-16 when its BOM says so.

    GB18030 decodes almost any bytes, UTF-16 without a BOM included (into text full of NUL),
    so text holding NUL is refused too: it cannot be a spreadsheet, nor stored."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not raw.startswith(codecs.BOM_UTF32_LE):
        text = _decode(raw, "utf-16")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = _decode(raw, "gb18030")
    if "\x00" in text:
        raise RuleViolation(f"The file contains NUL bytes: binary, or UTF-16 without a BOM? Send CSV in {ACCEPTED}.",
                            code="bad_csv", accepted_encodings=ENCODINGS)
    return text


def _decode(raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        _refuse()


def _refuse():
    raise RuleViolation(f"The file is not readable text: send CSV in {ACCEPTED}.", code="unsupported_encoding",
                        accepted_encodings=ENCODINGS)
