"""Field checks and rectification orders: what phones upload and supervisors review."""
from __future__ import annotations

from flask.views import MethodView

from backend.auth.guard import current_actor
from backend.common.batch import summary
from backend.common.blueprint import Blueprint
from backend.common.pagination import PAGE_DEFAULTS, SelectPage
from backend.extensions import db
from backend.inspections import batch, checks, rectification
from backend.inspections.schemas import (
    CheckBatchResultSchema,
    CheckBatchSchema,
    CheckCreateSchema,
    CheckQueryArgsSchema,
    CheckSchema,
    RectificationOrderSchema,
    RectificationQueryArgsSchema,
)

blp = Blueprint("checks", __name__, description="Field checks from phones, and the rectification orders they issue.")


@blp.route("/checks")
class Checks(MethodView):
    @blp.arguments(CheckQueryArgsSchema, location="query")
    @blp.response(200, CheckSchema(many=True))
    @blp.paginate(SelectPage, **PAGE_DEFAULTS)
    def get(self, filters):
        """Checks in scope, newest first: by facility, inspector, task, outcome, flags, time received."""
        return checks.checks_query(current_actor(), **filters)

    @blp.arguments(CheckCreateSchema)
    @blp.response(201, CheckSchema, description="Stored now")
    @blp.alt_response(200, schema=CheckSchema, description="Stored before: the same check sent again")
    @blp.alt_response(403, description="The facility is outside your cells and the task is not yours")
    @blp.alt_response(409, description="The id is already used by a different check")
    def post(self, data):
        """Upload a check made on a phone; safe to resend (the phone's id makes it idempotent).

        A facility or task it names that does not exist is a 422 whose `errors` names the field.
        """
        submission = checks.record_check(current_actor(), data)
        db.session.commit()
        return submission.check, 201 if submission.created else 200


@blp.route("/checks:batch")
class CheckBatch(MethodView):
    @blp.arguments(CheckBatchSchema)
    @blp.response(200, CheckBatchResultSchema)
    @blp.alt_response(403, description="Only inspectors and supervisors submit checks")
    def post(self, data):
        """Upload up to 100 checks; each is stored (or refused) on its own, with its own status."""
        return summary(batch.submit_each(current_actor(), data["checks"]))


@blp.route("/checks/<uuid:check_id>")
class CheckById(MethodView):
    @blp.response(200, CheckSchema)
    def get(self, check_id):
        """One check."""
        return checks.get_check(current_actor(), check_id)


@blp.route("/rectification-orders")
class RectificationOrders(MethodView):
    @blp.arguments(RectificationQueryArgsSchema, location="query")
    @blp.response(200, RectificationOrderSchema(many=True))
    @blp.paginate(SelectPage, **PAGE_DEFAULTS)
    def get(self, filters):
        """Rectification orders (责令整改) in scope, earliest deadline first; `overdue=true` for late ones."""
        return rectification.orders_query(current_actor(), **filters)


@blp.route("/rectification-orders/<uuid:order_id>")
class RectificationOrderById(MethodView):
    @blp.response(200, RectificationOrderSchema)
    def get(self, order_id):
        """One rectification order."""
        return rectification.get_order(current_actor(), order_id)
