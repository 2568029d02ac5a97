"""Checklist templates: what inspectors check, versioned and immutable once published."""
from __future__ import annotations

from flask.views import MethodView

from backend.auth.guard import current_actor
from backend.common.blueprint import Blueprint
from backend.common.geo import to_wgs84_point
from backend.common.pagination import PAGE_DEFAULTS, SelectPage
from backend.extensions import db
from backend.inspections import tasks, templates
from backend.inspections.schemas import (
    ChecklistDraftUpdateSchema,
    ChecklistQueryArgsSchema,
    ChecklistTemplateSchema,
    PlanCreateSchema,
    PlanSchema,
    TaskCancelSchema,
    TaskQueryArgsSchema,
    TaskSchema,
)

blp = Blueprint("inspections", __name__, description="Checklist templates, inspection plans and tasks.")


@blp.route("/checklists")
class Checklists(MethodView):
    @blp.forbidden()
    @blp.arguments(ChecklistQueryArgsSchema, location="query")
    @blp.response(200, ChecklistTemplateSchema(many=True))
    @blp.paginate(SelectPage, **PAGE_DEFAULTS)
    def get(self, filters):
        """Templates, newest version first per code (drafts: administrators only)."""
        return templates.templates_query(current_actor(), **filters)

    @blp.forbidden()
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
    @blp.forbidden()
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
    @blp.forbidden()
    @blp.response(200, ChecklistTemplateSchema)
    @blp.alt_response(409, description="Already published")
    def post(self, template_id):
        """Publish a draft: from now on it is immutable and phones may use it."""
        actor = current_actor()
        template = templates.publish(actor, templates.get_template(actor, template_id))
        db.session.commit()
        return template


@blp.route("/inspection-plans")
class Plans(MethodView):
    @blp.forbidden()
    @blp.arguments(PlanCreateSchema)
    @blp.response(201, PlanSchema)
    @blp.alt_response(409, description="The region already has a plan for that year")
    def post(self, data):
        """Plan a region's routine inspections for a year: tasks for every active facility."""
        plan = tasks.create_plan(current_actor(), **data)
        db.session.commit()
        return plan


@blp.route("/tasks")
class Tasks(MethodView):
    @blp.forbidden()
    @blp.arguments(TaskQueryArgsSchema, location="query")
    @blp.response(200, TaskSchema(many=True))
    @blp.paginate(SelectPage, **PAGE_DEFAULTS)
    def get(self, args):
        """Tasks: `assignee=me` for a phone, filters by status, kind, due window, overdue; `near=lon,lat`."""
        near, crs = args.pop("near", None), args.pop("crs")
        if near:
            args["near"] = to_wgs84_point(*near, crs)
        return tasks.tasks_query(current_actor(), **args)


@blp.route("/tasks/<uuid:task_id>")
class TaskById(MethodView):
    @blp.forbidden()
    @blp.etag
    @blp.response(200, TaskSchema)
    def get(self, task_id):
        """One task."""
        return tasks.get_task(current_actor(), task_id)


@blp.route("/tasks/<uuid:task_id>/start")
class TaskStart(MethodView):
    @blp.forbidden()
    @blp.response(200, TaskSchema)
    @blp.alt_response(409, description="The task is done or cancelled")
    def post(self, task_id):
        """The assignee starts the task (open → in_progress); it then stays with them if the cell changes hands."""
        actor = current_actor()
        task = tasks.start_task(actor, tasks.get_task(actor, task_id))
        db.session.commit()
        return task


@blp.route("/tasks/<uuid:task_id>/cancel")
class TaskCancel(MethodView):
    @blp.forbidden()
    @blp.arguments(TaskCancelSchema)
    @blp.response(200, TaskSchema)
    @blp.alt_response(409, description="The task is already done or cancelled")
    def post(self, data, task_id):
        """A supervisor cancels a task that is no longer needed, with a reason."""
        actor = current_actor()
        task = tasks.cancel_task(actor, tasks.get_task(actor, task_id), data["reason"])
        db.session.commit()
        return task
