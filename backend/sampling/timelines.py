"""Sampling timelines (DESIGN.md §6, 食品安全抽样检验管理办法; 食品安全法 art. 88).

A lab sample reaches the lab within SAMPLE_DELIVERY_WORKING_DAYS (5) working days of
sampling, and the lab reports within SAMPLE_REPORT_WORKING_DAYS (20) of receiving it; the
regulator answers a re-test request within RETEST_DECISION_WORKING_DAYS (5). Each deadline
is stored when its clock starts (sampling, receipt, request), counted as
`backend.calendar.service` counts ("within N": the deadline itself is still on time).
A sample is overdue while it waits at a stage past that stage's deadline; the worker
escalates each stage once.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import and_, exists, or_, select, update

from backend.calendar.service import add_working_days
from backend.common import audit_trail as audit
from backend.common import clock
from backend.common.actor import Actor
from backend.common.outbox import emit
from backend.extensions import db
from backend.sampling.models import RetestRequest, Sample

STAGES = ("delivery", "report", "retest_decision")


def delivery_deadline(sampled_at: datetime) -> datetime:
    return add_working_days(sampled_at, current_app.config["SAMPLE_DELIVERY_WORKING_DAYS"])


def report_deadline(received_at: datetime) -> datetime:
    return add_working_days(received_at, current_app.config["SAMPLE_REPORT_WORKING_DAYS"])


def decision_deadline(requested_at: datetime) -> datetime:
    return add_working_days(requested_at, current_app.config["RETEST_DECISION_WORKING_DAYS"])


def late_delivery(at: datetime):
    return and_(Sample.method == "lab", Sample.status == "collected", Sample.lab_due_at < at)


def late_report(at: datetime):
    return and_(Sample.status == "in_lab", Sample.report_due_at < at)


def late_decision(at: datetime):
    return and_(RetestRequest.status == "requested", RetestRequest.decide_by < at)


def overdue_condition(at: datetime):
    """Not in the lab, not reported, or its re-test request not answered, by the deadline."""
    undecided = exists().where(RetestRequest.sample_id == Sample.id, late_decision(at))
    return or_(late_delivery(at), late_report(at), and_(Sample.status == "retest_requested", undecided))


def escalate_overdue_samples(limit: int) -> int:
    """Sampling timelines (食品安全抽样检验管理办法; DESIGN.md §6): a lab sample not in the lab
    by `lab_due_at`, not reported by `report_due_at`, a re-test request not answered by
    `decide_by`. Each stage of a sample is escalated once (its own `*_escalated_at`)."""
    moment = clock.now()
    stages = (
        ("delivery", Sample, late_delivery(moment), Sample.delivery_escalated_at, Sample.lab_due_at),
        ("report", Sample, late_report(moment), Sample.report_escalated_at, Sample.report_due_at),
        ("retest_decision", RetestRequest, late_decision(moment), RetestRequest.escalated_at,
         RetestRequest.decide_by),
    )
    total = 0
    for stage, table, late, escalated, deadline in stages:
        if total >= limit:
            break
        due = (select(table.id).where(late, escalated.is_(None)).order_by(deadline)
               .limit(limit - total).with_for_update(skip_locked=True))
        update_ = update(table).where(table.id.in_(due)).values({escalated.key: moment})
        if table is RetestRequest:
            update_ = update_.where(RetestRequest.sample_id == Sample.id)
        rows = db.session.execute(
            update_.returning(Sample.id, Sample.sample_no, Sample.region_code, Sample.facility_id,
                              Sample.product_name, deadline.label("deadline"))
            .execution_options(synchronize_session=False)).all()
        for row in rows:
            emit("sample.overdue", {"sample_id": row.id, "sample_no": row.sample_no, "stage": stage,
                                    "deadline": row.deadline, "region_code": row.region_code,
                                    "facility_id": row.facility_id, "product_name": row.product_name})
            audit.record(Actor.system(), "sample.escalate", "sample", row.id,
                         after={"escalated_at": moment, "stage": stage}, region_code=row.region_code)
        total += len(rows)
    return total
