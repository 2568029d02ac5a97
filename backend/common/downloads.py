"""The one way a download is named: `Content-Disposition` per RFC 6266 / RFC 8187.

Every download answer sets its header through `content_disposition`, so stored text in a
file name (a lot code in Chinese, with CR/LF, quotes, `;` or control characters) can
neither break the answer (a non-Latin-1 header is a 500 in the WSGI server) nor split or
extend the header. The name is sent twice: `filename*=UTF-8''…` percent-encoded (the full
name, which every current browser uses) and an ASCII `filename="…"` fallback in which
anything outside a safe set becomes `_`.
"""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._\-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_NAME = 150


def safe_filename(name: str) -> str:
    """The name without control characters, path separators or surrounding dots and spaces."""
    name = _CONTROL.sub("", unicodedata.normalize("NFC", name)).replace("/", "_").replace("\\", "_")
    return name.strip(" .")[:MAX_NAME] or "download"


def ascii_filename(name: str) -> str:
    stem, dot, ext = safe_filename(name).rpartition(".")
    if not dot:
        stem, ext = ext, ""
    stem = _UNSAFE_ASCII.sub("_", stem).strip("_-.") or "download"
    ext = _UNSAFE_ASCII.sub("", ext)
    return f"{stem}.{ext}" if ext else stem


def content_disposition(name: str, disposition: str = "attachment") -> str:
    """`attachment; filename="ascii"; filename*=UTF-8''percent-encoded` for any name."""
    full = safe_filename(name)
    return f"{disposition}; filename=\"{ascii_filename(full)}\"; filename*=UTF-8''{quote(full, safe='')}"
