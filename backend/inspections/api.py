"""Checklist templates: what inspectors check, versioned and immutable once published."""
from __future__ import annotations

from flask.views import MethodView

from backend.auth.guard import current_actor
from backend.common.blueprint import Blueprint
from backend.common.pagination import PAGE_DEFAULTS, SelectPage
from backend.extensions import db
from backend.inspections import templates
from backend.inspections.schemas import (
    ChecklistDraftUpdateSchema,
    ChecklistQueryArgsSchema,
    ChecklistTemplateSchema,
)

blp = Blueprint("checklists", __name__, description="Checklist templates for field checks.")


@blp.route("/checklists")
class Checklists(MethodView):
    @blp.arguments(ChecklistQueryArgsSchema, location="query")
    @blp.response(200, ChecklistTemplateSchema(many=True))
    @blp.paginate(SelectPage, **PAGE_DEFAULTS)
    def get(self, filters):
        """Templates, newest version first per code (drafts: administrators only)."""
        return templates.templates_query(current_actor(), **filters)

    @blp.arguments(ChecklistTemplateSchema)
    @blp.response(201, ChecklistTemplateSchema)
    @blp.alt_response(409, description="The code already has a draft")
    def post(self, data):
        """Draft a template: version 1 of a new code, or the next version of an existing one."""
        template = templates.create_draft(current_actor(), **data)
        db.session.commit()
        return template


@blp.route("/checklists/<uuid:template_id>")
class ChecklistById(MethodView):
    @blp.etag
    @blp.response(200, ChecklistTemplateSchema)
    def get(self, template_id):
        """One template with its items."""
        return templates.get_template(current_actor(), template_id)

    @blp.etag
    @blp.arguments(ChecklistDraftUpdateSchema)
    @blp.response(200, ChecklistTemplateSchema)
    @blp.alt_response(409, description="Published versions are immutable")
    def patch(self, changes, template_id):
        """Change a draft (If-Match required)."""
        actor = current_actor()
        template = templates.get_template(actor, template_id)
        blp.check_etag(template, ChecklistTemplateSchema)
        template = templates.update_draft(actor, template, changes)
        db.session.commit()
        return template


@blp.route("/checklists/<uuid:template_id>/publish")
class ChecklistPublication(MethodView):
    @blp.response(200, ChecklistTemplateSchema)
    @blp.alt_response(409, description="Already published")
    def post(self, template_id):
        """Publish a draft: from now on it is immutable and phones may use it."""
        actor = current_actor()
        template = templates.publish(actor, templates.get_template(actor, template_id))
        db.session.commit()
        return template
