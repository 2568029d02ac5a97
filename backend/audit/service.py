"""Audit rules: every write appends one row in the same transaction, chained by a keyed hash.

Services call `record()` (backend/common/audit_trail.py, on the lowest floor so that every
domain can record without importing this package); rows are buffered on the session and written just before
commit under a transaction-scoped advisory lock, so concurrent writers chain in one
order while holding the lock only for the moment of commit. The key (AUDIT_KEY) lives
in the application's configuration, never in the database; signed checkpoints of the
chain's head are appended to a file outside the database (checkpoints.py) by the worker
and by `flask audit checkpoint`, and `verify_chain` holds the chain against them.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from backend.audit import checkpoints
from backend.audit.chain import GENESIS_HASH, entry_hash, legacy_hash, same
from backend.audit.checkpoints import BadLine, Checkpoint, checkpoint_file
from backend.audit.models import AuditEntry
from backend.common import audit_trail, clock
from backend.common.actor import Actor
from backend.common.audit_trail import record  # noqa: F401 (services and tests call audit.record)
from backend.common.domain_errors import Forbidden
from backend.extensions import db

# Any constant shared by all writers; "FGAUDIT" in ASCII.
_CHAIN_LOCK_KEY = 0x4647415544495400


def _write_pending(session: Session) -> None:
    pending = [AuditEntry(**row) for row in audit_trail.take_pending(session)]
    if not pending:
        return
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    prev_hash = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    prev_hash = prev_hash or GENESIS_HASH
    key = _key()
    for entry in pending:
        entry.prev_hash = prev_hash
        entry.hash = prev_hash = entry_hash(entry, key)
        session.add(entry)
    session.flush()


def _drop_pending(session: Session, transaction) -> None:
    # Rows queued by a transaction that rolled back (or was closed) must not leak into the next.
    if transaction.parent is None:
        audit_trail.take_pending(session)


def connect_chain_writer() -> None:
    """Write the queued audit rows at every commit and drop them when a transaction ends
    without one; create_app calls this (once per process is enough, more is harmless)."""
    for name, listener in (("before_commit", _write_pending), ("after_transaction_end", _drop_pending)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


@dataclass
class ChainReport:
    ok: bool
    rows_checked: int
    first_broken_id: int | None = None
    reason: str | None = None
    legacy_rows: int = 0
    checkpoints: int = 0
    checkpoint_rows: int | None = None
    checkpoint_head_id: int | None = None
    checkpoint_at: str | None = None
    checkpoint_errors: list[str] = field(default_factory=list)


class CheckpointRefused(RuntimeError):
    """The chain does not continue the last checkpoint (or is broken since): nothing was signed."""


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("Only administrators may read the audit log.")


def _key() -> str:
    return current_app.config["AUDIT_KEY"]


def checkpoint_path() -> Path:
    return checkpoint_file(current_app.config["AUDIT_CHECKPOINT_DIR"], db.engine.url.database)


def _walk(batch_size: int, after: int = 0, upto: int | None = None) -> Iterator[AuditEntry]:
    last_id = after
    while True:
        query = select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch_size)
        if upto is not None:
            query = query.where(AuditEntry.id <= upto)
        rows = db.session.scalars(query).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        for row in rows:  # keep memory flat on long chains
            db.session.expunge(row)


class _Links:
    """Checks rows one after the other: each must link to the previous one and carry its
    keyed hash. Rows hashed the old way (plain SHA-256) pass only as the chain's first rows
    and only up to `legacy_through`, the boundary a signed checkpoint fixed; `None` (the
    very first checkpoint) accepts such a prefix and records where it ends."""

    def __init__(self, key: str, legacy_through: int | None, prev_hash: str = GENESIS_HASH):
        self.key, self.legacy_through, self.prev = key, legacy_through, prev_hash
        self.keyed = False  # once a keyed row is seen, no legacy row may follow
        self.legacy_rows = self.last_legacy_id = 0

    def check(self, entry: AuditEntry) -> str | None:
        """Why the row breaks the chain, or None."""
        if entry.prev_hash != self.prev:
            return "prev_hash does not match the previous row (a row was removed or inserted)"
        if same(entry.hash, entry_hash(entry, self.key)):
            self.keyed = True
        elif not self.keyed and same(entry.hash, legacy_hash(entry)):
            if self.legacy_through is not None and entry.id > self.legacy_through:
                return ("hashed without the audit key, and no checkpoint vouches for it as a row from before "
                        "the key (a rewrite; after an upgrade, run `flask audit checkpoint` once)")
            self.legacy_rows += 1
            self.last_legacy_id = entry.id
        else:
            return "content does not match its keyed hash (the row was altered, or re-hashed without the audit key)"
        self.prev = entry.hash
        return None


def verify_chain(actor: Actor, batch_size: int = 2000) -> ChainReport:
    """Re-walk the whole chain in id order with the key, and hold it against every signed
    checkpoint: each checkpoint's head row must still be there, with the hash and the row
    count it recorded. Names the first broken link; a checkpoint line whose signature fails
    is reported too."""
    _require_admin(actor)
    key = _key()
    lines = checkpoints.read_all(checkpoint_path(), key)
    valid = [line for line in lines if isinstance(line, Checkpoint)]
    latest = valid[-1] if valid else None
    report = ChainReport(
        ok=False, rows_checked=0, checkpoints=len(valid),
        checkpoint_rows=latest and latest.rows, checkpoint_head_id=latest and latest.head_id,
        checkpoint_at=latest and latest.at,
        checkpoint_errors=[line.reason for line in lines if isinstance(line, BadLine)])
    by_head: dict[int, list[Checkpoint]] = {}
    for checkpoint in valid:
        by_head.setdefault(checkpoint.head_id, []).append(checkpoint)
    heads = sorted(by_head)
    links = _Links(key, latest.legacy_through if latest else 0)

    def broken(row_id: int, reason: str) -> ChainReport:
        report.first_broken_id, report.reason, report.legacy_rows = row_id, reason, links.legacy_rows
        return report

    next_head = 0  # index into heads
    for entry in _walk(batch_size):
        report.rows_checked += 1
        if next_head < len(heads) and heads[next_head] < entry.id:
            missing = by_head[heads[next_head]][0]
            return broken(entry.id, f"row {missing.head_id}, the head of the checkpoint of {missing.at}, "
                                    "is missing: rows before this one were removed")
        if reason := links.check(entry):
            return broken(entry.id, reason)
        if next_head < len(heads) and heads[next_head] == entry.id:
            for checkpoint in by_head[entry.id]:
                if not same(checkpoint.head_hash, entry.hash) or checkpoint.rows != report.rows_checked:
                    return broken(entry.id, f"the row or the count before it does not match the checkpoint of "
                                            f"{checkpoint.at} ({checkpoint.rows} rows up to this one)")
            next_head += 1
    if next_head < len(heads):
        missing = by_head[heads[next_head]][0]
        return broken(missing.head_id, f"the chain ends after {report.rows_checked} rows, but the checkpoint of "
                                       f"{missing.at} covers {missing.rows} rows up to row {missing.head_id}: "
                                       "rows were removed from the end")
    report.legacy_rows = links.legacy_rows
    if report.checkpoint_errors:
        report.reason = report.checkpoint_errors[0]
        return report
    report.ok = True
    return report


def write_checkpoint(batch_size: int = 2000) -> Checkpoint | None:
    """Append a signed checkpoint of the chain's head to the checkpoint file, when the head
    moved since the last one (None otherwise). The rows since the last checkpoint are
    checked first, and the last checkpoint's head must still be there: a broken chain is
    never signed (CheckpointRefused). The caller ends the (read-only) transaction."""
    key, path = _key(), checkpoint_path()
    with checkpoints.locked(path) as descriptor:
        last = checkpoints.last_line(descriptor, key)
        if isinstance(last, BadLine):
            raise CheckpointRefused(f"{path}: the last line is not a checkpoint signed with the audit key")
        head = db.session.execute(
            select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
        if head is None or (last is not None and last.head_id == head.id and same(last.head_hash, head.hash)):
            return None
        if last is None:
            links, rows, after = _Links(key, None), 0, 0
        else:
            stored = db.session.scalar(select(AuditEntry.hash).where(AuditEntry.id == last.head_id))
            if stored is None or not same(stored, last.head_hash) or head.id < last.head_id:
                raise CheckpointRefused(f"row {last.head_id}, the head of the checkpoint of {last.at}, is missing "
                                        "or changed; run `flask audit verify`")
            links, rows, after = _Links(key, last.legacy_through, last.head_hash), last.rows, last.head_id
        for entry in _walk(batch_size, after=after, upto=head.id):
            rows += 1
            if reason := links.check(entry):
                raise CheckpointRefused(f"row {entry.id}: {reason}")
        checkpoint = Checkpoint(rows=rows, head_id=head.id, head_hash=head.hash,
                                legacy_through=links.last_legacy_id if last is None else last.legacy_through,
                                at=clock.now().astimezone(timezone.utc).isoformat())
        checkpoints.append(descriptor, checkpoint, key)
        return checkpoint


def list_entries(actor: Actor, *, actor_id=None, action: str | None = None, entity_type: str | None = None,
                 entity_id: str | None = None, since: datetime | None = None, until: datetime | None = None):
    """Audit rows, newest first, for an administrator."""
    _require_admin(actor)
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    filters = {
        AuditEntry.actor_id: actor_id, AuditEntry.action: action,
        AuditEntry.entity_type: entity_type, AuditEntry.entity_id: entity_id,
    }
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(AuditEntry.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEntry.occurred_at < until)
    return query

