"""Failed-login lockout, counted atomically per username whether or not it exists.

Each login first claims an attempt slot with one INSERT … ON CONFLICT DO UPDATE …
RETURNING, committed before the password is checked. Slots 1..max are checked; the
max-th claim also starts the lockout, so every later claim is refused until the
lockout ends or a checked password turns out right. However many guesses arrive at
once, at most `max_attempts` of them reach Argon2 (DESIGN.md §2). The users table and
its optimistic lock are never touched here, so a login cannot lose an update or 412.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, text

from backend.auth.models import LoginAttempt
from backend.extensions import db

_CLAIM = text("""
INSERT INTO login_attempts AS a (username, attempts, locked_until, updated_at)
VALUES (:username, 1, CASE WHEN :max_attempts <= 1 THEN CAST(:lock_end AS timestamptz) END, :now)
ON CONFLICT (username) DO UPDATE SET
    attempts = CASE WHEN a.locked_until <= :now THEN 1 ELSE a.attempts + 1 END,
    locked_until = CASE
        WHEN a.locked_until <= :now THEN (CASE WHEN :max_attempts <= 1 THEN CAST(:lock_end AS timestamptz) END)
        WHEN a.locked_until IS NULL AND a.attempts + 1 >= :max_attempts THEN CAST(:lock_end AS timestamptz)
        ELSE a.locked_until
    END,
    updated_at = :now
RETURNING attempts, locked_until
""")


@dataclass(frozen=True)
class Claim:
    username: str
    attempt: int  # 1 for the first attempt since the last success or lockout
    locked_until: datetime | None
    max_attempts: int

    @property
    def allowed(self) -> bool:
        return self.attempt <= self.max_attempts

    @property
    def is_last(self) -> bool:
        """This attempt, if wrong, is the one that locks the name."""
        return self.attempt == self.max_attempts


def normalise_username(raw: str) -> str:
    """The key of a login name: trimmed, lower case, and storable in PostgreSQL (lone
    surrogates and NUL, which no real username has, become U+FFFD)."""
    name = raw.strip().lower().replace("\x00", "\ufffd")
    return name.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def claim_attempt(username: str, *, now: datetime, max_attempts: int, lockout: timedelta) -> Claim:
    row = db.session.execute(_CLAIM, {
        "username": username, "now": now, "max_attempts": max_attempts, "lock_end": now + lockout,
    }).one()
    return Claim(username, row.attempts, row.locked_until, max_attempts)


def clear_attempts(username: str) -> None:
    """A right password (or an administrator's reactivation): the name starts afresh."""
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.username == username))
