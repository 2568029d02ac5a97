"""Checklist templates (DESIGN.md §5): drafts, versions, publication.

Rules: an administrator drafts and publishes templates (they are city-wide standards);
a published version never changes — a change is a new version of the same code, drafted
from scratch or from the latest; at most one draft per code at a time.
"""
from __future__ import annotations

import uuid

from sqlalchemy import Select, func, select

from backend.common import audit_trail as audit
from backend.common import clock
from backend.common.actor import Actor
from backend.common.domain_errors import Conflict, Forbidden, NotFound, RuleViolation
from backend.extensions import db
from backend.inspections.models import ChecklistItem, ChecklistTemplate
from backend.inspections.policy import may_edit_templates, may_read_templates, visible_templates


def _require_admin(actor: Actor) -> None:
    if not may_edit_templates(actor):
        raise Forbidden("Only administrators edit checklist templates.")


def _snapshot(template: ChecklistTemplate) -> dict:
    return {"code": template.code, "version": template.version, "status": template.status,
            "threshold": template.threshold, "items": [item.code for item in template.items]}


def templates_query(actor: Actor, *, code: str | None = None, facility_kind: str | None = None,
                    status: str | None = None) -> Select:
    if not may_read_templates(actor):
        raise Forbidden("Checklist templates are for staff.")
    query = visible_templates(actor, select(ChecklistTemplate)).order_by(ChecklistTemplate.code,
                                                                         ChecklistTemplate.version.desc())
    if code:
        query = query.where(ChecklistTemplate.code == code)
    if facility_kind:
        query = query.where(ChecklistTemplate.facility_kinds.contains([facility_kind]))
    if status:
        query = query.where(ChecklistTemplate.status == status)
    return query


def get_template(actor: Actor, template_id: uuid.UUID) -> ChecklistTemplate:
    template = db.session.scalar(templates_query(actor).where(ChecklistTemplate.id == template_id))
    if template is None:
        raise NotFound("No such checklist template.")
    return template


def published_version(code: str, version: int) -> ChecklistTemplate:
    """The published template a phone's check names; a clear 422 when there is none."""
    template = db.session.scalar(select(ChecklistTemplate).where(
        ChecklistTemplate.code == code, ChecklistTemplate.version == version, ChecklistTemplate.status == "published"))
    if template is None:
        raise RuleViolation(f"No published checklist {code} version {version}.", code="unknown_template_version",
                            field="template_version")
    return template


def _items(items: list[dict]) -> list[ChecklistItem]:
    codes = [item["code"] for item in items]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise RuleViolation(f"Item codes must be unique; repeated: {', '.join(duplicates)}.",
                            code="duplicate_item_codes", field="items")
    return [ChecklistItem(position=index, **item) for index, item in enumerate(items)]


def create_draft(actor: Actor, *, code: str, title_zh: str, title_en: str, facility_kinds: list[str],
                 items: list[dict], threshold: int = 8) -> ChecklistTemplate:
    """A new draft: version 1 of a new code, or the next version of an existing one."""
    _require_admin(actor)
    db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"checklist:{code}"))))
    versions = db.session.execute(
        select(ChecklistTemplate.version, ChecklistTemplate.status).where(ChecklistTemplate.code == code)).all()
    if any(status == "draft" for _, status in versions):
        raise Conflict(f"Checklist {code} already has a draft; edit or publish it first.", code="draft_exists")
    template = ChecklistTemplate(
        code=code, version=max((version for version, _ in versions), default=0) + 1, title_zh=title_zh,
        title_en=title_en, facility_kinds=facility_kinds, threshold=threshold, items=_items(items),
        created_by=actor.id)
    db.session.add(template)
    db.session.flush()
    audit.record(actor, "checklist.create", "checklist_template", template.id, after=_snapshot(template))
    return template


def update_draft(actor: Actor, template: ChecklistTemplate, changes: dict) -> ChecklistTemplate:
    """Change a draft; published versions are immutable."""
    _require_admin(actor)
    if template.status != "draft":
        raise Conflict(f"Checklist {template.code} v{template.version} is published and cannot change; "
                       "draft a new version.", code="template_published")
    before = _snapshot(template)
    if "items" in changes:
        template.items = _items(changes.pop("items"))
    for name, value in changes.items():
        setattr(template, name, value)
    db.session.flush()
    audit.record(actor, "checklist.update", "checklist_template", template.id, before=before,
                 after=_snapshot(template))
    return template


def publish(actor: Actor, template: ChecklistTemplate) -> ChecklistTemplate:
    _require_admin(actor)
    if template.status != "draft":
        raise Conflict(f"Checklist {template.code} v{template.version} is already published.",
                       code="template_published")
    if not template.items:
        raise RuleViolation("A checklist needs at least one item before publication.", code="no_items")
    template.status, template.published_at = "published", clock.now()
    db.session.flush()
    audit.record(actor, "checklist.publish", "checklist_template", template.id, after=_snapshot(template))
    return template


_ITEMS: dict[uuid.UUID, list[tuple[str, bool]]] = {}


def scored_items(template: ChecklistTemplate) -> list[tuple[str, bool]]:
    """(code, key_item) of a published template, in order. Cached per template id: a
    published version never changes, and ids are never reused."""
    if template.status != "published":
        return [(item.code, item.key_item) for item in template.items]
    if template.id not in _ITEMS:
        _ITEMS[template.id] = [(item.code, item.key_item) for item in template.items]
    return _ITEMS[template.id]
