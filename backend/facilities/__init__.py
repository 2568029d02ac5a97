"""Food businesses under supervision: facilities, market stalls, identifiers, CSV import."""
from __future__ import annotations


def register(api) -> None:
    """This domain's blueprints, in the order the API document lists them; called by create_app."""
    from backend.facilities.api import blp

    api.register_blueprint(blp, url_prefix="/api/v1")
