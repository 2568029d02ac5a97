"""A user's own notifications: list them, mark them read. Nobody reads another's inbox."""
from __future__ import annotations

import uuid

from sqlalchemy import Select, select

from backend.common import audit_trail as audit
from backend.common import clock
from backend.common.actor import Actor
from backend.common.domain_errors import NotFound
from backend.extensions import db
from backend.notifications.models import Notification


def notifications_query(actor: Actor, *, unread: bool | None = None) -> Select:
    """The caller's notifications, newest first; `unread` true/false keeps unread/read ones."""
    query = (select(Notification).where(Notification.user_id == actor.id)
             .order_by(Notification.created_at.desc(), Notification.outbox_id.desc().nulls_last(), Notification.id))
    if unread is not None:
        query = query.where(Notification.read_at.is_(None) if unread else Notification.read_at.is_not(None))
    return query


def mark_read(actor: Actor, notification_id: uuid.UUID) -> Notification:
    """Mark one of the caller's notifications read; again is a no-op (the first time is kept).
    Another user's notification is 404, as if it did not exist."""
    notification = db.session.scalar(select(Notification).where(
        Notification.id == notification_id, Notification.user_id == actor.id).with_for_update())
    if notification is None:
        raise NotFound("No such notification.")
    if notification.read_at is None:
        notification.read_at = clock.now()
        audit.record(actor, "notification.read", "notification", notification.id,
                     after={"read_at": notification.read_at}, region_code=actor.region_code)
        db.session.flush()
    return notification
