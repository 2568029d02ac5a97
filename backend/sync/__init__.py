"""The phones' delta feed (DESIGN.md §9): everything in an inspector's scope that changed
since their cursor, tombstones for what left it, and no change ever skipped."""
from __future__ import annotations


def register(api) -> None:
    """This domain's blueprints, in the order the API document lists them; called by create_app."""
    from backend.sync.api import blp

    api.register_blueprint(blp, url_prefix="/api/v1")
