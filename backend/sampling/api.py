"""Samples, lab results, verdicts, re-tests, the limits table and the pass rate."""
from __future__ import annotations

from flask.views import MethodView

from backend.auth.guard import current_actor
from backend.common.blueprint import Blueprint
from backend.common.pagination import PAGE_DEFAULTS, SelectPage
from backend.extensions import db
from backend.sampling import limits, passrate, results, retests, samples
from backend.sampling.schemas import (
    AmendSchema,
    LimitQueryArgsSchema,
    LimitSchema,
    LinkLotSchema,
    NotifySchema,
    PassRateArgsSchema,
    PassRateSchema,
    ReceiveSchema,
    ResultsSchema,
    RetestDecisionSchema,
    RetestRequestSchema,
    SampleCreateSchema,
    SampleQueryArgsSchema,
    SampleSchema,
    VerdictSchema,
)

blp = Blueprint("sampling", __name__, description="Samples (抽样), lab results, verdicts, re-tests (复检), limits.")


@blp.route("/samples")
class Samples(MethodView):
    @blp.arguments(SampleQueryArgsSchema, location="query")
    @blp.response(200, SampleSchema(many=True))
    @blp.paginate(SelectPage, **PAGE_DEFAULTS)
    def get(self, filters):
        """Samples in scope, newest first."""
        return samples.samples_query(current_actor(), **filters)

    @blp.forbidden()
    @blp.arguments(SampleCreateSchema)
    @blp.response(201, SampleSchema, description="Stored now")
    @blp.alt_response(200, schema=SampleSchema, description="Stored before: the same sample sent again")
    @blp.alt_response(409, description="The id is already used for a different sample (`sample_id_reused`), or "
                                       "the seal number is on another sample (`duplicate_sample_no`)")
    def post(self, data):
        """Record a sample taken in the field (a rapid test with its readings, or a lab sample).

        Safe to resend, even concurrently: every resend of the same body answers the one stored
        sample. A check, facility, task or lot it names that does not exist is a 422 whose
        `errors` names the field.
        """
        sample, created = samples.record_sample(current_actor(), data)
        db.session.commit()
        return sample, 201 if created else 200


@blp.route("/samples/<uuid:sample_id>")
class SampleById(MethodView):
    @blp.response(200, SampleSchema)
    def get(self, sample_id):
        """One sample with its results (amended rows included, marked superseded)."""
        return samples.get_sample(current_actor(), sample_id)


def _sample_action(name: str, path: str, schema, doc: str, call):
    """A POST action on one sample, run with the sample row locked."""
    @blp.route(f"/samples/<uuid:sample_id>/{path}", endpoint=name)
    class Action(MethodView):
        @blp.forbidden()
        @blp.doc(summary=doc)
        @blp.arguments(schema)
        @blp.response(200, SampleSchema)
        def post(self, data, sample_id):
            actor = current_actor()
            sample = call(actor, samples.get_sample(actor, sample_id, lock=True), data)
            db.session.commit()
            return sample

    return Action


_sample_action("receive", "receive", ReceiveSchema, "The lab signs for the sample: collected → in_lab.",
               lambda actor, sample, data: samples.receive_in_lab(actor, sample, data["lab_name"]))
_sample_action("results", "results", ResultsSchema,
               "Lab results per analyte; the server converts units and judges each against the limit in force.",
               lambda actor, sample, data: results.enter_results(actor, sample, data["results"]))
_sample_action("verdict", "verdict", VerdictSchema,
               "Issue the sample's verdict (unqualified escalates at once); issuing it again changes nothing.",
               lambda actor, sample, data: results.issue_verdict(actor, sample))
_sample_action("retest_results", "retest-results", ResultsSchema,
               "The accepted re-test lab's results (复检): judged like the first, their verdict replaces the "
               "first one and the sample becomes `retested`.",
               lambda actor, sample, data: results.enter_retest_results(actor, sample, data["results"]))
_sample_action("link_lot", "lot", LinkLotSchema, "Link the traceability lot once it is known.",
               lambda actor, sample, data: samples.link_lot(actor, sample, data["lot_id"]))
_sample_action("notify", "notify", NotifySchema, "Record when the business was told the result.",
               lambda actor, sample, data: retests.notify(actor, sample, data.get("notified_at")))


@blp.route("/samples/<uuid:sample_id>/results/<uuid:result_id>/amend")
class ResultAmendment(MethodView):
    @blp.forbidden()
    @blp.arguments(AmendSchema)
    @blp.response(200, SampleSchema)
    def post(self, data, sample_id, result_id):
        """Correct a result: the old row is kept, superseded, and the verdict re-judged."""
        actor = current_actor()
        reason = data.pop("reason")
        sample = results.amend_result(actor, samples.get_sample(actor, sample_id, lock=True), result_id, data,
                                      reason)
        db.session.commit()
        return sample


@blp.route("/samples/<uuid:sample_id>/retest-request")
class RetestRequests(MethodView):
    @blp.forbidden()
    @blp.arguments(RetestRequestSchema)
    @blp.response(201, RetestRequestSchema)
    @blp.alt_response(422, description="Outside the window, or a rapid method for a rapid test's re-test")
    def post(self, data, sample_id):
        """The business asks for a re-test (7 working days after a lab result, 4 hours after a rapid one)."""
        actor = current_actor()
        request = retests.request_retest(actor, samples.get_sample(actor, sample_id, lock=True), **data)
        db.session.commit()
        return request


@blp.route("/samples/<uuid:sample_id>/retest-request/decision")
class RetestDecision(MethodView):
    @blp.forbidden()
    @blp.arguments(RetestDecisionSchema)
    @blp.response(200, RetestRequestSchema)
    def post(self, data, sample_id):
        """A supervisor accepts (naming a different lab) or refuses the re-test request."""
        actor = current_actor()
        request = retests.decide_retest(actor, samples.get_sample(actor, sample_id, lock=True), **data)
        db.session.commit()
        return request


@blp.route("/limits")
class Limits(MethodView):
    @blp.arguments(LimitQueryArgsSchema, location="query")
    @blp.response(200, LimitSchema(many=True))
    @blp.paginate(SelectPage, **PAGE_DEFAULTS)
    def get(self, filters):
        """The limits table with its history; `on=` gives the limits in force that day."""
        return limits.limits_query(current_actor(), **filters)

    @blp.forbidden()
    @blp.arguments(LimitSchema)
    @blp.response(201, LimitSchema)
    def post(self, data):
        """A new limit (administrators); it closes the one in force for the same analyte and category."""
        limit = limits.create_limit(current_actor(), **data)
        db.session.commit()
        return limit


@blp.route("/reports/pass-rate")
class PassRate(MethodView):
    @blp.forbidden()
    @blp.arguments(PassRateArgsSchema, location="query")
    @blp.response(200, PassRateSchema(many=True))
    def get(self, args):
        """合格率: qualified ÷ judged lab samples by region, facility kind, food category or month."""
        return passrate.pass_rate(current_actor(), **args)
