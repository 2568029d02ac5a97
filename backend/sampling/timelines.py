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
from sqlalchemy import and_, exists, or_

from backend.calendar.service import add_working_days
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
