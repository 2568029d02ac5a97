"""Signed checkpoints of the audit chain, kept in a file outside the database.

A checkpoint says "the chain had `rows` rows, ending at row `head_id` whose hash was
`head_hash`" at time `at`, signed with the audit key. One JSON object per line, appended
(O_APPEND, fsync) to `<AUDIT_CHECKPOINT_DIR>/<database>.jsonl`; writers hold an exclusive
lock on the file, so the worker and `flask audit checkpoint` never interleave. Someone
with only database access can neither remove nor forge these lines, so deleting the tail
of the chain, or rewriting it whole, no longer matches the newest checkpoint.
No database here: service.py decides what to checkpoint.
"""
from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from backend.audit.chain import checkpoint_mac, same
from backend.common.files import fsync_dir

VERSION = 1


@dataclass(frozen=True)
class Checkpoint:
    rows: int  # rows in the chain up to and including head_id
    head_id: int
    head_hash: str
    legacy_through: int  # rows up to this id were hashed before the chain was keyed (0: none)
    at: str  # RFC 3339, UTC
    v: int = VERSION

    def signed(self, key: str) -> dict:
        fields = asdict(self)
        return {**fields, "mac": checkpoint_mac(fields, key)}


@dataclass(frozen=True)
class BadLine:
    line: int
    reason: str


def checkpoint_file(directory: str | Path, database: str) -> Path:
    """One file per database, so two databases never vouch for each other's chain."""
    return Path(directory) / f"{database}.jsonl"


def parse(text: str, key: str, line: int) -> Checkpoint | BadLine:
    """A line of the file, checked against the key."""
    try:
        fields = json.loads(text)
        mac = fields.pop("mac")
        checkpoint = Checkpoint(**fields)
        valid = isinstance(mac, str) and same(mac, checkpoint_mac(fields, key))
    except (ValueError, TypeError, KeyError, AttributeError):
        return BadLine(line, f"checkpoint line {line} is not a checkpoint")
    if not valid:
        return BadLine(line, f"checkpoint line {line} is not signed with the audit key (edited or forged)")
    return checkpoint


def read_all(path: Path, key: str) -> list[Checkpoint | BadLine]:
    """Every line of the file, in order; none when there is no file yet."""
    try:
        with open(path, encoding="utf-8") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH)  # never a line half appended
            return [parse(text, key, number) for number, text in enumerate(handle, start=1) if text.strip()]
    except FileNotFoundError:
        return []


@contextmanager
def locked(path: Path) -> Iterator[int]:
    """The file opened for appending (created 0600 if missing), under an exclusive lock."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    created = not path.exists()
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        if created:
            fsync_dir(path.parent)
        yield descriptor
    finally:
        os.close(descriptor)  # releases the lock


def last_line(descriptor: int, key: str) -> Checkpoint | BadLine | None:
    """The newest line, read from the end of the file (it grows by a line a minute at most)."""
    size = os.fstat(descriptor).st_size
    chunk, data = 4096, b""
    position = size
    while position > 0:
        step = min(chunk, position)
        position -= step
        data = os.pread(descriptor, step, position) + data
        lines = data.rstrip(b"\n").split(b"\n")
        if len(lines) > 1 or position == 0:
            text = lines[-1].decode("utf-8", "replace")
            return parse(text, key, line=0) if text.strip() else None
    return None


def append(descriptor: int, checkpoint: Checkpoint, key: str) -> None:
    line = json.dumps(checkpoint.signed(key), sort_keys=True, separators=(",", ":")) + "\n"
    os.write(descriptor, line.encode("utf-8"))
    os.fsync(descriptor)

