"""Field checks: checklist templates, plans and tasks (so far); checks, attachments,
rectification and sync follow."""
from __future__ import annotations


def register(api) -> None:
    """This domain's blueprints, in the order the API document lists them; called by create_app."""
    from backend.inspections.api import attachments, checks, inspections

    for blueprint in (inspections.blp, checks.blp, attachments.blp):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
