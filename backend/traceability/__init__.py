"""Traceability (DESIGN.md §7): products, lots, trace events, holdings, violations,
trace back and forward, the FSMA 204-style spreadsheet and GS1 EPCIS 2.0."""
from __future__ import annotations


def register(api) -> None:
    """This domain's blueprints, in the order the API document lists them; called by create_app."""
    from backend.traceability.api import epcis, traceability

    for blueprint in (traceability.blp, epcis.blp):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
