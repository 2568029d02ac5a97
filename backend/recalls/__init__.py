"""Recalls (DESIGN.md §8). So far the record a failed sample proposes; the state machine,
scope, deadlines and progress come with the recall issue."""
from __future__ import annotations


def register(api) -> None:
    """This domain's blueprints, and recall evidence as an attachment owner; called by create_app."""
    from backend.recalls.api import blp
    from backend.recalls.evidence import register_evidence_owner

    register_evidence_owner()
    api.register_blueprint(blp, url_prefix="/api/v1")
