"""Recalls: cases, transitions, progress by facility; public notices without login."""
from __future__ import annotations

from flask.views import MethodView

from backend.auth.guard import current_actor, public
from backend.common.blueprint import Blueprint
from backend.common.pagination import PAGE_DEFAULTS, SelectPage
from backend.extensions import db, limiter
from backend.recalls import progress, service, views
from backend.recalls.schemas import (
    ProgressSchema,
    PublicRecallSchema,
    RecallCreateSchema,
    RecallDetailSchema,
    RecallFacilitySchema,
    RecallQueryArgsSchema,
    RecallSchema,
    TransitionSchema,
    WaiveSchema,
)

blp = Blueprint("recalls", __name__, description="Recalls (召回): from a failed sample to every shelf, on the grid.")


def _detail(recall):
    recall.summary = views.summary(recall)  # read by RecallDetailSchema (attribute="summary.…")
    return recall


@blp.route("/recalls")
class Recalls(MethodView):
    @blp.arguments(RecallQueryArgsSchema, location="query")
    @blp.response(200, RecallSchema(many=True))
    @blp.paginate(SelectPage, **PAGE_DEFAULTS)
    def get(self, filters):
        """Recalls in scope, newest first; `overdue=true` for late ones."""
        return views.recalls_query(current_actor(), **filters)

    @blp.forbidden()
    @blp.arguments(RecallCreateSchema)
    @blp.response(201, RecallSchema)
    def post(self, data):
        """Propose a recall of a producer's lots (a failed sample proposes one by itself)."""
        recall = service.create_recall(current_actor(), **data)
        db.session.commit()
        return recall


@blp.route("/recalls/<uuid:recall_id>")
class RecallById(MethodView):
    @blp.response(200, RecallDetailSchema)
    def get(self, recall_id):
        """One recall with its scope, progress, effectiveness, deadlines and history."""
        return _detail(service.get_recall(current_actor(), recall_id))


@blp.route("/recalls/<uuid:recall_id>/transitions")
class RecallTransitions(MethodView):
    @blp.arguments(TransitionSchema)
    @blp.response(200, RecallDetailSchema)
    @blp.alt_response(409, description="Not allowed in this state or for this role: `allowed` lists what is")
    def post(self, data, recall_id):
        """An action of the state machine: initiate, reject, start, complete, close, cancel; also
        change_level (deadlines recomputed) and refresh_scope (new trace events)."""
        actor = current_actor()
        recall = service.get_recall(actor, recall_id, lock=True)
        action = data.pop("action")
        if action == "change_level":
            service.change_level(actor, recall, data["level"], data.get("note") or "")
        elif action == "refresh_scope":
            service.refresh_scope(actor, recall)
        else:
            service.transition(actor, recall, action, **data)
        db.session.commit()
        return _detail(recall)


@blp.route("/recalls/<uuid:recall_id>/progress")
class RecallProgress(MethodView):
    @blp.forbidden()
    @blp.arguments(ProgressSchema)
    @blp.response(200, RecallFacilitySchema)
    def post(self, data, recall_id):
        """The producer reports quantities recovered and destroyed at one facility (totals so far)."""
        actor = current_actor()
        row = progress.report_progress(actor, service.get_recall(actor, recall_id, lock=True), **data)
        db.session.commit()
        return row


@blp.route("/recalls/<uuid:recall_id>/verifications")
class RecallVerifications(MethodView):
    @blp.arguments(ProgressSchema)
    @blp.response(200, RecallFacilitySchema)
    def post(self, data, recall_id):
        """The inspector verified one facility on site: quantities confirmed, task done."""
        actor = current_actor()
        row = progress.verify_facility(actor, service.get_recall(actor, recall_id, lock=True), **data)
        db.session.commit()
        return row


@blp.route("/recalls/<uuid:recall_id>/waivers")
class RecallWaivers(MethodView):
    @blp.forbidden()
    @blp.arguments(WaiveSchema)
    @blp.response(200, RecallFacilitySchema)
    def post(self, data, recall_id):
        """A supervisor waives one facility's verification, with the reason."""
        actor = current_actor()
        row = progress.waive_facility(actor, service.get_recall(actor, recall_id, lock=True), data["facility_id"],
                                      data["reason"])
        db.session.commit()
        return row


@blp.route("/public/recalls")
class PublicRecalls(MethodView):
    decorators = [limiter.limit("120 per minute")]

    @public
    @blp.doc(security=[])
    @blp.response(200, PublicRecallSchema(many=True))
    @blp.problem_response(429, "More than 120 requests a minute from this address")
    @blp.paginate(SelectPage, **PAGE_DEFAULTS)
    def get(self):
        """Recall notices for the public and the media (no login, no personal data)."""
        return views.public_recalls()
