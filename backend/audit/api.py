from __future__ import annotations

from flask.views import MethodView

from backend.audit import service
from backend.audit.schemas import AuditEntrySchema, AuditQueryArgsSchema, ChainReportSchema
from backend.auth.guard import current_actor
from backend.common.blueprint import Blueprint
from backend.common.pagination import PAGE_DEFAULTS, SelectPage

blp = Blueprint("audit", __name__, description="Append-only, hash-chained audit log (admins).")


@blp.route("/audit")
class AuditLog(MethodView):
    @blp.forbidden()
    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.paginate(SelectPage, **PAGE_DEFAULTS)
    def get(self, filters):
        """Audit rows, newest first."""
        return service.list_entries(current_actor(), **filters)


@blp.route("/audit/verify")
class AuditVerify(MethodView):
    @blp.forbidden()
    @blp.response(200, ChainReportSchema)
    def get(self):
        """Re-walk the hash chain and name the first broken link, if any."""
        return service.verify_chain(current_actor())
