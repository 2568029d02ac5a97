"""Audit rules: every write appends one row in the same transaction, chained by hash.

Services call `record()`; rows are buffered on the session and written just before
commit under a transaction-scoped advisory lock, so concurrent writers chain in one
order while holding the lock only for the moment of commit.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from backend.audit.chain import GENESIS_HASH, entry_hash, json_safe
from backend.audit.models import AuditEntry
from backend.auth.actor import Actor
from backend.common import clock
from backend.common.domain_errors import Forbidden
from backend.common.request_context import current_request_id
from backend.extensions import db

_PENDING = "foodgrid_audit_pending"
# Any constant shared by all writers; "FGAUDIT" in ASCII.
_CHAIN_LOCK_KEY = 0x4647415544495400


def record(actor: Actor, action: str, entity_type: str, entity_id=None, *,
           before: dict | None = None, after: dict | None = None,
           region_code: str | None = None, session: Session | None = None) -> None:
    """Queue one audit row for the current transaction."""
    session = session or db.session()
    # Begin the transaction now, so that its rollback (which drops the queue) is seen.
    session.connection()
    session.info.setdefault(_PENDING, []).append(AuditEntry(
        occurred_at=clock.now(),
        actor_id=actor.id,
        actor_username=actor.username,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        region_code=region_code,
        before=json_safe(before),
        after=json_safe(after),
        request_id=current_request_id(),
    ))


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    prev_hash = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    prev_hash = prev_hash or GENESIS_HASH
    for entry in pending:
        entry.prev_hash = prev_hash
        entry.hash = prev_hash = entry_hash(entry)
        session.add(entry)
    session.flush()


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction) -> None:
    # Rows queued by a transaction that rolled back (or was closed) must not leak into the next.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


@dataclass
class ChainReport:
    ok: bool
    rows_checked: int
    first_broken_id: int | None = None
    reason: str | None = None


def _require_admin(actor: Actor) -> None:
    if actor.role not in ("admin", "system"):
        raise Forbidden("Only administrators may read the audit log.")


def _walk(batch_size: int) -> Iterator[AuditEntry]:
    last_id = 0
    while True:
        rows = db.session.scalars(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch_size)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        for row in rows:  # keep memory flat on long chains
            db.session.expunge(row)


def verify_chain(actor: Actor, batch_size: int = 2000) -> ChainReport:
    """Re-walk the whole chain in id order; name the first row whose link or hash is wrong."""
    _require_admin(actor)
    expected_prev = GENESIS_HASH
    checked = 0
    for entry in _walk(batch_size):
        checked += 1
        if entry.prev_hash != expected_prev:
            return ChainReport(False, checked, entry.id,
                               "prev_hash does not match the previous row (a row was removed or inserted)")
        if entry_hash(entry) != entry.hash:
            return ChainReport(False, checked, entry.id, "content does not match its hash (the row was altered)")
        expected_prev = entry.hash
    return ChainReport(True, checked)


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

