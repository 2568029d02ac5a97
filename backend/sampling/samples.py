"""Samples taken in the field (DESIGN.md §6), idempotent on the phone's id like checks.

A rapid test (快检) is judged on the spot from the kit's readings and the business is told
there and then; a lab sample waits for the lab (`collected → in_lab`). The lot may be
unknown when sampling: the label's lot code and producer are kept so it can be linked later.
"""
from __future__ import annotations

import uuid

from sqlalchemy import Select, or_, select

from backend.audit import service as audit
from backend.auth.actor import Actor
from backend.common import clock
from backend.common.digest import content_sha256
from backend.common.domain_errors import Conflict, Forbidden, NotFound, RuleViolation
from backend.extensions import db
from backend.facilities.models import Facility
from backend.inspections.checks import require_checker, require_checker_of, task_for
from backend.regions.cells import current_cell_ids
from backend.regions.codes import scope_prefix
from backend.sampling import timelines
from backend.sampling.models import Sample
from backend.traceability.models import Lot


def record_sample(actor: Actor, data: dict) -> tuple[Sample, bool]:
    """Store a sample once per phone id; (sample, created)."""
    digest = content_sha256(data)
    stored = db.session.get(Sample, data["id"])
    if stored is not None:
        if stored.collected_by != actor.id or stored.body_sha256 != digest:
            raise Conflict("This sample id is already used for another sample; the phone must make a new id.",
                           code="sample_id_reused")
        return stored, False
    require_checker(actor)
    facility = db.session.get(Facility, data["facility_id"])
    if facility is None:
        raise RuleViolation("No such facility.", code="unknown_facility", field="facility_id")
    task = task_for(data.get("task_id"), facility)
    require_checker_of(actor, facility, task)
    if db.session.scalar(select(Sample.id).where(Sample.sample_no == data["sample_no"])):
        raise Conflict(f"Seal number {data['sample_no']} is already on another sample.", code="duplicate_sample_no",
                       field="sample_no")
    if data.get("lot_id") and db.session.get(Lot, data["lot_id"]) is None:
        raise RuleViolation("No such lot.", code="unknown_lot", field="lot_id")
    sample = Sample(**data, region_code=facility.region_code, cell_id=facility.cell_id, collected_by=actor.id,
                    body_sha256=digest)
    if sample.method == "rapid":
        # Judged on the spot; the business learns it there, which opens its 4-hour re-test window.
        positive = any(reading["result"] == "positive" for reading in data["rapid_results"])
        sample.status = "unqualified" if positive else "qualified"
        sample.verdict_at = sample.notified_at = data["sampled_at"]
    else:
        sample.lab_due_at = timelines.delivery_deadline(sample.sampled_at)
    db.session.add(sample)
    db.session.flush()
    audit.record(actor, "sample.create", "sample", sample.id, region_code=sample.region_code,
                 after={"sample_no": sample.sample_no, "facility_id": facility.id, "method": sample.method,
                        "status": sample.status})
    return sample, True


def visible_samples(actor: Actor, query: Select) -> Select:
    """Inspectors: the samples they took and those of their cells; staff their region; a
    business the samples taken at its facility."""
    if actor.role == "admin" or actor.is_system:
        return query
    if actor.role == "inspector":
        return query.where(or_(Sample.collected_by == actor.id, Sample.cell_id.in_(current_cell_ids(actor.id))))
    if actor.role == "enterprise":
        from backend.facilities.service import visible_facilities
        return query.where(Sample.facility_id.in_(visible_facilities(actor, select(Facility.id))))
    return query.where(Sample.region_code.startswith(scope_prefix(actor.region_code)))


def samples_query(actor: Actor, *, status: str | None = None, method: str | None = None, facility_id=None,
                  region_code: str | None = None, lot_id=None, overdue: bool | None = None) -> Select:
    """`overdue`: past a timeline's deadline at its current stage (see `timelines`)."""
    query = visible_samples(actor, select(Sample)).order_by(Sample.sampled_at.desc(), Sample.id)
    if overdue is not None:
        late = timelines.overdue_condition(clock.now())
        query = query.where(late if overdue else ~late)
    for column, value in ((Sample.status, status), (Sample.method, method), (Sample.facility_id, facility_id),
                          (Sample.lot_id, lot_id)):
        if value is not None:
            query = query.where(column == value)
    if region_code:
        query = query.where(Sample.region_code.startswith(scope_prefix(region_code)))
    return query


def get_sample(actor: Actor, sample_id: uuid.UUID, *, lock: bool = False) -> Sample:
    query = visible_samples(actor, select(Sample).where(Sample.id == sample_id))
    sample = db.session.scalar(query.with_for_update(of=Sample) if lock else query)
    if sample is None:
        raise NotFound("No such sample.")
    if lock:
        db.session.refresh(sample)  # the row as the lock holder left it
    return sample


def require_lab_of(actor: Actor, sample: Sample) -> None:
    if actor.role != "lab" or not actor.covers_region(sample.region_code):
        raise Forbidden("Lab results are entered by a lab serving the sample's region.", code="not_the_lab")


def receive_in_lab(actor: Actor, sample: Sample, lab_name: str) -> Sample:
    """The lab signs for the sample: collected → in_lab (a repeat is harmless)."""
    require_lab_of(actor, sample)
    if sample.status == "in_lab":
        return sample
    if sample.method != "lab" or sample.status != "collected":
        raise Conflict(f"A {sample.method} sample that is {sample.status} cannot be received by a lab.",
                       code="illegal_transition")
    sample.status, sample.received_in_lab_at, sample.lab_name = "in_lab", clock.now(), lab_name
    sample.report_due_at = timelines.report_deadline(sample.received_in_lab_at)
    audit.record(actor, "sample.receive", "sample", sample.id, region_code=sample.region_code,
                 after={"status": "in_lab", "lab_name": lab_name})
    db.session.flush()
    return sample


def link_lot(actor: Actor, sample: Sample, lot_id: uuid.UUID) -> Sample:
    """The lot becomes known after sampling (from the label's code and producer)."""
    if actor.role not in ("admin", "supervisor", "inspector") or not actor.covers_region(sample.region_code):
        raise Forbidden("Supervision staff of the sample's region link its lot.")
    if db.session.get(Lot, lot_id) is None:
        raise RuleViolation("No such lot.", code="unknown_lot", field="lot_id")
    sample.lot_id = lot_id
    audit.record(actor, "sample.link_lot", "sample", sample.id, region_code=sample.region_code,
                 after={"lot_id": lot_id})
    db.session.flush()
    return sample
