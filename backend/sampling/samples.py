"""Samples taken in the field (DESIGN.md §6), idempotent on the phone's id like checks.

A rapid test (快检) is judged on the spot from the kit's readings and the business is told
there and then; a lab sample waits for the lab (`collected → in_lab`). The lot may be
unknown when sampling: the label's lot code and producer are kept so it can be linked later.
"""
from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import insert

from backend.common import audit_trail as audit
from backend.common import clock
from backend.common.actor import Actor
from backend.common.digest import content_sha256
from backend.common.domain_errors import Conflict, Forbidden, NotFound, unknown_reference
from backend.common.region_codes import scope_prefix
from backend.extensions import db
from backend.facilities.models import Facility
from backend.facilities.service import referenced_facility
from backend.inspections.checks import checked_place, require_checker
from backend.inspections.models import Check
from backend.inspections.policy import visible_checks
from backend.sampling import timelines
from backend.sampling.models import Sample
from backend.sampling.policy import may_enter_results, may_link_lot, visible_samples
from backend.traceability.catalogue import referenced_lot

SEAL_NUMBER_UNIQUE = "uq_samples_sample_no"


def record_sample(actor: Actor, data: dict) -> tuple[Sample, bool]:
    """Store a sample once per phone id, however often and however concurrently the phone
    sends it; (sample, created). Every resend of the same body answers the stored sample;
    another body under that id, or another sample with the same seal number, is a 409.

    Concurrent duplicates meet at the primary key (INSERT … ON CONFLICT (id) DO NOTHING
    waits for the first to commit); one that meets the first at the seal number's unique
    index instead, or finds the seal number already taken by its own id, answers the
    stored sample too."""
    digest = content_sha256(data)
    stored = db.session.get(Sample, data["id"])
    if stored is not None:
        return _replayed(actor, stored, digest), False
    require_checker(actor)
    facility, _task = checked_place(actor, data["facility_id"], data.get("task_id"))
    _check_references(actor, data, facility)
    holder = db.session.scalar(select(Sample).where(Sample.sample_no == data["sample_no"]))
    if holder is not None:
        if holder.id == data["id"]:  # our own resend, committed since we looked by id
            return _replayed(actor, holder, digest), False
        raise _seal_taken(data["sample_no"])
    sample = _insert(data, _values(actor, data, facility, digest))
    if sample is None:  # a concurrent upload of the same id (or seal) committed first
        stored = db.session.get(Sample, data["id"], populate_existing=True)
        if stored is None:
            raise _seal_taken(data["sample_no"])
        return _replayed(actor, stored, digest), False
    audit.record(actor, "sample.create", "sample", sample.id, region_code=sample.region_code,
                 after={"sample_no": sample.sample_no, "facility_id": facility.id, "method": sample.method,
                        "status": sample.status})
    return sample, True


def _check_references(actor: Actor, data: dict, facility: Facility) -> None:
    """Ids a sample names exist and are in the caller's scope, checked before the insert;
    an id out of scope is answered exactly as an absent one (422 naming the field). The
    check must be one the caller sees, made at the sampled facility; the lot one it sees.
    The producer (from the label) is another business by nature, anywhere in the country:
    only its existence is checked."""
    if data.get("check_id") and not db.session.scalar(visible_checks(actor, select(Check.id).where(
            Check.id == data["check_id"], Check.facility_id == facility.id))):
        raise unknown_reference("check_id", "check")
    referenced_lot(actor, data.get("lot_id"))
    if data.get("producer_facility_id") is not None:
        referenced_facility(actor, data["producer_facility_id"], field="producer_facility_id")


def _values(actor: Actor, data: dict, facility: Facility, digest: str) -> dict:
    values = {**data, "region_code": facility.region_code, "cell_id": facility.cell_id, "collected_by": actor.id,
              "body_sha256": digest, "status": "collected"}
    if data["method"] == "rapid":
        # Judged on the spot; the business learns it there, which opens its 4-hour re-test window.
        positive = any(reading["result"] == "positive" for reading in data["rapid_results"])
        values["status"] = "unqualified" if positive else "qualified"
        values["verdict_at"] = values["notified_at"] = data["sampled_at"]
    else:
        values["lab_due_at"] = timelines.delivery_deadline(data["sampled_at"])
    return values


def _insert(data: dict, values: dict) -> Sample | None:
    """The new row, or None when a concurrent upload stored this id first. A concurrent
    upload may also win at the seal number's unique index (PostgreSQL checks the indexes
    in turn): that refusal is contained in a savepoint and answered the same way."""
    try:
        with db.session.begin_nested():
            return db.session.scalar(
                insert(Sample).values(**values).on_conflict_do_nothing(index_elements=[Sample.id]).returning(Sample),
                execution_options={"populate_existing": True})
    except sa_exc.IntegrityError as error:
        if getattr(getattr(error.orig, "diag", None), "constraint_name", None) != SEAL_NUMBER_UNIQUE:
            raise
        return None


def _replayed(actor: Actor, stored: Sample, digest: str) -> Sample:
    if stored.collected_by != actor.id or stored.body_sha256 != digest:
        raise Conflict("This sample id is already used for another sample; the phone must make a new id.",
                       code="sample_id_reused")
    return stored


def _seal_taken(sample_no: str) -> Conflict:
    return Conflict(f"Seal number {sample_no} is already on another sample.", code="duplicate_sample_no",
                    field="sample_no")


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
    if not may_enter_results(actor, sample):
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
    if not may_link_lot(actor, sample):
        raise Forbidden("Supervision staff of the sample's region link its lot.")
    referenced_lot(actor, lot_id)
    sample.lot_id = lot_id
    audit.record(actor, "sample.link_lot", "sample", sample.id, region_code=sample.region_code,
                 after={"lot_id": lot_id})
    db.session.flush()
    return sample
