from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, LargeBinary, String, Text, Uuid, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from backend.common.clock import now
from backend.extensions import db

ROLES = ("admin", "supervisor", "inspector", "lab", "enterprise")


class LoginAttempt(db.Model):
    """Login attempts per normalised username, whether or not such a user exists, so a
    lockout reveals nothing (DESIGN.md §2). Written only by single atomic statements
    (backend/auth/lockout.py), never through an ORM entity, so no update is lost."""

    __tablename__ = "login_attempts"

    username: Mapped[str] = mapped_column(Text, primary_key=True)
    # Attempts claimed since the last success or the end of the last lockout.
    attempts: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class User(db.Model):
    """A staff or enterprise account. Never deleted (the audit log names it); deactivated."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'supervisor', 'inspector', 'lab', 'enterprise')", name="role"),
        CheckConstraint("username = lower(username)", name="username_lowercase"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    # An enterprise user acts for this facility only.
    facility_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("facilities.id"))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, onupdate=now)
    # Optimistic locking: the ETag of a user, and a guard against lost updates.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    # Read-only: the lockout lives in login_attempts, shared with unknown usernames.
    locked_until: Mapped[datetime | None] = column_property(
        select(LoginAttempt.locked_until).where(LoginAttempt.username == username).scalar_subquery()
    )


class TokenFamily(db.Model):
    """One login session: the chain of refresh tokens rotated from one login."""

    __tablename__ = "token_families"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(32))

    user: Mapped[User] = relationship()


class RefreshToken(db.Model):
    """A refresh token, stored only as its SHA-256 hash; valid once (rotation)."""

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    family_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("token_families.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The token issued in exchange, encrypted with a key derived from this token (tokens.seal):
    # lets a retry within the reuse window get the same answer, unreadable without this token.
    successor_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)

    family: Mapped[TokenFamily] = relationship()
