"""Working days: weekends, statutory holidays and make-up days (调休), and the admin table on top."""
from __future__ import annotations


def register(api) -> None:
    """This domain's blueprints, in the order the API document lists them; called by create_app."""
    from backend.calendar.api import blp

    api.register_blueprint(blp, url_prefix="/api/v1")
