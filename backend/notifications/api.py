"""The caller's own in-app notifications (delivered by `flask worker`)."""
from __future__ import annotations

from flask.views import MethodView

from backend.auth.guard import current_actor
from backend.common.blueprint import Blueprint
from backend.common.pagination import PAGE_DEFAULTS, SelectPage
from backend.extensions import db
from backend.notifications import service
from backend.notifications.schemas import NotificationQueryArgsSchema, NotificationSchema

blp = Blueprint("notifications", __name__, description="In-app notifications of the signed-in user.")


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.arguments(NotificationQueryArgsSchema, location="query")
    @blp.response(200, NotificationSchema(many=True))
    @blp.paginate(SelectPage, **PAGE_DEFAULTS)
    def get(self, filters):
        """The caller's notifications, newest first."""
        return service.notifications_query(current_actor(), **filters)


@blp.route("/notifications/<uuid:notification_id>/read")
class NotificationRead(MethodView):
    @blp.response(200, NotificationSchema)
    @blp.alt_response(404, description="No such notification of the caller's")
    def post(self, notification_id):
        """Mark a notification read (again: no change)."""
        notification = service.mark_read(current_actor(), notification_id)
        db.session.commit()
        return notification
