"""Notification of results and re-test requests (复检, Food Safety Law art. 88).

The business may ask for a re-test within 7 working days of being notified of a lab
result, and within 4 hours of a rapid-test result (rapid results are notified on the
spot); the re-test of a rapid test may not use a rapid method; one re-test per sample.
The regulator accepts (naming a different lab) or refuses the request within 5 working
days (`timelines`); the re-test lab's results then give the verdict that stands
(`results.enter_retest_results`).
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from backend.calendar.service import add_hours, add_working_days
from backend.common import audit_trail as audit
from backend.common import clock
from backend.common.actor import Actor
from backend.common.domain_errors import Conflict, Forbidden, RuleViolation
from backend.extensions import db
from backend.sampling import timelines
from backend.sampling.models import RetestRequest, Sample
from backend.sampling.policy import may_decide_retest, may_record_notification, may_request_retest


def notify(actor: Actor, sample: Sample, notified_at: datetime | None = None) -> Sample:
    """Record when the business was told the result: its re-test window starts then.

    The time given must lie between the verdict and now: the business cannot have been
    told a result before there was one, and a time in the future would let staff move the
    7-working-day window (食品安全法 art. 88) at will. Recorded once; repeating changes nothing."""
    if not may_record_notification(actor, sample):
        raise Forbidden("Supervision staff of the sample's region record notifications.")
    if sample.verdict_at is None:
        raise Conflict("There is no result to notify yet.", code="no_verdict")
    if sample.notified_at is None:
        now = clock.now()
        notified_at = notified_at or now
        if not sample.verdict_at <= notified_at <= now:
            raise RuleViolation(f"The notification time must lie between the verdict ({sample.verdict_at.isoformat()})"
                                " and now.", code="notified_at_out_of_range", field="notified_at",
                                verdict_at=sample.verdict_at.isoformat())
        sample.notified_at = notified_at
        audit.record(actor, "sample.notify", "sample", sample.id, region_code=sample.region_code,
                     after={"notified_at": sample.notified_at})
        db.session.flush()
    return sample


def retest_window_end(sample: Sample) -> datetime:
    if sample.method == "rapid":
        return add_hours(sample.notified_at, current_app.config["RETEST_RAPID_HOURS"])
    return add_working_days(sample.notified_at, current_app.config["RETEST_WORKING_DAYS"])


def request_retest(actor: Actor, sample: Sample, *, method: str, reason: str) -> RetestRequest:
    if not may_request_retest(actor):
        raise Forbidden("The business (or a supervisor on its behalf) requests a re-test.")
    if sample.status != "unqualified" or sample.notified_at is None:
        raise Conflict("Only an unqualified result the business was notified of can be re-tested.",
                       code="not_retestable")
    if sample.method == "rapid" and method == "rapid":
        raise RuleViolation("The re-test of a rapid test may not use a rapid method.", code="rapid_retest",
                            field="method")
    window_end = retest_window_end(sample)
    now = clock.now()
    if now > window_end:
        raise RuleViolation(f"The re-test window closed at {window_end.isoformat()}.", code="retest_window_closed",
                            window_ends_at=window_end.isoformat())
    if request_of(sample) is not None:
        raise Conflict("A re-test was already requested for this sample.", code="retest_exists")
    request = RetestRequest(sample_id=sample.id, method=method, reason=reason, requested_by=actor.id,
                            requested_at=now, window_ends_at=window_end, decide_by=timelines.decision_deadline(now))
    db.session.add(request)
    sample.status = "retest_requested"
    db.session.flush()
    audit.record(actor, "sample.retest_request", "sample", sample.id, region_code=sample.region_code,
                 after={"method": method, "reason": reason, "window_ends_at": window_end})
    return request


def request_of(sample: Sample) -> RetestRequest | None:
    return db.session.scalar(select(RetestRequest).where(RetestRequest.sample_id == sample.id))


def decide_retest(actor: Actor, sample: Sample, *, accept: bool, lab_name: str | None = None) -> RetestRequest:
    """A supervisor accepts (the re-test lab must differ from the first) or refuses."""
    if not may_decide_retest(actor, sample):
        raise Forbidden("Supervisors of the sample's region decide re-test requests.")
    request = request_of(sample)
    if request is None:
        raise Conflict("No re-test was requested for this sample.", code="no_retest_request")
    if request.status != "requested":
        raise Conflict(f"The request was already {request.status}.", code="retest_decided")
    if accept and (not lab_name or lab_name == sample.lab_name):
        raise RuleViolation("The re-test lab must be named and differ from the first lab.", code="same_lab",
                            field="lab_name")
    request.status, request.lab_name = ("accepted", lab_name) if accept else ("refused", None)
    request.decided_at = clock.now()
    if not accept:
        sample.status = "unqualified"
    db.session.flush()
    audit.record(actor, "sample.retest_decision", "sample", sample.id, region_code=sample.region_code,
                 after={"status": request.status, "lab_name": lab_name})
    return request
