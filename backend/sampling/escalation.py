"""Escalation of an unqualified lab sample (DESIGN.md §6), in the verdict's transaction:
a follow-up task in the sampled facility's cell, a credit event on the responsible
producer, and — when the lot is known — a recall proposal. Each is made at most once per
sample (the sample remembers its task; credit events and proposals are unique per
sample), so issuing or amending a verdict again never duplicates them.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy.dialects.postgresql import insert

from backend.common import audit_trail as audit
from backend.common import clock
from backend.common.actor import Actor
from backend.common.outbox import emit
from backend.extensions import db
from backend.facilities.models import Facility
from backend.inspections.tasks import current_leads, open_task
from backend.recalls.service import propose_recall_from_sample
from backend.sampling.models import CreditEvent, Sample
from backend.traceability.models import Lot

UNQUALIFIED_SAMPLE_POINTS = -10


def escalate(actor: Actor, sample: Sample) -> None:
    lot = db.session.get(Lot, sample.lot_id) if sample.lot_id else None
    if sample.follow_up_task_id is None:
        lead = current_leads({sample.cell_id}).get(sample.cell_id) if sample.cell_id else None
        task = open_task(kind="follow_up", facility_id=sample.facility_id, cell_id=sample.cell_id,
                         region_code=sample.region_code, assignee_id=lead or sample.collected_by,
                         due_at=clock.now() + timedelta(days=current_app.config["RECTIFICATION_DAYS"]))
        sample.follow_up_task_id = task.id
    producer = sample.producer_facility_id or (lot.facility_id if lot else None) or sample.facility_id
    db.session.execute(insert(CreditEvent).values(
        id=uuid.uuid4(), facility_id=producer, kind="unqualified_sample", source_id=sample.id,
        points=UNQUALIFIED_SAMPLE_POINTS, detail=f"Sample {sample.sample_no} ({sample.product_name}) unqualified",
        created_at=clock.now()).on_conflict_do_nothing())
    if lot is not None:
        propose_recall_from_sample(actor, sample_id=sample.id, sample_no=sample.sample_no,
                                   product_name=sample.product_name, lot=lot)
    emit("sample.unqualified", {"sample_id": sample.id, "sample_no": sample.sample_no,
                                "region_code": sample.region_code, "product_name": sample.product_name,
                                "facility_name": db.session.get(Facility, sample.facility_id).name})
    db.session.flush()
    audit.record(actor, "sample.escalate", "sample", sample.id, region_code=sample.region_code,
                 after={"follow_up_task_id": sample.follow_up_task_id, "producer_id": producer,
                        "recall_proposed": lot is not None})
