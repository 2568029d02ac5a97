"""GET /sync: the phone's delta feed."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from backend.auth.guard import current_actor
from backend.common.blueprint import Blueprint
from backend.sync import cursor, service
from backend.sync.schemas import SyncArgsSchema, SyncPageSchema

blp = Blueprint("sync", __name__, description="What changed for an inspector's phone since its last sync.")


@blp.route("/sync")
class Sync(MethodView):
    @blp.forbidden()
    @blp.arguments(SyncArgsSchema, location="query")
    @blp.response(200, SyncPageSchema)
    def get(self, args):
        """Changes since `cursor` (all of the inspector's data without one), paged by `has_more`."""
        limit = args.get("limit") or current_app.config["SYNC_PAGE_SIZE"]
        return service.sync(current_actor(), cursor.decode(args.get("cursor")), limit)
