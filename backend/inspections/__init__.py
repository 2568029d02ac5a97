"""Field checks: checklist templates, plans and tasks (so far); checks, attachments,
rectification and sync follow."""
from __future__ import annotations


def register(api) -> None:
    """This domain's blueprints, in the order the API document lists them; called by create_app."""
    from backend.inspections.api import blp
    from backend.inspections.attachments_api import blp as attachments_blp
    from backend.inspections.checks_api import blp as checks_blp

    for blueprint in (blp, checks_blp, attachments_blp):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
