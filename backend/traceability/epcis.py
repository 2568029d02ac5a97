"""GS1 EPCIS 2.0 in and out (DESIGN.md §7): capture an EPCISDocument's events as trace
events; export a trace as an EPCISDocument (`trace_document`, in epcis_out).

A document is checked against the official JSON Schema (draft-07, kept in this repository
beside this module; every `$ref` in it is internal, so nothing is ever fetched), with its
`date-time` and `uri` formats checked too: event times must carry an offset, and extension
fields must be namespaced (`example:myField`). An invalid document is refused whole, its
errors listed by JSON pointer. A valid one is recorded event by event, each in its own
savepoint, in `eventTime` order (a commissioning sent after the shipment it precedes still
comes first): what can be mapped is stored, each other event reported with its reasons
(epcis_in has the mapping rules). An eventID already stored at the event's facility is a duplicate, skipped whatever its
content: EPCIS eventIDs name one event for good (often a hash of it). They are unique per
facility (the sender's namespace, see events.py), so one business can neither probe nor
block another's eventIDs; an event located at a facility outside the sender's scope is
refused as if that place were unknown.
An event's members are kept as sent in its `extensions` (with the document's `@context`,
so prefixed names stay resolvable), except eventID and eventTime (columns) and recordTime
(the sending system's): extensions, ilmd, disposition, business transactions, and also the
identifiers as written, whose serials, sub-locations and parties the mapping cannot hold.
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from flask import current_app
from jsonschema import Draft7Validator, FormatChecker
from jsonschema.exceptions import best_match
from sqlalchemy import exc as sa_exc
from sqlalchemy import select

from backend.common.actor import Actor
from backend.common.batch import limit_size, run_batch
from backend.common.domain_errors import Forbidden, RuleViolation
from backend.extensions import db
from backend.traceability.catalogue import WRITERS, may_record_at
from backend.traceability.epcis_ids import URI, event_id_of
from backend.traceability.epcis_in import Places, Refuse, Skip, location_of, map_event, resolve_lines, unknown_place
from backend.traceability.epcis_out import trace_document
from backend.traceability.events import record_event
from backend.traceability.models import TraceEvent

__all__ = ["capture", "schema_errors", "trace_document"]

SCHEMA_PATH = Path(__file__).with_name("epcis_schema") / "EPCIS-JSON-Schema.json"
MAX_ERRORS = 100
MAX_MESSAGE = 300
_TIME = re.compile(r"^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$")  # RFC 3339

FORMATS = FormatChecker(formats=())
FORMATS.checks("date-time")(lambda value: not isinstance(value, str) or parse_time(value) is not None)
FORMATS.checks("uri")(lambda value: not isinstance(value, str) or bool(URI.match(value)))


def parse_time(value) -> datetime | None:
    if not isinstance(value, str) or not _TIME.match(value):
        return None
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError:  # 2026-02-30 and the like
        return None


@lru_cache(maxsize=1)
def validator() -> Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=FORMATS)


def schema_errors(document) -> dict[str, list[str]]:
    """JSON pointer → messages (the first MAX_ERRORS errors), each at its most specific cause."""
    errors: dict[str, list[str]] = {}
    for count, error in enumerate(validator().iter_errors(document)):
        if count == MAX_ERRORS:
            break
        path, message = _explained(best_match([error]))
        messages = errors.setdefault(_pointer(path), [])
        if _short(message) not in messages:
            messages.append(_short(message))
    return dict(sorted(errors.items()))


def _explained(error) -> tuple:
    """Where and why, without echoing whole events back: an `anyOf` that fits no branch
    lists the branches' reasons (at their common place, if they share one)."""
    if error.context:
        causes = list(dict.fromkeys(_short(cause.message) for cause in error.context))
        places = {tuple(cause.absolute_path) for cause in error.context}
        return (places.pop() if len(places) == 1 else error.absolute_path,
                "None of the allowed forms fits: " + "; ".join(causes[:3]) + ("; …" if len(causes) > 3 else ""))
    if isinstance(error.instance, (dict, list)):
        return error.absolute_path, error.message.replace(repr(error.instance), "The value", 1)
    return error.absolute_path, error.message


def _short(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + "…"


def _pointer(path) -> str:
    """RFC 6901: "" is the whole document; "~" and "/" in names are escaped."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _nul_errors(document) -> dict[str, list[str]]:
    """Strings holding NUL, which PostgreSQL cannot store (as in every JSON body, DESIGN.md §10).
    A loop, not recursion: a document may nest as deep as the JSON parser allows."""
    errors: dict[str, list[str]] = {}
    stack = [((), document)]
    while stack and len(errors) < MAX_ERRORS:
        path, value = stack.pop()
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, item in items:
            if any(isinstance(text, str) and "\x00" in text for text in (key, item)):
                errors[_pointer((*path, key))] = ["NUL characters are not allowed."]
            stack.append(((*path, key), item))
    return errors


def event_hash(event: dict) -> str:
    """An id for an event sent without one: SHA-256 of its canonical JSON. Not the CBV 2.0
    event hash (`ni:///sha-256;…`, whose canonical form differs), hence our own namespace."""
    body = {key: value for key, value in event.items() if key != "recordTime"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "urn:foodgrid:epcis:sha-256:" + hashlib.sha256(canonical.encode()).hexdigest()


def capture(actor: Actor, document) -> dict:
    """Record a document's tracking events; report what was stored, duplicated, skipped, refused."""
    if actor.role not in WRITERS and not actor.is_system:
        raise Forbidden("EPCIS events are captured by businesses, inspectors and supervisors.")
    errors = _nul_errors(document) or schema_errors(document)
    if not errors and document.get("type") != "EPCISDocument":
        errors = {"/type": ["Send an EPCISDocument (not a query document or a single event)."]}
    if errors:
        raise RuleViolation("The document is not valid EPCIS 2.0: see errors (JSON pointers into it).",
                            code="epcis_invalid", errors=errors)
    events = document["epcisBody"]["eventList"]
    limit = current_app.config["TRACE_BATCH_MAX"]
    limit_size(events, limit, "/epcisBody/eventList", f"At most {limit} events per document; send the rest in another.")
    times = [parse_time(event["eventTime"]) for event in events]  # the schema made both required and valid
    order = sorted(range(len(events)), key=lambda i: times[i])
    places = Places()
    results = run_batch([events[i] for i in order],
                        lambda event: _capture_one(actor, event, document.get("@context"), places),
                        session=db.session, isolation="savepoint", load=_storable, on_integrity=_conflict,
                        key="eventID", noun="event")
    return _report(events, [(order[result["index"]], result) for result in results])


def sent_of(event: dict) -> str:
    """The event as the report names it: its eventID as sent, else its hash."""
    return event.get("eventID") or event_hash(event)


def _storable(event: dict) -> dict:
    event_id = event_id_of(sent_of(event))
    if len(event_id) > 200 or "\x00" in event_id:
        raise Refuse("An eventID of more than 200 characters, or with NUL, cannot be stored.",
                     code="epcis_bad_identifier")
    return event


def _conflict(error=None) -> Refuse:
    return Refuse("The event conflicts with data stored meanwhile, or holds a value that cannot be stored; "
                  "retry or correct it.", code="conflict")


def _capture_one(actor: Actor, event: dict, context, places: Places) -> dict:
    """One event in its savepoint (run_batch): skipped, a duplicate, or stored (with its warnings)."""
    occurred_at = parse_time(event["eventTime"])
    try:
        mapped = map_event(event, occurred_at, context, places)
    except Skip as skipped:
        return {"status": "skipped", "reasons": [str(skipped)]}
    # Before any product or lot is made for it; a place out of scope reads as unknown.
    if not may_record_at(actor, mapped.facility.id):
        raise unknown_place(location_of(event))
    event_id = event_id_of(sent_of(event))
    try:
        # eventIDs are unique per facility (events.py): another business's cannot be probed.
        if db.session.scalar(select(TraceEvent.id).where(TraceEvent.facility_id == mapped.facility.id,
                                                         TraceEvent.event_id == event_id)) is not None:
            return {"status": "replayed"}
        recorded = record_event(actor, event_id=event_id, type=mapped.type, occurred_at=occurred_at,
                                facility_id=mapped.facility.id, lines=resolve_lines(actor, mapped),
                                other_facility_id=mapped.other and mapped.other.id, reference=mapped.reference,
                                extensions=mapped.extensions, source="epcis")
        db.session.flush()  # a value the database refuses shows here, not at the savepoint's release
    except sa_exc.DataError:
        raise _conflict() from None
    # Not created: the same eventID committed meanwhile by another request, a duplicate.
    return {"status": "created" if recorded.created else "replayed", "warnings": mapped.warnings}


def _report(events: list, results: list[tuple[int, dict]]) -> dict:
    """The capture report from run_batch's answers (in eventTime order), by index in the document."""
    report = {"received": len(events), "stored": 0, "duplicates": [], "skipped": [], "rejected": [],
              "warnings": [], "unknown_glns": []}
    for index, result in results:
        sent = sent_of(events[index])
        if result["status"] == "created":
            report["stored"] += 1
            if result["warnings"]:
                report["warnings"].append(_note(index, sent, result["warnings"]))
        elif result["status"] == "replayed":
            report["duplicates"].append(sent)
        elif result["status"] == "skipped":
            report["skipped"].append(_note(index, sent, result["reasons"]))
        else:
            problem = result["problem"]
            report["unknown_glns"].extend(problem.get("glns", ()))
            details = [f"{path}: {message}" for path, messages in (problem.get("errors") or {}).items()
                       for message in messages]
            report["rejected"].append(_note(index, sent, problem.get("reasons") or [problem["detail"], *details],
                                            problem["code"]))
    for key in ("skipped", "rejected", "warnings"):
        report[key].sort(key=lambda item: item["index"])
    report["unknown_glns"] = sorted(set(report["unknown_glns"]))
    return report


def _note(index: int, sent: str, reasons: list[str], code: str | None = None) -> dict:
    return {"index": index, "eventID": sent, **({"code": code} if code else {}), "reasons": reasons}
