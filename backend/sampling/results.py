"""Lab results and verdicts (DESIGN.md §6).

The lab enters a value per analyte; the server converts it to the limit's unit, finds the
limit in force on the sampling date, and judges it — a verdict is never accepted from the
client. Issuing the sample's verdict locks the sample row, so two lab clerks pressing the
button together get one verdict and one escalation. After the verdict, results are
immutable: a correction is an explicit amendment that keeps both rows.
"""
from __future__ import annotations

import uuid
from decimal import Decimal

from backend.calendar.service import LOCAL
from backend.common import audit_trail as audit
from backend.common import clock
from backend.common.actor import Actor
from backend.common.domain_errors import Conflict, Forbidden, NotFound, RuleViolation
from backend.extensions import db
from backend.sampling.escalation import escalate
from backend.sampling.limits import judge, limit_in_force
from backend.sampling.models import Sample, TestResult
from backend.sampling.retests import request_of
from backend.sampling.samples import require_lab_of
from backend.sampling.units import convert


def current_results(sample: Sample) -> list[TestResult]:
    """The first lab's results in force (the re-test lab's are apart: `retest_results`)."""
    return [result for result in sample.results if result.superseded_by is None and not result.retest]


def retest_results(sample: Sample) -> list[TestResult]:
    return [result for result in sample.results if result.superseded_by is None and result.retest]


def _result(actor: Actor, sample: Sample, entry: dict, index: int) -> TestResult:
    sampled_on = sample.sampled_at.astimezone(LOCAL).date()
    limit = limit_in_force(entry["analyte"], sample.food_category, sampled_on, field=f"results.{index}.analyte")
    value = convert(Decimal(entry["value"]), entry["unit"], limit.unit, field=f"results.{index}.unit")
    lod = entry.get("lod")
    lod = convert(Decimal(lod), entry["unit"], limit.unit, field=f"results.{index}.unit") if lod is not None else None
    return TestResult(id=uuid.uuid4(), sample_id=sample.id, analyte=entry["analyte"], value=value, unit=limit.unit,
                      reported_value=entry["value"], reported_unit=entry["unit"], lod=lod, method=entry["method"],
                      lab_name=sample.lab_name or "", limit_id=limit.id, limit=limit,
                      verdict=judge(limit, value, lod), entered_by=actor.id, entered_at=clock.now())


def enter_results(actor: Actor, sample: Sample, entries: list[dict]) -> Sample:
    """Results for a sample in the lab; an analyte already answered needs an amendment."""
    require_lab_of(actor, sample)
    if sample.status != "in_lab":
        raise Conflict(f"Results are entered while the sample is in the lab; it is {sample.status}.",
                       code="sample_not_in_lab")
    answered = {result.analyte for result in current_results(sample)}
    again = [entry["analyte"] for entry in entries if entry["analyte"] in answered]
    if again or len({entry["analyte"] for entry in entries}) != len(entries):
        raise Conflict(f"Results for {', '.join(again) or 'an analyte twice'} exist already: amend them instead.",
                       code="result_exists")
    rows = [_result(actor, sample, entry, index) for index, entry in enumerate(entries)]
    db.session.add_all(rows)
    db.session.flush()
    db.session.refresh(sample, ["results"])
    audit.record(actor, "sample.results", "sample", sample.id, region_code=sample.region_code,
                 after={"results": [{"analyte": r.analyte, "value": r.value, "unit": r.unit, "verdict": r.verdict}
                                    for r in rows]})
    return sample


def issue_verdict(actor: Actor, sample: Sample) -> Sample:
    """qualified unless an analyte failed; unqualified escalates in this transaction. Issuing
    it again answers the verdict already issued."""
    require_lab_of(actor, sample)
    if sample.verdict_at is not None:
        return sample
    if sample.status != "in_lab" or not current_results(sample):
        raise Conflict("A verdict needs the sample in the lab with at least one result.", code="no_results")
    _judge(actor, sample)
    return sample


def _judge(actor: Actor, sample: Sample) -> None:
    failed = [result.analyte for result in current_results(sample) if result.verdict == "fail"]
    before = sample.status
    sample.status = "unqualified" if failed else "qualified"
    sample.verdict_at, sample.verdict_by = sample.verdict_at or clock.now(), actor.id
    audit.record(actor, "sample.verdict", "sample", sample.id, region_code=sample.region_code,
                 before={"status": before}, after={"status": sample.status, "failed": failed})
    if failed:
        escalate(actor, sample)
    db.session.flush()


def enter_retest_results(actor: Actor, sample: Sample, entries: list[dict]) -> Sample:
    """复检 (食品安全法 art. 88): the accepted re-test lab enters its results in one go; the
    server judges them and the re-test verdict replaces the first one (status `retested`).

    Labs are not modelled as accounts of their own: the re-test is entered by a lab user
    who entered none of the first results, and the rows carry the re-test lab named when
    the request was accepted. The first results and verdict stay as they were (and what
    the first verdict set off — follow-up task, credit event, recall proposal — stays for
    supervisors to close)."""
    require_lab_of(actor, sample)
    request = request_of(sample)
    if request is None or request.status != "accepted" or sample.status != "retest_requested":
        raise Conflict("Re-test results follow an accepted re-test request.", code="retest_not_accepted")
    if actor.id in {result.entered_by for result in sample.results if not result.retest}:
        raise Forbidden("The re-test is entered by the re-test lab, not by the lab of the first test.",
                        code="same_lab")
    if len({entry["analyte"] for entry in entries}) != len(entries):
        raise Conflict("An analyte is given twice.", code="result_exists")
    rows = [_result(actor, sample, entry, index) for index, entry in enumerate(entries)]
    for row in rows:
        row.retest, row.lab_name = True, request.lab_name
    db.session.add_all(rows)
    failed = [row.analyte for row in rows if row.verdict == "fail"]
    request.verdict, request.verdict_at = ("unqualified" if failed else "qualified"), clock.now()
    sample.status = "retested"
    db.session.flush()
    db.session.refresh(sample, ["results", "retest_request"])
    audit.record(actor, "sample.retest_results", "sample", sample.id, region_code=sample.region_code,
                 before={"status": "retest_requested"},
                 after={"status": "retested", "verdict": request.verdict, "lab_name": request.lab_name,
                        "results": [{"analyte": r.analyte, "value": r.value, "unit": r.unit, "verdict": r.verdict}
                                    for r in rows]})
    return sample


def amend_result(actor: Actor, sample: Sample, result_id: uuid.UUID, entry: dict, reason: str) -> Sample:
    """A correction after the fact: the old row stays, superseded; the verdict is re-judged."""
    require_lab_of(actor, sample)
    old = next((result for result in current_results(sample) if result.id == result_id), None)
    if old is None:
        raise NotFound("No such current result on this sample.")
    if entry["analyte"] != old.analyte:
        raise RuleViolation("An amendment corrects the same analyte.", code="analyte_mismatch", field="analyte")
    new = _result(actor, sample, entry, 0)
    new.amend_reason = reason
    db.session.add(new)
    db.session.flush()
    old.superseded_by = new.id
    db.session.flush()
    db.session.refresh(sample, ["results"])
    audit.record(actor, "sample.amend", "test_result", old.id, region_code=sample.region_code,
                 before={"value": old.value, "verdict": old.verdict},
                 after={"value": new.value, "verdict": new.verdict, "reason": reason, "new_id": new.id})
    if sample.verdict_at is not None and sample.status in ("qualified", "unqualified"):
        _judge(actor, sample)
    return sample
