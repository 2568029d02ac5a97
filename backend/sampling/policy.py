"""Who may see and do what with samples, re-tests, limits and pass-rate reports (DESIGN.md §6).

Samples follow the facility-scope ladder (`facilities.policy.facility_scoped`): an
inspector sees the samples it took and those of its cells, staff their region, a
business the samples taken at its facility. Every write on a sample is also bounded by
the sample's region (`Actor.covers_region`).
"""
from __future__ import annotations

from sqlalchemy import Select

from backend.common.actor import Actor
from backend.facilities.policy import facility_scoped
from backend.sampling.models import Sample


def visible_samples(actor: Actor, query: Select) -> Select:
    return facility_scoped(actor, query, facility_id=Sample.facility_id, region_code=Sample.region_code,
                           cell_id=Sample.cell_id, own=Sample.collected_by)


def may_enter_results(actor: Actor, sample: Sample) -> bool:
    """Lab results are entered by a lab serving the sample's region."""
    return actor.role == "lab" and actor.covers_region(sample.region_code)


def may_link_lot(actor: Actor, sample: Sample) -> bool:
    """Supervision staff of the sample's region (not labs) link its lot."""
    return actor.has_role("admin", "supervisor", "inspector") and actor.covers_region(sample.region_code)


def may_record_notification(actor: Actor, sample: Sample) -> bool:
    """Any supervision staff of the sample's region record when the business was told."""
    return actor.is_staff and actor.covers_region(sample.region_code)


def may_request_retest(actor: Actor) -> bool:
    """The business (or a supervisor on its behalf) requests a re-test."""
    return actor.has_role("enterprise", "supervisor", "admin")


def may_decide_retest(actor: Actor, sample: Sample) -> bool:
    """Supervisors of the sample's region decide re-test requests."""
    return actor.has_role("supervisor", "admin") and actor.covers_region(sample.region_code)


def may_maintain_limits(actor: Actor) -> bool:
    return actor.is_admin


def may_read_reports(actor: Actor) -> bool:
    """Pass-rate reports are for supervision staff."""
    return actor.is_staff
