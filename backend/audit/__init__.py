"""Append-only, hash-chained audit log (DESIGN.md §9)."""
from __future__ import annotations


def register(api) -> None:
    """This domain's blueprints, in the order the API document lists them; called by create_app."""
    from backend.audit.api import blp

    api.register_blueprint(blp, url_prefix="/api/v1")
