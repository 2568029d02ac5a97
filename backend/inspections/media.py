"""Attachment files on disk (DESIGN.md §5): received, checked and stored by content.

An upload is streamed into a temporary file under MEDIA_ROOT/incoming (the same file
system as its final place, so the rename is atomic), hashed and counted as it arrives,
and refused as soon as it passes the size limit. Only a complete file of an accepted
type is renamed to MEDIA_ROOT/ab/cd/<sha256>, after fsync: a crash leaves at most an
unreferenced temporary file, never a half file under a name the database refers to.
No Flask request access here; the caller passes the stream and the settings.
"""
from __future__ import annotations

import hashlib
import logging
import mmap
import os
import re
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import exifread
import filetype

from backend.common.domain_errors import PayloadTooLarge, RuleViolation, UnsupportedMediaType
from backend.common.files import fsync_dir

log = logging.getLogger(__name__)

ALLOWED_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "application/pdf")
# Names clients use for a type we store under one name.
ALIASES = {"image/heif": "image/heic"}
CHUNK = 64 * 1024
HEAD = 8192  # what type sniffing looks at (filetype reads no more)
INCOMING = "incoming"
# HEIF brands of HEVC-coded stills; filetype 1.2 knows only `heic` (and mif1 + heic).
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class Upload:
    """A received, checked file waiting in MEDIA_ROOT/incoming until kept or dropped."""

    root: Path
    temp: Path
    sha256: str
    size: int
    content_type: str

    def keep(self) -> Path:
        """Move the file to its content-addressed place; an identical file already there stays."""
        final = path_of(self.root, self.sha256)
        if final.exists():
            self.temp.unlink(missing_ok=True)
            return final
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.temp, final)
        fsync_dir(final.parent)  # the rename itself must be durable before a 201 says so
        return final


def path_of(root: str | Path, sha256: str) -> Path:
    if not SHA256_HEX.match(sha256):
        raise ValueError("not a SHA-256 hex digest")
    return Path(root) / sha256[:2] / sha256[2:4] / sha256


def canonical_type(mimetype: str) -> str:
    mimetype = (mimetype or "").lower()
    return ALIASES.get(mimetype, mimetype)


@contextmanager
def receive(stream: BinaryIO, root: str | Path, max_bytes: int, *,
            expected_sha256: str | None = None) -> Iterator[Upload]:
    """Stream `stream` to a temporary file and check it: not empty, within `max_bytes`
    (413 as soon as it is passed), the client's SHA-256 if given, an accepted type
    sniffed from the bytes (415), and complete (a truncated upload is 422).
    The temporary file is removed on leaving unless `Upload.keep()` moved it."""
    root = Path(root)
    incoming = root / INCOMING
    incoming.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=incoming, prefix="upload-")
    temp = Path(name)
    try:
        digest, size, head = hashlib.sha256(), 0, b""
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(f"Attachments are limited to {max_bytes} bytes.",
                                          max_bytes=max_bytes)
                if len(head) < HEAD:
                    head += chunk[:HEAD - len(head)]
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha256 = digest.hexdigest()
        if size == 0:
            raise RuleViolation("The upload is empty.", code="empty_upload")
        if expected_sha256 and expected_sha256.lower() != sha256:
            raise RuleViolation(f"The bytes received hash to {sha256}, not the X-Content-SHA256 sent; "
                                "the upload was probably cut short: send it again.",
                                code="sha256_mismatch", received_sha256=sha256)
        content_type = sniff(head)
        if content_type not in ALLOWED_TYPES:
            raise UnsupportedMediaType(f"The bytes are {content_type or 'of no recognised type'}; "
                                       f"accepted: {', '.join(ALLOWED_TYPES)}.", sniffed_type=content_type)
        if not is_complete(temp, content_type):
            raise RuleViolation(f"The {content_type} file is truncated or malformed; send it again.",
                                code="truncated_upload")
        yield Upload(root=root, temp=temp, sha256=sha256, size=size, content_type=content_type)
    finally:
        temp.unlink(missing_ok=True)


def sniff(head: bytes) -> str | None:
    """The media type the first bytes show; the client's Content-Type is not trusted."""
    if head[4:8] == b"ftyp" and len(head) >= 16:
        size = min(struct.unpack(">I", head[:4])[0], len(head))
        brands = {head[8:12]} | {head[i:i + 4] for i in range(16, size - 3, 4)}
        if head[8:12] in HEIF_BRANDS or (head[8:12] in (b"mif1", b"msf1") and brands & HEIF_BRANDS):
            return "image/heic"
    return filetype.guess_mime(head)


# ---------------------------------------------------------------- completeness

def is_complete(path: Path, content_type: str) -> bool:
    """Does the file end where its own structure says it ends? A cut upload does not."""
    with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        try:
            return _CHECKS[content_type](data)
        except (IndexError, struct.error, ValueError):
            return False


def _jpeg(data) -> bool:
    """Walk the segments to the image data, then find EOI. Searching for FFD9 anywhere
    would find the end of the EXIF thumbnail; requiring it last would refuse Motion Photos
    and Samsung photos, which carry data after EOI."""
    pos, end = 2, len(data)
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            return False
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return True
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # standalone markers
            pos += 2
            continue
        pos += 2 + struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= end:
                    return False
                following = data[pos + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    pos += 1 if following == 0xFF else 2
                    continue
                break
    return data[pos:pos + 2] == b"\xff\xd9"


def _png(data) -> bool:
    pos, end = 8, len(data)
    while pos + 12 <= end:
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        pos += 12 + length
        if kind == b"IEND":
            return pos <= end
    return False


def _pdf(data) -> bool:
    # The last (incremental) update ends with %%EOF; readers tolerate a little trailing junk.
    return data.rfind(b"%%EOF", max(0, len(data) - 1024)) >= 0


def _webp(data) -> bool:
    return len(data) >= struct.unpack("<I", data[4:8])[0] + 8


def _isobmff(data) -> bool:
    """Top-level boxes (ftyp, meta, mdat …) must add up to the file's length exactly."""
    pos, end, boxes = 0, len(data), 0
    while pos < end:
        size = struct.unpack(">I", data[pos:pos + 4])[0]
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
        elif size == 0:  # the last box runs to the end of the file
            size = end - pos
        if size < 8 or pos + size > end:
            return False
        pos, boxes = pos + size, boxes + 1
    return boxes >= 2  # ftyp alone describes no image


_CHECKS = {"image/jpeg": _jpeg, "image/png": _png, "application/pdf": _pdf, "image/webp": _webp,
           "image/heic": _isobmff}


# ---------------------------------------------------------------- EXIF

def exif_lonlat(path: Path, content_type: str) -> tuple[float, float] | None:
    """Where the camera says the photo was taken, as WGS-84 (lon, lat), or None.
    Phones write GPS fixes in WGS-84. Bad or odd EXIF never fails an upload."""
    if not content_type.startswith("image/"):
        return None
    try:
        with open(path, "rb") as file:
            tags = exifread.process_file(file, details=False, extract_thumbnail=False)
        lat = _degrees(tags["GPS GPSLatitude"].values, str(tags.get("GPS GPSLatitudeRef", "N")), "S")
        lon = _degrees(tags["GPS GPSLongitude"].values, str(tags.get("GPS GPSLongitudeRef", "E")), "W")
    except Exception:  # noqa: BLE001 - any parser failure just means "no location"
        log.debug("no usable EXIF GPS in %s", path.name, exc_info=True)
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None  # out of range, or the zeros some cameras write when they have no fix
    return lon, lat


def _degrees(values, ref: str, negative: str) -> float:
    parts = [float(value) for value in values][:3]
    parts += [0.0] * (3 - len(parts))
    degrees = parts[0] + parts[1] / 60 + parts[2] / 3600
    return -degrees if ref.strip().upper().startswith(negative) else degrees

