"""Sampling and lab results (DESIGN.md §6): samples, limits, verdicts, re-tests, escalation."""
from __future__ import annotations


def register(api) -> None:
    """This domain's blueprints, in the order the API document lists them; called by create_app."""
    from backend.sampling.api import blp

    api.register_blueprint(blp, url_prefix="/api/v1")
